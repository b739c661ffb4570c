/**
 * The event-stream format of the HTML standard ("9.2.6 Interpreting an event stream"), decoded from
 * bytes as they arrive: UTF-8 with replacement characters, a leading BOM skipped, lines ended by CRLF,
 * LF or CR (also when a CRLF is split between reads), `data`, `event`, `id` (ignored when it contains
 * NUL) and `retry` (ASCII digits only) fields, comments, and dispatch on an empty line. An event that is
 * not terminated when the stream ends is not dispatched.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event type (`message` unless the stream named one). */
  type: string;
  data: string;
  /** The last event id so far (it persists across events), '' when none. */
  lastEventId: string;
  /** The event's block had an `id` field of its own (false: lastEventId is inherited from an earlier event). */
  ownId: boolean;
}

export interface SseHandlers {
  event(e: SseEvent): void;
  /** A valid `retry:` field, in ms, and its digits as sent (a huge value does not survive Number()). */
  retry?(ms: number, raw: string): void;
}

const LF = 10;
const CR = 13;

export class SseParser {
  private decoder = new StringDecoder('utf8');
  /** The unfinished line carried from the previous read. */
  private carry = '';
  /** A read ended in CR: a LF at the start of the next one belongs to it. */
  private afterCr = false;
  private first = true;
  private data = '';
  private hasData = false;
  private type = '';
  private lastId = '';
  /** The current block set the id itself. */
  private blockId = false;

  constructor(private readonly on: SseHandlers) {}

  /** The id the next request should send as Last-Event-ID ('' for none). */
  get lastEventId(): string {
    return this.lastId;
  }

  /** A new connection: the stream starts again (the last event id is kept, as the standard says). */
  reset(lastEventId = this.lastId): void {
    this.decoder = new StringDecoder('utf8');
    this.carry = '';
    this.afterCr = false;
    this.first = true;
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.blockId = false;
    this.lastId = lastEventId;
  }

  push(bytes: Buffer): void {
    let text = this.decoder.write(bytes);
    if (text.length === 0) return;
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.afterCr) {
      this.afterCr = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    const n = text.length;
    const hasCr = text.indexOf('\r', start) >= 0;
    while (start < n) {
      let end: number;
      if (!hasCr) {
        end = text.indexOf('\n', start);
        if (end < 0) break;
        this.line(this.carry.length > 0 ? this.carry + text.slice(start, end) : text.slice(start, end));
        this.carry = '';
        start = end + 1;
        continue;
      }
      // CR or CRLF line endings somewhere in this read: find the nearest end of line.
      end = start;
      while (end < n) {
        const c = text.charCodeAt(end);
        if (c === LF || c === CR) break;
        end++;
      }
      if (end >= n) break;
      this.line(this.carry.length > 0 ? this.carry + text.slice(start, end) : text.slice(start, end));
      this.carry = '';
      if (text.charCodeAt(end) === CR) {
        if (end + 1 < n) start = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
        else {
          this.afterCr = true;
          start = n;
        }
      } else start = end + 1;
    }
    if (start < n) this.carry += text.slice(start);
  }

  private line(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // a comment
    if (colon === 4 && line.startsWith('data')) {
      // The common line, without slicing out its field name.
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      if (this.hasData) this.data += '\n' + value;
      else {
        this.data = value;
        this.hasData = true;
      }
      return;
    }
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        if (this.hasData) this.data += '\n' + value;
        else {
          this.data = value;
          this.hasData = true;
        }
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastId = value;
          this.blockId = true;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.on.retry?.(Number(value), value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const ownId = this.blockId;
    this.blockId = false;
    if (!this.hasData) {
      this.type = '';
      return;
    }
    const e: SseEvent = { type: this.type || 'message', data: this.data, lastEventId: this.lastId, ownId };
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.on.event(e);
  }
}
