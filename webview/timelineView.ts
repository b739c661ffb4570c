/**
 * Reconnect timeline tab: each disconnect with its cause, the backoff attempts, the resume token
 * sent on the way back, the time spent disconnected, and anomalies in between.
 */
import type { WireEvent } from '../src/shared/events';
import { formatMs, reveal } from './format';
import { h } from './ui/dom';

/** One outage: from the first sign of trouble until the connection is open again. */
export interface Outage {
  startSeq: number;
  startT: number;
  cause: string;
  attempts: Array<{ attempt: number; delayMs: number; cause: string }>;
  resumeToken?: string;
  /** Time disconnected in ms; undefined while still down. */
  downtimeMs?: number;
  endSeq?: number;
}

export type TimelineEntry = { kind: 'outage'; outage: Outage } | { kind: 'anomaly' | 'error'; seq: number; t: number; text: string };

const RESUME_KEYS: Array<[string, string]> = [
  ['lastEventId', 'Last-Event-ID'],
  ['Last-Event-ID', 'Last-Event-ID'],
  ['last-event-id', 'Last-Event-ID'],
  ['cursor', 'cursor'],
  ['resumeToken', 'resume token'],
  ['sessionPresent', 'MQTT sessionPresent'],
  ['since', 'since'],
  ['etag', 'ETag'],
];

function resumeToken(meta: Record<string, unknown> | undefined): string | undefined {
  if (!meta) return undefined;
  for (const [key, label] of RESUME_KEYS) {
    if (!(key in meta) || meta[key] === undefined) continue;
    // null means the transport knew of no token to send: say so rather than stay silent.
    return meta[key] === null ? `${label}: none sent` : `${label}: ${reveal(String(meta[key]))}`;
  }
  return undefined;
}

/**
 * Whether `text` already states `value` (a close code or status as a whole number, or a reason's
 * text), so that a cause such as "connection lost (1006, no close frame)" is not followed by
 * "code 1006" again.
 */
function alreadySays(text: string, value: string): boolean {
  if (!value) return true;
  if (/^\d+$/.test(value)) return new RegExp(`(^|[^\\w.])${value}($|[^\\w.])`).test(text);
  return text.includes(value);
}

function stateCause(e: Extract<WireEvent, { kind: 'state' }>): string {
  const reason = e.reason ? reveal(e.reason) : '';
  const parts: string[] = [e.state];
  if (e.code !== undefined && !alreadySays(reason, String(e.code))) parts.push(`code ${e.code}`);
  if (reason) parts.push(reason);
  const status = e.meta?.status;
  if (status !== undefined && !alreadySays(reason, reveal(String(status)))) parts.push(`status ${reveal(String(status))}`);
  return parts.join(' · ');
}

/** Group timeline events into outages and notable entries, oldest first. */
export function buildTimeline(events: WireEvent[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let current: Outage | undefined;
  let wasOpen = false;
  const startOutage = (seq: number, t: number, cause: string) => {
    current = { startSeq: seq, startT: t, cause, attempts: [] };
    out.push({ kind: 'outage', outage: current });
  };
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    switch (e.kind) {
      case 'state':
        if (e.state === 'open') {
          if (current) {
            const downtime = typeof e.meta?.downtimeMs === 'number' ? e.meta.downtimeMs : e.t - current.startT;
            current.downtimeMs = downtime;
            current.endSeq = e.seq;
            current.resumeToken ??= resumeToken(e.meta);
            current = undefined;
          }
          wasOpen = true;
        } else if ((e.state === 'reconnecting' || e.state === 'closed' || e.state === 'failed') && wasOpen && !current) {
          startOutage(e.seq, e.t, stateCause(e));
        } else if (current && (e.code !== undefined || e.reason)) {
          // A transport that fails attempt after attempt for the same reason says it once.
          const more = stateCause(e);
          if (!current.cause.includes(more)) current.cause += ` · ${more}`;
        }
        break;
      case 'reconnect': {
        const meta = e.meta;
        let cause = reveal(e.cause);
        const said = cause;
        if (meta?.code !== undefined && !alreadySays(said, reveal(String(meta.code)))) cause += ` · code ${reveal(String(meta.code))}`;
        if (meta?.reason && !alreadySays(said, reveal(String(meta.reason)))) cause += ` · ${reveal(String(meta.reason))}`;
        if (meta?.status !== undefined && !alreadySays(said, reveal(String(meta.status)))) cause += ` · status ${reveal(String(meta.status))}`;
        if (typeof meta?.retryMs === 'number') cause += ` · server retry ${formatMs(meta.retryMs)}`;
        if (!current) startOutage(e.seq, e.t, cause);
        current!.attempts.push({ attempt: e.attempt, delayMs: e.delayMs, cause });
        current!.resumeToken = resumeToken(meta) ?? current!.resumeToken;
        break;
      }
      case 'error':
        out.push({ kind: 'error', seq: e.seq, t: e.t, text: reveal(e.message) + (e.code ? ` (${reveal(e.code)})` : '') });
        break;
      case 'anomaly':
        out.push({
          kind: 'anomaly',
          seq: e.seq,
          t: e.t,
          text: `${e.type} · key ${reveal(String(e.key))}${e.expected !== undefined ? ` · expected ${reveal(String(e.expected))}` : ''}${e.got !== undefined ? ` · got ${reveal(String(e.got))}` : ''}`,
        });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The Reconnect timeline tab content (#timeline). */
export class TimelineView {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;

  constructor() {
    this.list = h('ol', { id: 'timeline-list', cls: 'timeline' });
    this.element = h('div', { id: 'timeline', cls: 'tab-content' }, this.list);
    this.setEvents([]);
  }

  setEvents(events: WireEvent[]): void {
    const entries = buildTimeline(events);
    if (entries.length === 0) {
      this.list.replaceChildren(h('li', { id: 'timeline-empty', cls: 'muted', text: 'No disconnects, errors or anomalies yet.' }));
      return;
    }
    this.list.replaceChildren(...entries.map((x) => this.entry(x)));
  }

  private entry(x: TimelineEntry): HTMLElement {
    if (x.kind !== 'outage') {
      return h('li', { cls: `tl-entry tl-${x.kind}`, attrs: { 'data-seq': String(x.seq) } },
        h('span', { cls: 'tl-time', text: formatMs(x.t) }),
        h('span', { cls: 'tl-kind', text: x.kind === 'anomaly' ? '⚠ anomaly' : '✕ error' }),
        h('span', { cls: 'tl-text', text: x.text }),
      );
    }
    const o = x.outage;
    const attempts = h('ul', { cls: 'tl-attempts' },
      ...o.attempts.map((a) => h('li', { cls: 'tl-attempt', text: `attempt ${a.attempt} · backoff ${formatMs(a.delayMs)} · ${a.cause}` })),
    );
    return h('li', { cls: 'tl-entry tl-outage', attrs: { 'data-seq': String(o.startSeq) } },
      h('div', { cls: 'tl-head' },
        h('span', { cls: 'tl-time', text: formatMs(o.startT) }),
        h('span', { cls: 'tl-kind', text: '⊘ disconnect' }),
        h('span', { cls: 'tl-text tl-cause', text: o.cause }),
      ),
      o.attempts.length ? attempts : null,
      h('div', { cls: 'tl-facts' },
        h('span', { cls: 'tl-down', text: o.downtimeMs === undefined ? 'still disconnected' : `disconnected for ${formatMs(o.downtimeMs)}` }),
        o.resumeToken ? h('span', { cls: 'tl-resume', text: `resumed with ${o.resumeToken}` }) : null,
      ),
    );
  }
}
