/**
 * The arguments of a received event as the server wrote them. socket.io-client parses each event packet
 * (`2["tick",{...}]`) into values; writing those values back to JSON for the log cost about as much again
 * per event, and could change what was sent (a 64-bit integer loses digits through a JS number). So the
 * manager gets socket.io-parser's own parser with one change: a decoded EVENT packet carries, right after
 * its event name, a `WireArgs` holding the text of its argument array, cut from the packet. The transport
 * takes it out before anything else sees the arguments.
 *
 * It goes after the event name, not at the end: socket.io-client reads a recovery offset from the last
 * argument, and appends the ack callback there. Binary events (type 5) are rebuilt from attachments and
 * keep the serialising path, as do packets whose text this does not recognise.
 */
import { Decoder, Encoder, PacketType, protocol } from 'socket.io-parser';

/** The JSON text of one event's arguments, as received. */
export class WireArgs {
  constructor(readonly text: string) {}
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * The argument array of an EVENT packet's text (`2[/nsp,][id]["name",a,b]` gives `[a,b]`), or undefined
 * when the text is not of that shape (an event name that is not a JSON string, say). Only called on
 * text the parser has just accepted, so the rest after the name is valid JSON.
 */
export function eventArgsText(raw: string): string | undefined {
  if (raw.charCodeAt(0) !== 50 /* 2 */) return undefined;
  let i = 1;
  if (raw.charCodeAt(i) === 47 /* / */) {
    const comma = raw.indexOf(',', i);
    if (comma < 0) return undefined;
    i = comma + 1;
  }
  for (let c = raw.charCodeAt(i); c >= 48 && c <= 57; c = raw.charCodeAt(++i));
  while (isSpace(raw.charCodeAt(i))) i++;
  if (raw.charCodeAt(i) !== 91 /* [ */) return undefined;
  i++;
  while (isSpace(raw.charCodeAt(i))) i++;
  if (raw.charCodeAt(i) !== 34 /* " */) return undefined;
  // The end of the name: the first quote not escaped by an odd run of backslashes.
  let end = i;
  for (;;) {
    end = raw.indexOf('"', end + 1);
    if (end < 0) return undefined;
    let slashes = 0;
    while (raw.charCodeAt(end - 1 - slashes) === 92 /* \ */) slashes++;
    if (slashes % 2 === 0) break;
  }
  i = end + 1;
  while (isSpace(raw.charCodeAt(i))) i++;
  const c = raw.charCodeAt(i);
  if (c === 93 /* ] */) return '[]';
  if (c !== 44 /* , */) return undefined;
  i++;
  while (isSpace(raw.charCodeAt(i))) i++;
  return `[${raw.slice(i)}`.trimEnd();
}

interface DecodedPacket {
  type: number;
  data?: unknown;
}

class WireArgsDecoder extends Decoder {
  private text: string | undefined;

  constructor(...args: ConstructorParameters<typeof Decoder>) {
    super(...args);
    // Registered before the manager's own listener, so the packet is marked before it is dispatched.
    this.on('decoded', (packet: DecodedPacket) => {
      const raw = this.text;
      this.text = undefined;
      if (raw === undefined || packet.type !== PacketType.EVENT || !Array.isArray(packet.data) || packet.data.length === 0) return;
      const args = eventArgsText(raw);
      if (args !== undefined) packet.data.splice(1, 0, new WireArgs(args));
    });
  }

  override add(obj: unknown): void {
    this.text = typeof obj === 'string' ? obj : undefined;
    try {
      super.add(obj);
    } finally {
      this.text = undefined;
    }
  }
}

/** socket.io-parser, with received events marked by their argument text (the Manager's `parser` option). */
export const wireArgsParser = { protocol, Encoder, Decoder: WireArgsDecoder };
