/**
 * Messages between the pattern-race report webview and the host. The page shows a RaceResult and
 * asks for exports and inspectors. The messages are flat on the wire ({type: method, ...params});
 * their validators live in the descriptors below (src/shared/typedProtocol.ts), the host checks
 * every message with {@link parseCompareMessage} and answers through a handler map typed by them.
 */
import type { RaceResult } from './compare';
import { byMethod, cmd, nonEmptyStr, note, oneOf, parseFlatMessage } from './typedProtocol';

export type CompareExportFormat = 'markdown' | 'csv' | 'json';

// ---------- page -> host ----------
/** The page loaded (or reloaded): the host sends what it has. */
export const ReportReady = cmd<Record<string, never>>('ready', {});
/** Export the result in a format. */
export const ExportReport = cmd<{ format: CompareExportFormat }>('export', { format: oneOf(['markdown', 'csv', 'json'] as const) });
/** Open the inspector of one raced session, by its name. */
export const OpenInspector = cmd<{ name: string }>('openInspector', { name: nonEmptyStr(500) });
/** Everything the page may send: the host's handler map must cover exactly this set. */
export const CompareToHostMessages = { ReportReady, ExportReport, OpenInspector } as const;

// ---------- host -> page ----------
export const RaceRunning = note<{ names: string[]; durationMs: number; machine: string }>('running');
export const RaceResultReady = note<{ result: RaceResult; machine: string; inspectable: string[] }>('result');
export const RaceFailed = note<{ message: string }>('error');
/** Everything the host sends the page: the page's handlers must cover exactly this set. */
export const HostToCompareMessages = { RaceRunning, RaceResultReady, RaceFailed } as const;

/** Host -> page, as on the wire. */
export type HostToCompare =
  | { type: 'running'; names: string[]; durationMs: number; machine: string }
  | { type: 'result'; result: RaceResult; machine: string; inspectable: string[] }
  | { type: 'error'; message: string };

/** Page -> host, as on the wire. */
export type CompareToHost = { type: 'ready' } | { type: 'export'; format: CompareExportFormat } | { type: 'openInspector'; name: string };

const INCOMING = byMethod(CompareToHostMessages);

/** A valid page message as its method and params, or a one-line reason it was refused. */
export function parseCompareMessage(raw: unknown): { method: string; params: Record<string, unknown> } | string {
  return parseFlatMessage(INCOMING, raw, 'report');
}
