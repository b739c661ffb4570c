/**
 * Quick-pick and input-box flows, so that everything can be done from the command palette alone.
 * Each returns undefined when the user cancels at any step.
 */
import * as vscode from 'vscode';
import { parseCurl, type CurlImport } from '../core/curlImport';
import { checkUrl, describeError } from '../core/errors';
import { redactUrl } from '../core/httpClient';
import { probePattern } from '../core/patternProbe';
import { isPatternAvailable } from '../core/registry';
import { capabilitiesOf, descriptorOf } from '../patterns';
import { inferPattern, PATTERN_LABELS, PATTERNS, withDefaultScheme, type PatternId } from '../shared/connectOptions';
import { PATTERN_SCHEMES, type Profile, type TemplateEncoding } from '../shared/profile';
import type { PayloadInputEncoding } from '../shared/protocol';
import { checkPayload, type ManagedSession } from './sessionManager';
import { stateIcon } from './trees';

/** Validate a URL for a pattern as the user types (checkUrl with the pattern's schemes). */
export function validateUrlFor(pattern: PatternId, value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter a URL';
  if (v.includes('${')) return undefined;
  return checkUrl(v, PATTERN_SCHEMES[pattern]);
}

function validateListen(value: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (!m) return 'Enter host:port, for example 127.0.0.1:0 (0 picks a free port)';
  if (Number(m[2]) > 65535) return `Invalid port ${m[2]}`;
  return undefined;
}

function validateMs(value: string): string | undefined {
  return /^\d{1,9}$/.test(value.trim()) && Number(value) > 0 ? undefined : 'Enter a whole number of milliseconds';
}

function nameFor(pattern: PatternId, url: string): string {
  try {
    const u = new URL(url);
    return `${pattern} ${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return `${pattern} ${url}`.slice(0, 80);
  }
}

/** Schemes a URL may start with in New Connection: every profile pattern's (redis://, nats://, tcp://, smtp://, ...). */
const ANY_SCHEMES = [...new Set(PATTERNS.flatMap((p) => PATTERN_SCHEMES[p]))];

/** The webhook receiver: where it listens and what it answers. */
async function webhookReceiverFlow(): Promise<Profile | undefined> {
  const listen = await vscode.window.showInputBox({
    title: 'Wirescope: New Connection (2/3) — webhook receiver address',
    prompt: 'Where the receiver listens. 127.0.0.1 keeps it private to this machine; another address exposes it to the network.',
    value: '127.0.0.1:0',
    validateInput: validateListen,
    ignoreFocusOut: true,
  });
  if (listen === undefined) return undefined;
  const status = await vscode.window.showInputBox({ title: 'Wirescope: New Connection (3/3) — reply status', value: '200', validateInput: (v) => (/^[1-5]\d\d$/.test(v.trim()) ? undefined : 'An HTTP status, 100-599'), ignoreFocusOut: true });
  if (status === undefined) return undefined;
  const host = listen.trim();
  const bindHost = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(bindHost)) {
    const ok = await vscode.window.showWarningMessage(
      `Listen on ${host}? Other machines on the network can then send requests to this receiver.`,
      { modal: true },
      'Listen on the Network',
    );
    if (ok !== 'Listen on the Network') return undefined;
  }
  return { name: `webhook ${host}`, pattern: 'webhook', url: `http://${host}`, webhook: { listen: host, reply: { status: Number(status) } } };
}

/** What an http(s) URL serves, asked with a progress notification; request-response when it cannot tell. */
async function inferHttpPattern(url: string): Promise<{ pattern: PatternId; why: string }> {
  if (url.includes('${')) return { pattern: 'http', why: 'a URL with ${…} is not asked before connecting' };
  const probe = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Wirescope: asking ${redactUrl(url)} what it serves…` },
    () => probePattern({ url }, 8000),
  );
  return { pattern: probe.pattern, why: probe.contentType ? `Content-Type ${probe.contentType.split(';')[0].trim()}` : probe.reason };
}

/**
 * New Connection, URL first: the pattern is inferred from the URL (ws: → WebSocket, mqtt: → MQTT; for http(s)
 * the response's Content-Type decides: text/event-stream → SSE, NDJSON / JSON Lines → HTTP stream) and offered
 * first in a pick of the patterns that fit the scheme; then pattern-specific prompts. `host:port/path` gets
 * http://. "webhook" instead of a URL starts a receiver. The running demo's URLs are the defaults.
 */
export async function newConnectionFlow(defaultUrls: Partial<Record<PatternId, string>>): Promise<Profile | undefined> {
  const typed = await vscode.window.showInputBox({
    title: 'Wirescope: New Connection (1/3) — URL',
    prompt: 'A URL to connect to; the pattern is inferred from it (for http(s), from what the server answers). host:port/path gets http://, ${env:NAME} works too. Type "webhook" to receive calls instead.',
    value: defaultUrls.sse ?? defaultUrls.ws ?? defaultUrls.http ?? '',
    placeHolder: 'http://localhost:8080/events, ws://localhost:8080/ws, mqtt://localhost:1883, redis://localhost:6379, nats://localhost:4222, grpc://localhost:50051',
    validateInput: (v) => {
      const t = v.trim();
      if (/^webhooks?$/i.test(t)) return undefined;
      if (!t) return 'Enter a URL';
      if (t.includes('${')) return undefined;
      return checkUrl(withDefaultScheme(t), ANY_SCHEMES);
    },
    ignoreFocusOut: true,
  });
  if (typed === undefined) return undefined;
  if (/^webhooks?$/i.test(typed.trim())) return webhookReceiverFlow();
  const url = withDefaultScheme(typed);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? 'http';
  const inferred = /^https?$/.test(scheme) ? await inferHttpPattern(url) : { pattern: inferPattern(url) ?? 'http', why: `the ${scheme}: scheme` };
  const fitting = PATTERNS.filter((p) => p !== 'webhook' && PATTERN_SCHEMES[p].includes(scheme) && p !== inferred.pattern);
  const items = [inferred.pattern, ...fitting].map((p, i) => ({
    label: PATTERN_LABELS[p],
    description: i === 0 ? `${p} · inferred from ${inferred.why}` : p,
    detail: isPatternAvailable(p) ? undefined : 'Not available in this build',
    pattern: p,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Wirescope: New Connection (2/3) — pattern', placeHolder: `Connect to ${redactUrl(url)} as… (Enter takes the inferred one)`, ignoreFocusOut: true });
  if (!picked) return undefined;
  const pattern = picked.pattern;
  const profile: Profile = { name: nameFor(pattern, url.trim()), pattern, url: url.trim() };
  const step3 = `Wirescope: New Connection (3/3) — ${PATTERN_LABELS[pattern]}`;
  switch (pattern) {
    case 'http':
    case 'async': {
      const methods = pattern === 'async' ? ['POST', 'PUT', 'GET', 'DELETE'] : ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
      const method = await vscode.window.showQuickPick(methods, { title: step3, placeHolder: 'HTTP method', ignoreFocusOut: true });
      if (!method) return undefined;
      profile.method = method;
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
        const body = await vscode.window.showInputBox({ title: step3, prompt: 'Request body (JSON is sent as application/json); leave empty for none', ignoreFocusOut: true });
        if (body === undefined) return undefined;
        if (body) {
          profile.body = body;
          let json = false;
          try {
            JSON.parse(body);
            json = true;
          } catch {
            // Not JSON: sent as plain text.
          }
          profile.headers = { 'Content-Type': json ? 'application/json' : 'text/plain' };
        }
      }
      break;
    }
    case 'poll': {
      const every = await vscode.window.showInputBox({ title: step3, prompt: 'Poll interval (ms)', value: '2000', validateInput: validateMs, ignoreFocusOut: true });
      if (every === undefined) return undefined;
      profile.poll = { intervalMs: Number(every) };
      break;
    }
    case 'long-poll': {
      const hold = await vscode.window.showInputBox({ title: step3, prompt: 'Client-side hold limit per request (ms)', value: '30000', validateInput: validateMs, ignoreFocusOut: true });
      if (hold === undefined) return undefined;
      profile.longPoll = { timeoutMs: Number(hold) };
      break;
    }
    case 'grpc': {
      if (!(await grpcMethodFlow(profile, step3))) return undefined;
      break;
    }
    case 'mqtt': {
      const topic = await vscode.window.showInputBox({ title: step3, prompt: 'Topic filter to subscribe to (wildcards + and # allowed); empty for none', value: 'feed/#', ignoreFocusOut: true });
      if (topic === undefined) return undefined;
      profile.mqtt = { protocolVersion: 5, ...(topic.trim() ? { subscribe: [{ topic: topic.trim(), qos: 0 as const }] } : {}) };
      break;
    }
    default: {
      // Patterns that say what to ask (Redis channels, NATS subjects) get one more step.
      const ask = (descriptorOf(pattern) as { newConnection?: { key: string; prompt: string; value?: string }; optionsKey?: string } | undefined);
      if (!ask?.newConnection || !ask.optionsKey) break;
      const typedList = await vscode.window.showInputBox({ title: step3, prompt: ask.newConnection.prompt, value: ask.newConnection.value ?? '', ignoreFocusOut: true });
      if (typedList === undefined) return undefined;
      const items = typedList.split(',').map((x) => x.trim()).filter(Boolean);
      if (items.length) (profile as unknown as Record<string, unknown>)[ask.optionsKey] = { [ask.newConnection.key]: items };
      break;
    }
  }
  return profile;
}

/**
 * gRPC: the method picked from what the server offers (server reflection), or from .proto files when it has
 * none, and the request prefilled with the input message's JSON template. Fills `profile` (grpc.method,
 * the request as `body`, or as the first `send` of a client or bidi stream, whose sending side stays open for
 * the composer). Returns false when the user cancels.
 */
export async function grpcMethodFlow(profile: Profile, title: string): Promise<boolean> {
  const { listGrpc } = await import('../patterns/grpc/listing');
  type Listing = Awaited<ReturnType<typeof listGrpc>>;
  const ask = (grpc: Profile['grpc']) => vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Wirescope: asking ${redactUrl(profile.url)} for its gRPC services…` }, () => listGrpc({ pattern: 'grpc', url: profile.url, ...(grpc ? { grpc } : {}) }));
  let listing: Listing | undefined;
  try {
    listing = await ask(profile.grpc);
  } catch (err) {
    const choice = await vscode.window.showWarningMessage(`Wirescope: ${describeError(err, profile.url).message}`, 'Choose .proto Files…');
    if (choice !== 'Choose .proto Files…') return false;
    const files = await vscode.window.showOpenDialog({ canSelectMany: true, filters: { 'Protocol Buffers': ['proto'] }, title: 'The .proto files of the service', openLabel: 'Use These Files' });
    if (!files?.length) return false;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const importPath = await vscode.window.showInputBox({ title, prompt: 'Import paths (as protoc -I), separated by commas; imports are looked up there in order', value: folder ?? files[0].fsPath.replace(/[\\/][^\\/]*$/, ''), ignoreFocusOut: true });
    if (importPath === undefined) return false;
    profile.grpc = { protos: files.map((f) => f.fsPath), importPaths: importPath.split(',').map((s) => s.trim()).filter(Boolean) };
    try {
      listing = await ask(profile.grpc);
    } catch (err2) {
      void vscode.window.showErrorMessage(`Wirescope: ${describeError(err2).message}`);
      return false;
    }
  }
  if (listing.methods.length === 0) {
    void vscode.window.showErrorMessage(`Wirescope: no gRPC services there (schema from ${listing.source})`);
    return false;
  }
  const picked = await vscode.window.showQuickPick(
    listing.methods.map((m) => ({ label: `${m.service.split('.').pop()}/${m.name}`, description: `${m.kind} · ${m.service}`, detail: `${m.input} → ${m.output}`, m })),
    { title, placeHolder: `Method to call (schema from ${listing.source})`, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true },
  );
  if (!picked) return false;
  const m = picked.m;
  const streams = m.kind === 'client-streaming' || m.kind === 'bidi';
  const request = await vscode.window.showInputBox({
    title,
    prompt: `${streams ? 'First request message' : 'Request'} (${m.input}) as JSON${streams ? '; more from the composer, and End sending half-closes' : ''}`,
    value: JSON.stringify(m.template),
    validateInput: (v) => {
      try {
        JSON.parse(v);
        return undefined;
      } catch (err) {
        return `Not JSON: ${(err as Error).message}`;
      }
    },
    ignoreFocusOut: true,
  });
  if (request === undefined) return false;
  profile.grpc = { ...profile.grpc, method: m.method, ...(streams ? { keepSending: true } : {}) };
  if (streams) profile.send = [request];
  else profile.body = request;
  profile.name = `grpc ${m.service.split('.').pop()}/${m.name}`;
  return true;
}

/** Pick a session: the given one, else the selected one if it fits, else ask. */
export async function pickSession(sessions: ManagedSession[], preferred: string | undefined, title: string, fits: (m: ManagedSession) => boolean = () => true): Promise<ManagedSession | undefined> {
  const candidates = sessions.filter(fits);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`Wirescope: no session for "${title}"`);
    return undefined;
  }
  const pref = candidates.find((m) => m.id === preferred);
  if (pref) return pref;
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    [...candidates].reverse().map((m) => ({ label: m.name, description: `${m.pattern} · ${m.session.state}`, detail: m.url, iconPath: stateIcon(m.session.state), m })),
    { title: `Wirescope: ${title}`, placeHolder: 'Which session?' },
  );
  return picked?.m;
}

export interface OutgoingMessage {
  data: string;
  encoding: PayloadInputEncoding;
  channel?: string;
}

/** Send Message: a saved template, or text / hex / base64 typed in and validated as you type. */
export async function sendMessageFlow(m: ManagedSession, lastTopic: string | undefined): Promise<OutgoingMessage | undefined> {
  type Item = vscode.QuickPickItem & { encoding?: PayloadInputEncoding; template?: { data: string; encoding?: TemplateEncoding; channel?: string } };
  const items: Item[] = [
    { label: '$(edit) Text…', encoding: 'text' },
    { label: '$(symbol-number) Hex…', description: 'bytes as hex pairs, e.g. 48 69', encoding: 'hex' },
    { label: '$(file-binary) Base64…', encoding: 'base64' },
  ];
  const templates = m.profile.templates ?? [];
  if (templates.length) {
    items.push({ label: 'Templates', kind: vscode.QuickPickItemKind.Separator });
    for (const t of templates) items.push({ label: `$(bookmark) ${t.name}`, description: t.encoding ?? 'text', detail: t.data.length > 120 ? t.data.slice(0, 117) + '…' : t.data, template: t });
  }
  const picked = await vscode.window.showQuickPick(items, { title: `Wirescope: Send Message to ${m.name}`, placeHolder: 'Payload kind or a saved template' });
  if (!picked) return undefined;
  let out: OutgoingMessage;
  if (picked.template) {
    out = { data: picked.template.data, encoding: picked.template.encoding ?? 'text', ...(picked.template.channel ? { channel: picked.template.channel } : {}) };
  } else {
    const encoding = picked.encoding ?? 'text';
    const data = await vscode.window.showInputBox({
      title: `Wirescope: Send ${encoding} to ${m.name}`,
      prompt: encoding === 'text' ? 'Message text' : encoding === 'hex' ? 'Bytes as hex (spaces allowed)' : 'Bytes as base64',
      validateInput: (v) => (encoding === 'text' ? undefined : checkPayload(v, encoding)),
      ignoreFocusOut: true,
    });
    if (data === undefined) return undefined;
    out = { data, encoding };
  }
  const caps = capabilitiesOf(m.pattern);
  if (caps.channel === 'topic' && !out.channel) {
    const label = caps.channelLabel ?? 'Topic';
    // A topic with MQTT's delivery options has MQTT's wildcards, which a publish cannot use; a plain channel takes any name.
    const mqttLike = caps.publishOptions !== false;
    const fallback =
      lastTopic ??
      m.profile.mqtt?.publish?.[0]?.topic ??
      m.profile.mqtt?.subscribe?.[0]?.topic.replace(/[#+].*$/, 'test') ??
      m.profile.redis?.publishChannel ??
      m.profile.redis?.publish?.[0]?.channel ??
      m.profile.redis?.subscribe?.[0] ??
      m.profile.nats?.publishSubject ??
      m.profile.nats?.publish?.[0]?.subject ??
      m.profile.kafka?.produceTopic ??
      m.profile.kafka?.produce?.[0]?.topic ??
      m.profile.kafka?.topic?.[0] ??
      'wirescope/test';
    const topic = await vscode.window.showInputBox({
      title: `Wirescope: ${descriptorOf(m.pattern)?.label ?? m.pattern} ${label.toLowerCase()}`,
      prompt: `Publish to this ${label.toLowerCase()}`,
      value: fallback,
      validateInput: (v) => (!v ? `Enter a ${label.toLowerCase()}` : mqttLike && /[#+]/.test(v) ? 'A topic without wildcards' : undefined),
      ignoreFocusOut: true,
    });
    if (topic === undefined) return undefined;
    out.channel = topic;
  }
  return out;
}

/** Ask for a curl command line (prefilled from the clipboard when it holds one), parsed as you type. */
export async function curlInputFlow(): Promise<CurlImport | undefined> {
  let clip = '';
  // In a browser (code-server, vscode.dev) reading the clipboard asks for a permission: only prefill on desktop.
  if (vscode.env.uiKind === vscode.UIKind.Desktop) {
    try {
      clip = (await vscode.env.clipboard.readText()).trim();
    } catch {
      // No clipboard access: start empty.
    }
  }
  let parsed: CurlImport | undefined;
  const line = await vscode.window.showInputBox({
    title: 'Wirescope: Import Profile from curl',
    prompt: 'Paste a curl command line (e.g. from DevTools "Copy as cURL"). Passwords and tokens go to the secret store.',
    value: /^curl\s/.test(clip) ? clip : '',
    validateInput: (v) => {
      if (!v.trim()) return 'Paste a curl command';
      try {
        parsed = parseCurl(v);
        return undefined;
      } catch (err) {
        parsed = undefined;
        return describeError(err).message;
      }
    },
    ignoreFocusOut: true,
  });
  if (line === undefined) return undefined;
  return parsed ?? parseCurl(line);
}

/** Ask for a profile name (unique among `taken`). */
export async function profileNameFlow(title: string, value: string, taken: (name: string) => boolean): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title,
    prompt: 'Profile name',
    value,
    validateInput: (v) => {
      if (!v.trim()) return 'Enter a name';
      if (v.trim().length > 200) return 'At most 200 characters';
      // Informational only: accepting updates that profile.
      if (taken(v.trim())) return { message: `A profile named "${v.trim()}" exists: it will be updated`, severity: vscode.InputBoxValidationSeverity.Info };
      return undefined;
    },
    ignoreFocusOut: true,
  });
  return name?.trim() || undefined;
}

/** Where to save a profile: the workspace file (shared) or user profiles (private). */
export async function scopeFlow(hasFolder: boolean): Promise<'workspace' | 'user' | undefined> {
  if (!hasFolder) return 'user';
  const picked = await vscode.window.showQuickPick(
    [
      { label: '$(folder) Workspace', description: '.vscode/wirescope.json — shared with the repository', scope: 'workspace' as const },
      { label: '$(account) User', description: 'only for you, in all workspaces', scope: 'user' as const },
    ],
    { title: 'Wirescope: save the profile where?' },
  );
  return picked?.scope;
}
