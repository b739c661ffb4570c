/**
 * Messages between the pattern-race report webview and the host. The page shows a RaceResult and
 * asks for exports and inspectors; the host validates every message with {@link parseCompareMessage}.
 */
import type { RaceResult } from './compare';

export type CompareExportFormat = 'markdown' | 'csv' | 'json';

/** Host -> page. */
export type HostToCompare =
  | { type: 'running'; names: string[]; durationMs: number; machine: string }
  | { type: 'result'; result: RaceResult; machine: string; inspectable: string[] }
  | { type: 'error'; message: string };

/** Page -> host. */
export type CompareToHost = { type: 'ready' } | { type: 'export'; format: CompareExportFormat } | { type: 'openInspector'; name: string };

/** A valid page message, or undefined for anything else. */
export function parseCompareMessage(raw: unknown): CompareToHost | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type === 'export' && (m.format === 'markdown' || m.format === 'csv' || m.format === 'json')) return { type: 'export', format: m.format };
  if (m.type === 'openInspector' && typeof m.name === 'string' && m.name.length > 0 && m.name.length <= 500) return { type: 'openInspector', name: m.name };
  return undefined;
}
