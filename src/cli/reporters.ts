/**
 * Reports of `wirescope test`: pretty (people), junit (CI: JUnit XML, one testcase per profile, one
 * failure element per failed expectation), tap (TAP 14) and json. Messages and event texts come from
 * profiles and servers, so every reporter escapes for its format (XML entities and illegal
 * characters, TAP's `#`, terminal control characters).
 */
import { hostname } from 'node:os';
import type { ProfileTestResult } from '../core/profileTest';
import { escapePreview } from './format';

export const REPORTERS = ['pretty', 'junit', 'tap', 'json'] as const;
export type ReporterId = (typeof REPORTERS)[number];

/** Everything a report is made from. */
export interface TestRun {
  /** The profiles file. */
  file: string;
  /** When the run started (epoch ms). */
  startedAt: number;
  durationMs: number;
  results: Array<ProfileTestResult & { line?: number }>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

// ---------------------------------------------------------------- pretty

/** One profile's block for people (also printed as each profile finishes). */
export function prettyResult(r: ProfileTestResult, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[39m` : s);
  const text = (s: string) => escapePreview(s, 400);
  const lines = [`${r.status === 'passed' ? paint(32, '✓') : paint(31, '✗')} ${text(r.name)}  (${r.durationMs} ms)`];
  for (const e of r.expectations) {
    if (e.status === 'passed') lines.push(`    ${paint(32, '✓')} ${text(e.label)}`);
    else lines.push(`    ${paint(31, '✗')} ${text(e.label)}: ${text(e.message)}`);
  }
  if (r.status === 'failed') {
    const failedSeqs = new Set(r.expectations.filter((e) => e.status === 'failed').flatMap((e) => e.seqs));
    for (const ev of r.involved) if (failedSeqs.has(ev.seq)) lines.push(`      #${ev.seq} ${text(ev.text)}`);
    if (r.sessionState === 'failed' && r.reason) lines.push(`    session failed: ${text(r.reason)}`);
  }
  return lines.join('\n') + '\n';
}

export function prettyTotals(run: TestRun): string {
  const failed = run.results.filter((r) => r.status === 'failed').length;
  const passed = run.results.length - failed;
  return `\n${run.results.length} profile${run.results.length === 1 ? '' : 's'}: ${passed} passed, ${failed} failed (${run.durationMs} ms)\n`;
}

// ---------------------------------------------------------------- JUnit XML

/** XML text/attribute content: entities escaped, characters XML 1.0 does not allow replaced. */
export function xmlEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (ch === '\n' || ch === '\t' || ch === '\r') out += `&#${cp};`;
    else if (cp < 0x20 || (cp >= 0xfffe && cp <= 0xffff) || (cp >= 0xd800 && cp <= 0xdfff)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** XML element text: like xmlEscape, but line breaks stay line breaks. */
function xmlText(s: string): string {
  return xmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t').replace(/&#13;/g, '');
}

export function junitReport(run: TestRun): string {
  const failures = run.results.filter((r) => r.status === 'failed').length;
  const suiteName = run.file;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="wirescope" tests="${run.results.length}" failures="${failures}" errors="0" time="${seconds(run.durationMs)}">`);
  out.push(
    `  <testsuite name="${xmlEscape(suiteName)}" tests="${run.results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(run.durationMs)}" timestamp="${new Date(run.startedAt).toISOString().slice(0, 19)}" hostname="${xmlEscape(hostname())}">`,
  );
  for (const r of run.results) {
    const open = `    <testcase name="${xmlEscape(r.name)}" classname="wirescope" time="${seconds(r.durationMs)}"`;
    const failed = r.expectations.filter((e) => e.status === 'failed');
    if (failed.length === 0 && r.status === 'passed') {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    for (const e of failed) {
      const body = [e.message, ...r.involved.filter((ev) => e.seqs.includes(ev.seq)).map((ev) => `#${ev.seq} ${ev.text}`)];
      out.push(`      <failure message="${xmlEscape(`${e.label}: ${e.message}`)}" type="${e.kind}">${xmlText(body.join('\n'))}</failure>`);
    }
    if (failed.length === 0) out.push(`      <failure message="${xmlEscape(`session ${r.sessionState}: ${r.reason ?? ''}`)}" type="session"/>`);
    const passed = r.expectations.filter((e) => e.status === 'passed').map((e) => `passed: ${e.label}: ${e.message}`);
    out.push(`      <system-out>${xmlText([`session ${r.sessionState}${r.reason ? `: ${r.reason}` : ''}`, ...passed].join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- TAP 14

/** A TAP description: one line, and `#` (which would start a directive) escaped. */
function tapText(s: string): string {
  return escapePreview(s, 400).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

/** A YAML double-quoted scalar. */
function yamlString(s: string): string {
  return JSON.stringify(escapePreview(s, 2000));
}

export function tapReport(run: TestRun): string {
  const out = ['TAP version 14', `1..${run.results.length}`];
  run.results.forEach((r, i) => {
    out.push(`${r.status === 'passed' ? 'ok' : 'not ok'} ${i + 1} - ${tapText(r.name)}`);
    out.push('  ---');
    out.push(`  duration_ms: ${r.durationMs}`);
    out.push(`  session: ${yamlString(`${r.sessionState}${r.reason ? `: ${r.reason}` : ''}`)}`);
    out.push('  expectations:');
    for (const e of r.expectations) {
      out.push(`    - label: ${yamlString(e.label)}`);
      out.push(`      status: ${e.status}`);
      out.push(`      message: ${yamlString(e.message)}`);
      out.push(`      seqs: [${e.seqs.join(', ')}]`);
    }
    if (r.expectations.length === 0) out[out.length - 1] = '  expectations: []';
    out.push('  ...');
  });
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- JSON

export function jsonReport(run: TestRun): string {
  const failed = run.results.filter((r) => r.status === 'failed').length;
  return (
    JSON.stringify({
      file: run.file,
      startedAt: new Date(run.startedAt).toISOString(),
      durationMs: run.durationMs,
      passed: run.results.length - failed,
      failed,
      profiles: run.results,
    }) + '\n'
  );
}

/** The whole report of one reporter (pretty: the per-profile blocks and the totals). */
export function renderReport(id: ReporterId, run: TestRun, color = false): string {
  switch (id) {
    case 'pretty':
      return run.results.map((r) => prettyResult(r, color)).join('') + prettyTotals(run);
    case 'junit':
      return junitReport(run);
    case 'tap':
      return tapReport(run);
    case 'json':
      return jsonReport(run);
  }
}
