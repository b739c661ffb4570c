// The three host <-> webview protocols (inspector, profile form, race report) are descriptor sets:
// every message has a validator per parameter and a handler typed by the same descriptor. These
// tests walk every descriptor of every set: a well-formed message passes, a malformed one of each
// method is refused with its one-line reason, and each inspector method reaches its handler. The
// expect-error directives below are checked by `npm run typecheck`: if a missing handler, a wrong
// result type or a mistyped validator ever compiled, the unused directive would fail typecheck.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Disposable } from '../../../src/core/emitter';
import { SessionLog } from '../../../src/core/sessionLog';
import { InspectorEndpoint, type InspectorBackend, type WebviewLike } from '../../../src/host/inspectorEndpoint';
import { CompareToHostMessages, HostToCompareMessages, parseCompareMessage } from '../../../src/shared/compareProtocol';
import type { WireEvent } from '../../../src/shared/events';
import { FormToHostMessages, MAX_FORM_PROFILE_CHARS, MAX_FORM_SECRET, parseFormMessage } from '../../../src/shared/profileFormProtocol';
import { validateWebviewMessage, WebviewToHost, type HostMessage } from '../../../src/shared/protocol';
import { cmd, defineHandlers, flatMessage, flatNoteDispatcher, int, opt, req, str, type Field, type MessageSet, type ParamsOf } from '../../../src/shared/typedProtocol';

/** A well-formed params object for every message of a set (the compiler requires one per descriptor). */
type Samples<S extends MessageSet> = { [K in keyof S]: ParamsOf<S[K]> };

const SID = 'session-1';
const inspectorSamples: Samples<typeof WebviewToHost> = {
  Ready: {},
  SetFilter: { sessionId: SID, filter: { dirs: ['in'], kinds: ['frame'], channel: 'c', text: 'hello', regex: false, hideControl: true, anomaliesOnly: false }, keepSeq: 1 },
  GetActivity: { sessionId: SID },
  LocateSeq: { sessionId: SID, filterId: 1, seq: 1 },
  GetRows: { sessionId: SID, filterId: 1, start: 0, count: 10 },
  GetEvent: { sessionId: SID, seq: 1 },
  GetTimeline: { sessionId: SID },
  Send: { sessionId: SID, data: 'hi', encoding: 'text', channel: 'topic/a', options: { qos: 1 } },
  Ping: { sessionId: SID },
  HalfClose: { sessionId: SID },
  Disconnect: { sessionId: SID },
  Reconnect: { sessionId: SID },
  ClearLog: { sessionId: SID },
  ExportLog: { sessionId: SID, format: 'har' },
  SelectSession: { sessionId: SID },
  CopyText: { text: 'copied' },
  AddExpectation: { sessionId: SID, seq: 1 },
  OpenPayload: { sessionId: SID, seq: 1 },
  ProxyFault: { sessionId: SID, conn: 'c1', fault: 'cut' },
  SaveTemplate: { sessionId: SID, name: 'greeting', data: 'hello', encoding: 'hex' },
  GetGraphqlFields: { sessionId: SID },
};
/** The parameters that may be left out; every other one must be present. */
const INSPECTOR_OPTIONAL = ['SetFilter.keepSeq', 'Send.channel', 'Send.options'];

const formSamples: Samples<typeof FormToHostMessages> = {
  PageReady: {},
  SaveProfile: { profile: { name: 'Orders', pattern: 'http', url: 'http://127.0.0.1:9/x' }, scope: 'user', secrets: { auth: 'tok' } },
  CloseForm: {},
  ListGrpcMethods: { profile: { name: 'Feed', pattern: 'grpc', url: 'grpc://127.0.0.1:9' } },
  ListGraphqlFields: { profile: { name: 'Ticks', pattern: 'graphql', url: 'ws://127.0.0.1:9/graphql' } },
};
const FORM_OPTIONAL = ['SaveProfile.secrets'];

const compareSamples: Samples<typeof CompareToHostMessages> = {
  ReportReady: {},
  ExportReport: { format: 'csv' },
  OpenInspector: { name: 'WebSocket' },
};

/** Values of another JSON type than `v` (and other wrong values of its type), each of which must be refused. */
function wrongValues(v: unknown): unknown[] {
  if (typeof v === 'string') return [7, null, true, ['a'], { s: 'a' }];
  if (typeof v === 'number') return [String(v), null, -1, 1.5, Number.NaN, {}];
  if (typeof v === 'boolean') return ['yes', 1];
  if (Array.isArray(v)) return ['a', 1, null];
  if (v && typeof v === 'object') return ['x', 1, null, [], true];
  throw new Error(`no wrong values for ${String(v)}`);
}

type Verdict = { ok: true } | { ok: false; error: string };

interface ProtocolUnderTest {
  name: string;
  set: MessageSet;
  samples: Record<string, Record<string, unknown>>;
  optional: string[];
  /** Validate one message of `method` with these params the way the host does. */
  check(method: string, kind: 'req' | 'cmd', params: unknown): Verdict;
}

const inspector: ProtocolUnderTest = {
  name: 'inspector',
  set: WebviewToHost,
  samples: inspectorSamples,
  optional: INSPECTOR_OPTIONAL,
  check: (method, kind, params) => {
    const v = validateWebviewMessage(kind === 'req' ? { type: 'req', id: 1, method, params } : { type: 'cmd', method, params });
    return v.ok ? { ok: true } : { ok: false, error: v.error };
  },
};
const flat = (parse: (raw: unknown) => unknown) => (method: string, _kind: 'req' | 'cmd', params: unknown): Verdict => {
  const r = parse({ ...(params as object), type: method });
  return typeof r === 'string' ? { ok: false, error: r } : { ok: true };
};
const form: ProtocolUnderTest = { name: 'profile form', set: FormToHostMessages, samples: formSamples, optional: FORM_OPTIONAL, check: flat(parseFormMessage) };
const report: ProtocolUnderTest = { name: 'race report', set: CompareToHostMessages, samples: compareSamples, optional: [], check: flat(parseCompareMessage) };

for (const proto of [inspector, form, report]) {
  describe(`${proto.name} protocol descriptors`, () => {
    it('every descriptor has a validator per parameter, and its well-formed sample passes', () => {
      assert.deepEqual(Object.keys(proto.samples).sort(), Object.keys(proto.set).sort());
      for (const [name, d] of Object.entries(proto.set)) {
        const sample = proto.samples[name];
        assert.equal(typeof d.params, 'object', `${name} has a schema`);
        assert.deepEqual(Object.keys(d.params).sort(), Object.keys(sample).sort(), `${name}: one validator per parameter`);
        for (const [key, f] of Object.entries(d.params as Record<string, Field<unknown>>)) assert.equal(typeof f, 'function', `${name}.${key} has a validator`);
        assert.deepEqual(proto.check(d.method, d.kind, sample), { ok: true }, `${name} accepts its sample`);
      }
    });

    it('a malformed message of each method is refused with a one-line reason naming the parameter', () => {
      let refused = 0;
      const optional: string[] = [];
      for (const [name, d] of Object.entries(proto.set)) {
        const sample = proto.samples[name];
        for (const key of Object.keys(sample)) {
          for (const bad of wrongValues(sample[key])) {
            const v = proto.check(d.method, d.kind, { ...sample, [key]: bad });
            assert.equal(v.ok, false, `${d.method} with ${key}=${JSON.stringify(bad)} must be refused`);
            const error = (v as { error: string }).error;
            assert.ok(error.startsWith(`${d.method}: ${key} `), `${d.method}/${key}: ${error}`);
            assert.ok(!error.includes('\n') && error.length < 200, error);
            refused++;
          }
          const without: Record<string, unknown> = { ...sample };
          delete without[key];
          const v = proto.check(d.method, d.kind, without);
          if (v.ok) optional.push(`${name}.${key}`);
          else assert.ok(v.error.startsWith(`${d.method}: ${key} `), v.error);
        }
      }
      assert.deepEqual(optional.sort(), [...proto.optional].sort(), 'exactly these parameters may be left out');
      assert.ok(refused >= Object.values(proto.set).filter((d) => Object.keys(d.params).length > 0).length);
    });

    it('an unknown method is refused with a short reason', () => {
      const v = proto.check('x'.repeat(10_000), 'cmd', {});
      assert.equal(v.ok, false);
      assert.ok((v as { error: string }).error.length < 120, 'the unknown name is clipped');
      assert.equal(proto.check('fs/readFile', 'cmd', {}).ok, false);
    });
  });
}

describe('inspector envelope and bounds', () => {
  const reason = (m: unknown) => {
    const v = validateWebviewMessage(m);
    assert.equal(v.ok, false, JSON.stringify(m)?.slice(0, 80));
    return (v as { error: string }).error;
  };

  it('refuses wrong envelopes, each with its reason', () => {
    assert.equal(reason(null), 'message is not an object');
    assert.equal(reason('webview/ready'), 'message is not an object');
    assert.equal(reason({ type: 'res', id: 1, method: 'webview/ready' }), 'unknown message type');
    assert.equal(reason({ type: 'req', method: 'webview/ready', params: {} }), 'request without id');
    assert.equal(reason({ type: 'req', id: 1.5, method: 'webview/ready', params: {} }), 'request without id');
    assert.equal(reason({ type: 'req', id: 1, method: 'log/getRows', params: [] }), 'params must be an object');
    assert.equal(reason({ type: 'req', id: 1, method: 'log/getTimeline', params: 'x' }), 'params must be an object');
    assert.equal(reason({ type: 'cmd', method: 'log/getRows', params: inspectorSamples.GetRows }), 'log/getRows is a request, not a command');
    assert.equal(reason({ type: 'req', id: 3, method: 'session/ping', params: { sessionId: SID } }), 'session/ping is a command, not a request');
    assert.equal(reason({ type: 'cmd', method: 7, params: {} }), 'unknown method 7');
  });

  it('keeps the size bounds and the LogFilter check', () => {
    assert.match(reason({ type: 'cmd', method: 'session/ping', params: { sessionId: 'x'.repeat(101) } }), /^session\/ping: sessionId must be a string$/);
    assert.match(reason({ type: 'req', id: 1, method: 'log/getRows', params: { ...inspectorSamples.GetRows, count: 5001 } }), /count must be an integer in \[0, 5000\]/);
    assert.match(reason({ type: 'req', id: 1, method: 'log/getEvent', params: { sessionId: SID, seq: 0 } }), /seq must be an integer in \[1, /);
    assert.match(reason({ type: 'cmd', method: 'profile/saveTemplate', params: { ...inspectorSamples.SaveTemplate, name: 'n'.repeat(201) } }), /name must be a string/);
    assert.match(reason({ type: 'cmd', method: 'proxy/fault', params: { ...inspectorSamples.ProxyFault, conn: 'c'.repeat(41) } }), /^proxy\/fault: conn must be a string$/);
    assert.match(reason({ type: 'cmd', method: 'profile/saveTemplate', params: { ...inspectorSamples.SaveTemplate, data: 'd'.repeat(1024 * 1024 + 1) } }), /data must be a string/);
    assert.match(reason({ type: 'cmd', method: 'clipboard/copy', params: { text: 't'.repeat(64 * 1024 * 1024 + 1) } }), /text must be a string/);
    const filter = (f: unknown) => reason({ type: 'req', id: 1, method: 'log/setFilter', params: { sessionId: SID, filter: f } });
    assert.equal(filter({ regexp: true }), 'log/setFilter: filter unknown filter field regexp');
    assert.match(filter({ dirs: ['sideways'] }), /dirs must be in\/out/);
    assert.match(filter({ kinds: [1] }), /kinds must be strings/);
    assert.match(filter({ channel: 3 }), /channel must be a string/);
    assert.match(filter({ regex: 'yes' }), /regex must be a boolean/);
    assert.match(filter({ text: 'a'.repeat(1001) }), /text is too long/);
    assert.ok(validateWebviewMessage({ type: 'req', id: 1, method: 'log/setFilter', params: { sessionId: SID, filter: { text: 'a'.repeat(1000) } } }).ok);
  });
});

describe('profile form and race report bounds', () => {
  it('refuses oversized profiles and secrets, unknown secrets, and bad report names', () => {
    const save = (extra: Record<string, unknown>) => parseFormMessage({ type: 'save', ...formSamples.SaveProfile, ...extra });
    assert.equal(save({ profile: { name: 'n', body: 'b'.repeat(MAX_FORM_PROFILE_CHARS) } }), 'save: profile is too large');
    assert.equal(save({ secrets: { apiKey: 'x' } }), 'save: secrets has an unknown secret "apiKey"');
    assert.match(save({ secrets: { auth: 's'.repeat(MAX_FORM_SECRET + 1) } }) as string, /^save: secrets "auth" must be a string of at most/);
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    assert.equal(save({ profile: cyclic }), 'save: profile is not plain data');
    assert.equal(parseFormMessage({ type: 'eval', code: '1' }), 'unknown form message "eval"');
    assert.equal(parseFormMessage([]), 'not a form message');
    assert.match(parseCompareMessage({ type: 'openInspector', name: '' }) as string, /^openInspector: name must be a string of 1 to 500 characters$/);
    assert.match(parseCompareMessage({ type: 'openInspector', name: 'n'.repeat(501) }) as string, /^openInspector: name /);
    assert.deepEqual(parseCompareMessage({ type: 'export', format: 'json' }), { method: 'export', params: { format: 'json' } });
  });
});

/** Records what the endpoint asks of the extension; one session with a real log. */
function recordingBackend(calls: string[]): InspectorBackend {
  const log = new SessionLog();
  for (let seq = 1; seq <= 5; seq++) {
    const e: WireEvent = { seq, t: seq, ts: Date.UTC(2026, 0, 1) + seq, kind: 'frame', dir: 'in', size: 5, encoding: 'utf8', data: `hello`, channel: 'c' };
    log.append(e);
  }
  const never = () => ({ dispose: () => undefined });
  return {
    sessions: () => [{ id: SID, name: 's', pattern: 'ws', url: 'ws://127.0.0.1:9/', state: 'open', startedAt: 0, ended: false, canSend: true, canPing: true, canReconnect: true }],
    selected: () => SID,
    log: (id) => (id === SID ? log : undefined),
    sanitize: (_id, e) => e,
    onDidChangeSessions: never,
    onDidAppend: never,
    onDidReset: never,
    send: async (id, data, encoding, channel, options) => void calls.push(`send ${id} ${data} ${encoding} ${channel} ${JSON.stringify(options)}`),
    ping: (id) => void calls.push(`ping ${id}`),
    halfClose: (id) => void calls.push(`halfClose ${id}`),
    disconnect: (id) => void calls.push(`disconnect ${id}`),
    reconnect: (id) => void calls.push(`reconnect ${id}`),
    proxyFault: (id, conn, fault) => void calls.push(`proxyFault ${id} ${conn} ${fault}`),
    clear: (id) => void calls.push(`clear ${id}`),
    exportLog: (id, f) => void calls.push(`export ${id} ${f}`),
    select: (id) => void calls.push(`select ${id}`),
    copy: (t) => void calls.push(`copy ${t}`),
    activity: (id) => (calls.push(`activity ${id}`), undefined),
    openPayload: (id, seq) => void calls.push(`openPayload ${id} ${seq}`),
    saveTemplate: (id, n, d, enc) => void calls.push(`template ${id} ${n} ${d} ${enc}`),
    addExpectation: (id, seq) => void calls.push(`expect ${id} ${seq}`),
    graphqlFields: async (id) => (calls.push(`graphqlFields ${id}`), { fields: [] }),
    batchIntervalMs: () => 20,
  };
}

class FakeWebview implements WebviewLike {
  visible = true;
  posted: HostMessage[] = [];
  private listener: ((m: unknown) => void) | undefined;
  postMessage(m: unknown): boolean {
    this.posted.push(JSON.parse(JSON.stringify(m)) as HostMessage);
    return true;
  }
  onDidReceiveMessage(l: (m: unknown) => void): Disposable {
    this.listener = l;
    return { dispose: () => (this.listener = undefined) };
  }
  emit(m: unknown): void {
    this.listener?.(m);
  }
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('inspector handler map', () => {
  it('every method reaches its handler: requests are answered ok, commands reach the backend', async () => {
    const calls: string[] = [];
    const webview = new FakeWebview();
    const endpoint = new InspectorEndpoint(webview, recordingBackend(calls), { view: 'sidebar' });
    try {
      let id = 0;
      for (const [name, d] of Object.entries(WebviewToHost)) {
        const params = inspectorSamples[name as keyof typeof inspectorSamples];
        if (d.kind === 'req') {
          const rid = ++id;
          webview.emit({ type: 'req', id: rid, method: d.method, params });
          await until(() => webview.posted.some((m) => m.type === 'res' && m.id === rid));
          const res = webview.posted.find((m) => m.type === 'res' && m.id === rid)!;
          assert.deepEqual(res.type === 'res' && res.ok ? 'ok' : res, 'ok', `${d.method} answered`);
        } else {
          const before = calls.length;
          webview.emit({ type: 'cmd', method: d.method, params });
          await until(() => calls.length > before);
        }
      }
      assert.deepEqual(calls, [
        `activity ${SID}`,
        `send ${SID} hi text topic/a {"qos":1}`,
        `ping ${SID}`,
        `halfClose ${SID}`,
        `disconnect ${SID}`,
        `reconnect ${SID}`,
        `clear ${SID}`,
        `export ${SID} har`,
        `select ${SID}`,
        'copy copied',
        `expect ${SID} 1`,
        `openPayload ${SID} 1`,
        `proxyFault ${SID} c1 cut`,
        `template ${SID} greeting hello hex`,
        `graphqlFields ${SID}`,
      ]);
      assert.equal(endpoint.counters.rejected, 0);
      assert.deepEqual(webview.posted.filter((m) => m.type === 'note' && m.method === 'ui/didNotify'), [], 'no command failed');
      const rows = webview.posted.find((m) => m.type === 'res' && m.id === 5) as { result: { rows: WireEvent[]; start: number } };
      assert.deepEqual(
        rows.result.rows.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
    } finally {
      endpoint.dispose();
    }
  });
});

describe('handler maps are checked by the compiler and at run time', () => {
  const A = cmd<{ text: string; n?: number }>('a/cmd', { text: str(10), n: opt(int()) });
  const R = req<{ x: number }, { y: string }>('a/req', { x: int() });
  const set = { A, R };

  it('a complete map dispatches by method with typed params and results', async () => {
    const seen: string[] = [];
    const map = defineHandlers(set, {
      A: ({ text, n }) => void seen.push(`${text}:${n ?? '-'}`),
      R: async ({ x }) => ({ y: `#${x}` }),
    });
    assert.deepEqual([...map.keys()], ['a/cmd', 'a/req']);
    await map.get('a/cmd')!.run({ text: 'hi' });
    assert.deepEqual(seen, ['hi:-']);
    assert.deepEqual(await map.get('a/req')!.run({ x: 4 }), { y: '#4' });
  });

  it('a missing handler, an extra one or a repeated method fails', () => {
    assert.throws(
      () =>
        defineHandlers(
          set,
          // @ts-expect-error -- R has no handler: the compiler refuses an incomplete map.
          { A: () => undefined },
        ),
      /no handler for a\/req/,
    );
    assert.throws(
      () =>
        defineHandlers(
          FormToHostMessages,
          // @ts-expect-error -- CloseForm has no handler.
          { PageReady: () => undefined, SaveProfile: async () => undefined },
        ),
      /no handler for cancel/,
    );
    assert.throws(
      () =>
        defineHandlers(set, {
          A: () => undefined,
          R: () => ({ y: '' }),
          // @ts-expect-error -- B is not a message of the set.
          B: () => undefined,
        }),
      /handler B has no descriptor/,
    );
    assert.throws(() => defineHandlers({ A, B: cmd<{ text: string; n?: number }>('a/cmd', { text: str(), n: opt(int()) }) }, { A: () => undefined, B: () => undefined }), /described twice/);
  });

  it('wrong result types and mistyped validators do not compile', () => {
    // Each line below would compile if the types were loose; the directives make typecheck fail then.
    const wrongResult = () =>
      defineHandlers(set, {
        A: () => undefined,
        // @ts-expect-error -- y must be a string.
        R: () => ({ y: 1 }),
      });
    // @ts-expect-error -- a string check cannot validate a number parameter.
    const wrongCheck = () => cmd<{ n: number }>('x', { n: str() });
    // @ts-expect-error -- every parameter needs a validator (n has none).
    const missingCheck = () => cmd<{ text: string; n?: number }>('x', { text: str() });
    // @ts-expect-error -- an optional check cannot validate a required parameter.
    const optionalForRequired = () => cmd<{ n: number }>('x', { n: opt(int()) });
    assert.equal(typeof wrongResult().get('a/req')?.run, 'function');
    assert.equal(wrongCheck().kind, 'cmd');
    assert.equal(missingCheck().kind, 'cmd');
    assert.equal(optionalForRequired().kind, 'cmd');
  });
});

describe('page side: host notifications through a typed dispatcher', () => {
  it('each notification reaches its handler with its params; strays are ignored', () => {
    const seen: string[] = [];
    const dispatch = flatNoteDispatcher(HostToCompareMessages, {
      RaceRunning: ({ names, durationMs }) => void seen.push(`running ${names.join('+')} ${durationMs}`),
      RaceResultReady: ({ inspectable }) => void seen.push(`result ${inspectable.join('+')}`),
      RaceFailed: ({ message }) => void seen.push(`error ${message}`),
    });
    dispatch(flatMessage(HostToCompareMessages.RaceRunning, { names: ['ws', 'sse'], durationMs: 500, machine: 'm' }));
    dispatch({ type: 'error', message: 'boom' });
    for (const stray of [null, 'error', [], { type: 7 }, { type: 'eval', code: '1' }, { method: 'error' }]) dispatch(stray);
    assert.deepEqual(seen, ['running ws+sse 500', 'error boom']);
    // @ts-expect-error -- RaceFailed has no handler: the page must handle every host message.
    const incomplete = () => flatNoteDispatcher(HostToCompareMessages, { RaceRunning: () => undefined, RaceResultReady: () => undefined });
    assert.throws(incomplete, /no handler for error/);
  });
});
