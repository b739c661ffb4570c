/**
 * Incremental parser of a text/event-stream body (the WHATWG "interpret an event stream" rules),
 * for a stream that is forwarded unchanged: it only reads. Pure: no I/O, no timers.
 * An event is dispatched at the blank line that ends it, so it is logged as soon as its last
 * byte passed. Memory is bounded: a field line longer than `maxLineBytes` is cut (its size still
 * counts), and an event's data is kept up to `maxLineBytes`.
 */

export interface SseEvent {
  /** Event type; `message` when the stream named none. */
  type: string;
  data: string;
  /** Bytes of data (UTF-8), the whole of it even when `data` was cut. */
  size: number;
  truncated: boolean;
  /** The `id:` field of this event, when it had one. */
  id?: string;
  /** A `retry:` field seen with this event. */
  retry?: number;
  /** Comment lines (`: keep-alive`) seen since the previous event. */
  comments: number;
  /** The block had a `data` field: a browser dispatches it as a message (an id- or retry-only block it does not). */
  hasData: boolean;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private line = '';
  private lineCut = false;
  private lineBytes = 0;
  private lastWasCr = false;
  private data: string[] = [];
  private dataLen = 0;
  private dataSize = 0;
  private dataCut = false;
  private type = '';
  private id: string | undefined;
  private retry: number | undefined;
  private comments = 0;
  private sawField = false;
  private readonly maxLine: number;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    opts: { maxLineBytes?: number } = {},
  ) {
    this.maxLine = Math.max(1024, opts.maxLineBytes ?? 1024 * 1024);
  }

  push(chunk: Uint8Array): void {
    this.text(this.decoder.decode(chunk, { stream: true }));
  }

  /** End of the stream: an event without its blank line is not dispatched (as browsers do). */
  end(): void {
    this.text(this.decoder.decode());
  }

  private text(s: string): void {
    if (s.length === 0) return;
    if (s.indexOf('\r') >= 0) {
      this.textWithCr(s);
      return;
    }
    // No CR in this piece (the common case): lines end at each LF, found without a look at every character.
    let from = 0;
    if (this.lastWasCr) {
      this.lastWasCr = false;
      // The \n of a \r\n pair whose \r ended the previous piece.
      if (s.charCodeAt(0) === 10 && this.line === '' && !this.lineCut) from = 1;
    }
    for (let i = s.indexOf('\n', from); i >= 0; i = s.indexOf('\n', from)) {
      this.append(s.slice(from, i));
      this.endLine();
      from = i + 1;
    }
    if (from < s.length) this.append(s.slice(from));
  }

  private textWithCr(s: string): void {
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.lastWasCr && i === from && this.line === '' && !this.lineCut) {
        // The \n of a \r\n pair whose \r ended the previous line.
        this.lastWasCr = false;
        from = i + 1;
        continue;
      }
      this.append(s.slice(from, i));
      this.endLine();
      this.lastWasCr = c === 13;
      from = i + 1;
    }
    if (from < s.length) {
      this.lastWasCr = false;
      this.append(s.slice(from));
    }
  }

  private append(piece: string): void {
    if (piece.length === 0) return;
    this.lineBytes += piece.length;
    if (this.lineCut) return;
    if (this.line.length + piece.length > this.maxLine) {
      this.line += piece.slice(0, Math.max(0, this.maxLine - this.line.length));
      this.lineCut = true;
      return;
    }
    this.line += piece;
  }

  private endLine(): void {
    const line = this.line;
    const cut = this.lineCut;
    const fullLen = this.lineBytes;
    this.line = '';
    this.lineCut = false;
    this.lineBytes = 0;
    if (line === '' && !cut) {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.sawField = true;
    switch (field) {
      case 'data': {
        const whole = fullLen - (colon + 1) - (line[colon + 1] === ' ' ? 1 : 0);
        this.dataSize += Buffer.byteLength(value) + Math.max(0, whole - value.length) + (this.data.length > 0 ? 1 : 0);
        if (cut) this.dataCut = true;
        if (this.dataLen + value.length > this.maxLine) {
          this.data.push(value.slice(0, Math.max(0, this.maxLine - this.dataLen)));
          this.dataLen = this.maxLine;
          this.dataCut = true;
        } else {
          this.data.push(value);
          this.dataLen += value.length + 1;
        }
        break;
      }
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const hadData = this.data.length > 0;
    const e: SseEvent = {
      type: this.type || 'message',
      data: this.data.join('\n'),
      size: this.dataSize,
      truncated: this.dataCut,
      comments: this.comments,
      hasData: hadData,
    };
    if (this.id !== undefined) e.id = this.id;
    if (this.retry !== undefined) e.retry = this.retry;
    const had = this.sawField;
    this.data = [];
    this.dataLen = 0;
    this.dataSize = 0;
    this.dataCut = false;
    this.type = '';
    this.retry = undefined;
    this.sawField = false;
    this.comments = 0;
    // Browsers dispatch only events with data; an id-only or retry-only block is still worth logging.
    if (hadData || (had && (e.id !== undefined || e.retry !== undefined))) {
      this.id = undefined;
      this.onEvent(e);
    }
  }
}
