/**
 * The demo's gRPC service, as .proto text: the one definition the demo server loads (./grpcFeed.ts) and the
 * index route serves at /grpc/feed.proto (for `--proto`). Kept as a string, not a file, so that nothing is
 * looked up on disk at run time: the bundled extension and CLI carry no .proto files.
 */

/** The fully qualified service name. */
export const DEMO_GRPC_SERVICE = 'wirescope.demo.Feed';
/** Where the file sits in its import tree (what reflection names it, and what an `import` would say). */
export const DEMO_PROTO_FILE = 'wirescope/demo/feed.proto';

export const DEMO_FEED_PROTO = `// The Wirescope demo backend's gRPC service: the demo's live feed over gRPC.
syntax = "proto3";

package wirescope.demo;

import "google/protobuf/timestamp.proto";

service Feed {
  // Streams feed events as they happen: first the kept events from \`from\` (when given), then new ones;
  // ends after \`count\` events (0: until the client cancels).
  rpc Watch(WatchRequest) returns (stream Event);
  // One event by its seq (0: the latest); NOT_FOUND when the feed does not keep it.
  rpc Get(GetRequest) returns (Event);
  // Echoes each message back with a server timestamp and a per-call seq.
  rpc Chat(stream ChatMessage) returns (stream ChatReply);
}

// Where the event's value sits: below 34, 34 to 66, 67 and above.
enum Level {
  LEVEL_UNSPECIFIED = 0;
  LEVEL_LOW = 1;
  LEVEL_MID = 2;
  LEVEL_HIGH = 3;
}

message Event {
  // 1, 2, 3... never reused; the same seq the demo's other routes carry.
  int64 seq = 1;
  // When the event was produced.
  google.protobuf.Timestamp at = 2;
  // A bounded random walk, 0 to 100.
  int32 value = 3;
  string label = 4;
  Level level = 5;
  // "parity" (even or odd) and "source" (wirescope-demo).
  map<string, string> tags = 6;
}

message WatchRequest {
  // How many events to send before the call ends; 0 streams until the client cancels.
  uint32 count = 1;
  // Resume: start with the kept events whose seq is at least this one (0: only new events).
  int64 from = 2;
}

message GetRequest {
  // The event's seq; 0 asks for the latest.
  int64 seq = 1;
}

message ChatMessage {
  string text = 1;
}

message ChatReply {
  // "echo: " and the message's text.
  string text = 1;
  // 1, 2, 3... per call.
  int64 seq = 2;
  // When the server answered.
  google.protobuf.Timestamp at = 3;
  // The feed's latest seq when the server answered.
  int64 feed_seq = 4;
}
`;

/** The server reflection service (grpc.reflection.v1 and v1alpha have the same messages). */
export function reflectionProto(version: 'v1' | 'v1alpha'): string {
  return `syntax = "proto3";
package grpc.reflection.${version};
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest {
  string containing_type = 1;
  int32 extension_number = 2;
}
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse {
  repeated bytes file_descriptor_proto = 1;
}
message ExtensionNumberResponse {
  string base_type_name = 1;
  repeated int32 extension_number = 2;
}
message ListServiceResponse {
  repeated ServiceResponse service = 1;
}
message ServiceResponse {
  string name = 1;
}
message ErrorResponse {
  int32 error_code = 1;
  string error_message = 2;
}
`;
}
