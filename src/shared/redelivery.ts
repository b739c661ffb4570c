/**
 * Whether a frame is a redelivery, as its broker marks it: AMQP's `redelivered` flag, a Redis stream entry read
 * again from the consumer's pending history (`redelivered`), an MQTT PUBLISH sent again with its DUP flag (`dup`).
 * One definition for the sequence check, the CLI and the inspector, so a redelivery reads the same everywhere.
 */
export function isRedelivery(meta: Readonly<Record<string, unknown>> | undefined): boolean {
  return meta !== undefined && (meta.redelivered === true || meta.dup === true);
}
