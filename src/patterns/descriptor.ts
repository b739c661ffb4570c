/**
 * What a pattern is, as data: the one description every face derives from (engine registry, CLI flags
 * and help, profile validation, the JSON Schema file, the profile form, the trees, the composer, the docs).
 * Descriptors are imported by the webview too: no Node, vscode or engine imports in them.
 */
import type { TObject } from '@sinclair/typebox';

/** What a message's sub-stream is called, if the pattern has one. */
export type ChannelKind = 'topic' | 'event' | 'subject' | 'method' | 'none';

/** What a session of the pattern can do; UI code asks these, never the pattern id. */
export interface PatternCapabilities {
  /** The user can send messages (composer, Send Message…, `--send`). */
  send: boolean;
  /** The user can send a protocol ping. */
  ping: boolean;
  /** Each side can end its half of the connection and still read (TCP). */
  halfClose: boolean;
  /** What `channel` means for this pattern; `topic` means a send needs one. */
  channel: ChannelKind;
  /** The pattern pairs requests with replies (HTTP exchanges, MQTT 5 requests). */
  requestReply: boolean;
  /** The pattern listens for peers instead of connecting (webhook receiver). */
  listens?: boolean;
  /** Sessions show a poll/next-request line (short and long polling). */
  polls?: boolean;
  /** A send can ask the peer for an acknowledgement (Socket.IO acks); the composer offers the toggle. */
  ack?: boolean;
  /** What a send's data is: `json` means a JSON value or array of arguments (Socket.IO), checked before sending. Default text. */
  sendArgs?: 'text' | 'json';
  /** What the composer's message box asks for (default: a text message, or JSON arguments for `sendArgs: 'json'`). */
  sendPlaceholder?: string;
  /** What the composer calls the channel field (default Topic). */
  channelLabel?: string;
  /** A send to a channel takes MQTT's delivery options (QoS, retain); default true for channel `topic`. */
  publishOptions?: boolean;
  /** Deliveries can wait for the user to settle them (AMQP manual ack): the composer offers Ack, Nack and Requeue. */
  settle?: boolean;
  /**
   * A send is raw bytes written as text, hex or base64 (default true): the composer offers the choice. False where a
   * send is a document or a message given as JSON (GraphQL, gRPC), which only text can be.
   */
  payloadEncodings?: boolean;
}

/** A `wirescope connect` flag that sets one field of the pattern's options; parsing and help come from the schema. */
export interface PatternFlag {
  /** Long name without dashes. */
  flag: string;
  /** Key in the options object. */
  key: string;
  /** Placeholder of the value in help; a boolean field needs none. */
  value?: string;
  /**
   * Turns the written value into the field's value (or, for a list, one item; for a record, entries merged
   * into it), for values the schema alone cannot read (JSON, `name=value`). Throws an Error whose message
   * is one line. Pure: descriptors are imported by the webview too.
   */
  parse?: (raw: string) => unknown;
  /** The field is a record and each use of the flag adds the entries `parse` returns (`--query a=1 --query b=2`). */
  merge?: boolean;
}

export interface PatternDescriptor<Id extends string = string, Key extends string = string, O extends TObject = TObject> {
  id: Id;
  /** Human name (trees, pickers, the form). */
  label: string;
  /** Codicon name. */
  icon: string;
  /** URL schemes the pattern accepts. */
  schemes: readonly string[];
  /** Schemes that select this pattern when none is given (a scheme appears in one pattern's list at most). */
  infers?: readonly string[];
  /** A URL to start from in prompts. */
  exampleUrl: string;
  capabilities: PatternCapabilities;
  /** The profile / ConnectOptions field holding the options (`longPoll` for long-poll). */
  optionsKey?: Key;
  /** The pattern's options, written once: types, validation, JSON Schema, form fields, CLI flags and docs come from it. */
  options?: O;
  /** CLI flags filling options fields (beyond the shared ones). */
  flags?: readonly PatternFlag[];
  /** `false`: not a profile pattern (the capture proxy); profiles, the form, the JSON Schema and `connect` leave it out. */
  profile?: false;
  /**
   * What VS Code's New Connection asks for after the URL and the pattern: a list of strings in the pattern's
   * options (`subscribe` for Redis channels), typed comma-separated. Empty input leaves it out.
   */
  newConnection?: { key: string; prompt: string; value?: string };
}

/** Check a descriptor and keep its literal types (id, options key, the options schema). */
export function definePattern<const D extends PatternDescriptor>(d: D): D {
  return d;
}
