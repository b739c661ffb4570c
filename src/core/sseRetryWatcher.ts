/**
 * Spots the `retry:` field in an SSE byte stream, read the way the event-stream parser reads it: a line
 * `retry:` with one optional space, then ASCII digits only. The `eventsource` package applies the value
 * but keeps it private; watching the same bytes lets a reconnect say which delay the server asked for.
 * Cheap on the hot path: a chunk without the bytes `retry` only has its unfinished last line looked at.
 */
const RETRY = Buffer.from('retry', 'latin1');
const RETRY_LINE = /^retry: ?(\d+)$/;
/** Longer unfinished lines cannot be a retry field worth keeping (`retry: ` plus a 2^53 value fits). */
const MAX_CANDIDATE = 32;

export class SseRetryWatcher {
  /**
   * The unfinished current line while it could still be a retry field ('' at the start of a line);
   * undefined while inside a line that cannot be one.
   */
  private pending: string | undefined = '';

  /** Start of a new response: the parser starts at the beginning of a line. */
  reset(): void {
    this.pending = '';
  }

  /** Feed the next chunk; returns the last valid `retry:` value it completed, if any. */
  push(chunk: Uint8Array): number | undefined {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastBreak = Math.max(buf.lastIndexOf(10), buf.lastIndexOf(13));
    if (!this.pending && buf.indexOf(RETRY) === -1) {
      // No complete line of this chunk can be a retry field; only its unfinished tail may become one.
      if (lastBreak >= 0) this.pending = candidate(buf.toString('latin1', lastBreak + 1, Math.min(buf.length, lastBreak + 1 + MAX_CANDIDATE + 1)));
      else if (this.pending === '') this.pending = candidate(buf.toString('latin1', 0, Math.min(buf.length, MAX_CANDIDATE + 1)));
      return undefined;
    }
    const startsMidLine = this.pending === undefined;
    const lines = ((this.pending ?? '') + buf.toString('latin1')).split(/\r\n|\r|\n/);
    const unfinished = lines.pop() ?? '';
    let found: number | undefined;
    for (let i = startsMidLine ? 1 : 0; i < lines.length; i++) {
      const m = RETRY_LINE.exec(lines[i]);
      if (m) found = Number(m[1]);
    }
    if (lines.length === 0 && startsMidLine) return undefined;
    this.pending = candidate(unfinished);
    return found;
  }
}

function candidate(text: string): string | undefined {
  if (text.length > MAX_CANDIDATE) return undefined;
  return 'retry:'.startsWith(text) || text.startsWith('retry:') ? text : undefined;
}
