/**
 * The pattern race as text: the essay's table (rate, direction, latency, efficiency, reliability)
 * with measured numbers, for the terminal, Markdown and CSV. Pure functions: the CLI, the host's
 * exports and the report webview all use them.
 */
import type { RaceResult, SessionResult } from './compare';

/** Untrusted text (profile names) as one printable line: control and bidi characters become escapes. */
export function plainText(s: string, max = 60): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
    if (out.length >= max) return out.slice(0, max) + '…';
  }
  return out;
}

const num = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? '—' : digits > 0 ? n.toFixed(digits) : String(Math.round(n)));

/** Messages per second over the session's live window. */
export function messageRate(s: SessionResult): number | null {
  if (s.window.fromMs === null) return null;
  const span = (s.window.toMs - s.window.fromMs) / 1000;
  return span > 0 ? s.unique / span : null;
}

export interface Column {
  group: string;
  title: string;
  value(s: SessionResult): string;
  /** Right-aligned (numbers). */
  right?: boolean;
}

/** The columns, grouped under the essay's headings. */
export function raceColumns(r: RaceResult): Column[] {
  const cols: Column[] = [
    { group: '', title: 'session', value: (s) => plainText(s.name, 24) },
    { group: '', title: 'pattern', value: (s) => s.pattern },
    { group: 'rate', title: 'msg/s', right: true, value: (s) => num(messageRate(s), 1) },
    { group: 'direction', title: '', value: (s) => s.direction },
    { group: 'latency ms', title: 'p50', right: true, value: (s) => num(s.latencyMs?.p50, 1) },
    { group: 'latency ms', title: 'p95', right: true, value: (s) => num(s.latencyMs?.p95, 1) },
    { group: 'latency ms', title: 'max', right: true, value: (s) => num(s.latencyMs?.max, 1) },
    { group: 'efficiency', title: 'B/msg', right: true, value: (s) => num(s.bytesPerMessage) },
    { group: 'efficiency', title: 'req/msg', right: true, value: (s) => num(s.requestsPerMessage, 2) },
    { group: 'efficiency', title: 'requests', right: true, value: (s) => num(s.requests) },
    { group: 'efficiency', title: 'conns', right: true, value: (s) => num(s.connections) },
    { group: 'efficiency', title: 'bytes in', right: true, value: (s) => num(s.bytesIn) },
    { group: 'efficiency', title: 'bytes out', right: true, value: (s) => num(s.bytesOut) },
    { group: 'reliability', title: 'recv', right: true, value: (s) => String(s.received) },
    { group: 'reliability', title: 'unique', right: true, value: (s) => String(s.unique) },
    { group: 'reliability', title: 'dup', right: true, value: (s) => String(s.duplicates) },
    { group: 'reliability', title: 'missed', right: true, value: (s) => String(s.missed) },
    { group: 'reliability', title: 'reconn', right: true, value: (s) => String(s.reconnects) },
  ];
  if (r.fault) {
    cols.push(
      { group: `cut @ ${Math.round(r.fault.atMs)} ms`, title: 'recovery ms', right: true, value: (s) => num(s.fault?.recoveryMs, 0) },
      { group: `cut @ ${Math.round(r.fault.atMs)} ms`, title: 'lost', right: true, value: (s) => num(s.fault?.lost) },
      { group: `cut @ ${Math.round(r.fault.atMs)} ms`, title: 'doubled', right: true, value: (s) => num(s.fault?.doubled) },
    );
  }
  return cols;
}

/** One line about the run: duration, feed, fields. */
export function raceHeadline(r: RaceResult): string {
  const feed = r.feed.ids > 0 ? `${r.feed.ids} feed events (ids ${r.feed.firstId}..${r.feed.lastId})` : 'no feed events';
  return `Pattern race: ${r.sessions.length} sessions for ${(r.durationMs / 1000).toFixed(1)} s, ${feed}; id ${plainText(r.idField)}${r.timestampField ? `, publish time ${plainText(r.timestampField)}` : ''}${r.fault ? `; all connections cut at ${Math.round(r.fault.atMs)} ms` : ''}`;
}

/** Lines explaining each null and each session that ended early. */
export function raceNotes(r: RaceResult): string[] {
  const out: string[] = [];
  for (const s of r.sessions) {
    const name = plainText(s.name, 24);
    if (s.ended.state === 'failed' || s.ended.reason) out.push(`${name}: ended ${s.ended.state}${s.ended.reason ? `: ${plainText(s.ended.reason, 200)}` : ''}`);
    if (s.idField !== undefined || s.timestampField !== undefined) {
      const own = [s.idField !== undefined ? `id ${plainText(s.idField)}` : '', s.timestampField !== undefined ? `publish time ${plainText(s.timestampField)}` : ''].filter(Boolean);
      out.push(`${name}: read with its own ${own.join(' and ')}`);
    }
    for (const [field, why] of Object.entries(s.notes)) out.push(`${name}: ${field} — ${plainText(why, 200)}`);
    if (s.unidentified > 0) out.push(`${name}: ${s.unidentified} data frame${s.unidentified === 1 ? '' : 's'} without a readable ${plainText(s.idField ?? r.idField)} (not counted as messages)`);
  }
  return out;
}

/** The terminal table: two header lines (the essay's headings, then the measures). */
export function formatRaceTable(r: RaceResult): string {
  const cols = raceColumns(r);
  const rows = r.sessions.map((s) => cols.map((c) => c.value(s)));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...rows.map((row) => row[i].length)));
  // Widen a group's last column when the heading is longer than its columns.
  let i = 0;
  while (i < cols.length) {
    let j = i;
    while (j + 1 < cols.length && cols[j + 1].group === cols[i].group && cols[i].group !== '') j++;
    const span = widths.slice(i, j + 1).reduce((a, b) => a + b, 0) + 2 * (j - i);
    if (cols[i].group.length > span) widths[j] += cols[i].group.length - span;
    i = j + 1;
  }
  const pad = (text: string, w: number, right?: boolean) => (right ? text.padStart(w) : text.padEnd(w));
  const groupLine: string[] = [];
  i = 0;
  while (i < cols.length) {
    let j = i;
    while (j + 1 < cols.length && cols[j + 1].group === cols[i].group && cols[i].group !== '') j++;
    const span = widths.slice(i, j + 1).reduce((a, b) => a + b, 0) + 2 * (j - i);
    groupLine.push(cols[i].group.padEnd(span));
    i = j + 1;
  }
  const lines = [raceHeadline(r), '', groupLine.join('  ').trimEnd(), cols.map((c, k) => pad(c.title, widths[k], c.right)).join('  ').trimEnd()];
  for (const row of rows) lines.push(row.map((v, k) => pad(v, widths[k], cols[k].right)).join('  ').trimEnd());
  const notes = raceNotes(r);
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>&*_`[\]]/g, (c) => `\\${c}`);

/** A Markdown table (GitHub flavour) with the same columns. */
export function formatRaceMarkdown(r: RaceResult): string {
  const cols = raceColumns(r);
  const head = cols.map((c) => mdCell(c.group && c.title ? `${c.group} ${c.title}` : c.group || c.title));
  const lines = [mdCell(raceHeadline(r)), '', `| ${head.join(' | ')} |`, `| ${cols.map((c) => (c.right ? '---:' : '---')).join(' | ')} |`];
  for (const s of r.sessions) lines.push(`| ${cols.map((c) => mdCell(c.value(s))).join(' | ')} |`);
  const notes = raceNotes(r);
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${mdCell(n)}`));
  return lines.join('\n') + '\n';
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** CSV, one row per session, raw numbers (empty cell = not measured; see the JSON notes for why). */
export function formatRaceCsv(r: RaceResult): string {
  const header = ['name', 'pattern', 'direction', 'received', 'unique', 'duplicates', 'missed', 'latency_p50_ms', 'latency_p95_ms', 'latency_max_ms', 'requests', 'connections', 'bytes_in', 'bytes_out', 'bytes_per_message', 'requests_per_message', 'reconnects', 'messages_per_s'];
  if (r.fault) header.push('cut_recovery_ms', 'cut_lost', 'cut_doubled');
  const lines = [header.join(',')];
  for (const s of r.sessions) {
    const rate = messageRate(s);
    const row: Array<string | number | null> = [s.name, s.pattern, s.direction, s.received, s.unique, s.duplicates, s.missed, s.latencyMs?.p50 ?? null, s.latencyMs?.p95 ?? null, s.latencyMs?.max ?? null, s.requests, s.connections, s.bytesIn, s.bytesOut, s.bytesPerMessage, s.requestsPerMessage, s.reconnects, rate === null ? null : Math.round(rate * 100) / 100];
    if (r.fault) row.push(s.fault?.recoveryMs ?? null, s.fault?.lost ?? null, s.fault?.doubled ?? null);
    lines.push(row.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
