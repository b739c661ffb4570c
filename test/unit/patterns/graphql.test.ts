// The graphql pattern against real servers Wirescope did not write (test/helpers/graphql.ts): graphql-http's
// handler, graphql-sse's handler, the graphql-ws library's useServer and the legacy subscriptions-transport-ws
// SubscriptionServer, on 127.0.0.1 with ports chosen at run time. Queries and mutations (POST and GET),
// errors with HTTP 200, subscriptions on every transport, several operations on one connection, --count,
// a rejected connection_init, a subscription the server completes, a drop with re-subscribe, --list and the CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { operationsOf, pickOperation } from '../../../src/patterns/graphql/document';
import { fieldsOf, formatFields, listGraphql } from '../../../src/patterns/graphql/listing';
import { payloadText } from '../../../src/patterns/graphql/transport';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { AUTH_TOKEN, startGraphqlServers, type GraphqlServers } from '../../helpers/graphql';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { assertOneLineError, parseNdjson, runCli } from '../cli/runCli';

const frames = (events: WireEvent[]) => ofKind(events, 'frame') as FrameEvent[];
const dataIn = (events: WireEvent[]) => frames(events).filter((f) => f.dir === 'in' && !f.meta?.control);
const dataOut = (events: WireEvent[]) => frames(events).filter((f) => f.dir === 'out' && !f.meta?.control);
const controls = (events: WireEvent[], type: string) => frames(events).filter((f) => f.meta?.control === true && f.meta.type === type);
const terminal = (events: WireEvent[]) => ofKind(events, 'state').find((s) => s.state === 'closed' || s.state === 'failed') as StateEvent;
const gql = (url: string, documents: string[], extra: Partial<ConnectOptions> & { graphql?: ConnectOptions['graphql'] } = {}): ConnectOptions => ({ pattern: 'graphql', url, ...extra, graphql: { documents, ...(extra.graphql ?? {}) } });
const seqs = (events: WireEvent[], field = 'ticks') => dataIn(events).map((f) => (JSON.parse(f.data) as { data: Record<string, { seq: number }> }).data[field].seq);

let srv: GraphqlServers;
before(async () => {
  srv = await startGraphqlServers();
});
after(async () => {
  await srv.close();
});

describe('GraphQL documents', () => {
  it('finds the operations of a document: kinds and names, skipping strings, comments, fragments and selection sets', () => {
    assert.deepEqual(operationsOf('{ hello }'), [{ type: 'query' }]);
    assert.deepEqual(operationsOf('# subscription in a comment\nquery A($x: String = "mutation {") { a(s: """subscription B { x }""") } fragment F on T { y } mutation M { m } subscription { s }'), [
      { type: 'query', name: 'A' },
      { type: 'mutation', name: 'M' },
      { type: 'subscription' },
    ]);
    assert.equal(pickOperation('query A { a } query B { b }', 'B').name, 'B');
    assert.throws(() => pickOperation('query A { a } query B { b }', undefined), /the document has 2 operations \(A, B\): name one with --operation-name/);
    assert.throws(() => pickOperation('not graphql', undefined), /not a GraphQL operation/);
  });

  it('reads the CLI flags: -d repeated, --query FILE, --variables, --operation-name, --graphql-method, --graphql-protocol, --init-payload(-env)', () => {
    const c = parseConnectArgs(['ws://h:1/graphql', '--pattern', 'graphql', '-d', 'subscription { a }', '-d', 'subscription { b }', '--variables', '{"n":1}', '--operation-name', 'X', '--graphql-protocol', 'graphql-ws', '--init-payload', '{"token":"t"}', '--count', '3']);
    assert.deepEqual(c.options.graphql, { documents: ['subscription { a }', 'subscription { b }'], variables: { n: 1 }, operationName: 'X', protocol: 'graphql-ws', initPayload: { token: 't' } });
    assert.equal(c.options.count, 3);
    const f = parseConnectArgs(['http://h:1/graphql', '--pattern', 'graphql', '--query', 'q.graphql', '--graphql-method', 'GET', '--init-payload-env', 'TOK'], { env: { TOK: '{"token":"from-env"}' }, readFile: (p) => (p === 'q.graphql' ? '{ hello }' : '') });
    assert.deepEqual(f.options.graphql, { documents: ['{ hello }'], httpMethod: 'GET', initPayload: { token: 'from-env' } });
    assert.equal(parseConnectArgs(['http://h:1/graphql', '--pattern', 'graphql', '--list']).graphqlList, true);
    assert.throws(() => parseConnectArgs(['http://h:1/x', '-d', 'a', '-d', 'b']), /--data given more than once/);
    assert.throws(() => parseConnectArgs(['ws://h:1/g', '--pattern', 'graphql', '--graphql-protocol', 'mqtt']), /--graphql-protocol must be one of auto, graphql-transport-ws, graphql-ws, sse/);
    assert.throws(() => parseConnectArgs(['ws://h:1/g', '--pattern', 'graphql', '--variables', '[1]']), /--variables needs a JSON object/);
    assert.throws(() => parseConnectArgs(['ws://h:1/g', '--pattern', 'graphql', '--init-payload-env', 'NOPE'], { env: {}, readFile: () => '' }), /environment variable NOPE is not set/);
    // The socketio --query stays as it was.
    assert.deepEqual(parseConnectArgs(['http://h:1/chat', '--pattern', 'socketio', '--query', 'a=1']).options.socketio, { query: { a: '1' } });
  });
});

describe('GraphQL queries and mutations over HTTP (graphql-http)', () => {
  it('POSTs a query with variables and an operation name: out frame, HTTP timing, the result as an in frame on the operation', async () => {
    const events = await runSession(gql(srv.httpUrl, ['query Who($n: String) { hello(name: $n) } query Other { boom }'], { graphql: { variables: { n: 'ada' }, operationName: 'Who' } }));
    checkInvariants(events);
    const [out] = dataOut(events);
    assert.equal(out.meta?.method, 'POST');
    assert.deepEqual(JSON.parse(out.data), { query: 'query Who($n: String) { hello(name: $n) } query Other { boom }', variables: { n: 'ada' }, operationName: 'Who' });
    const [res] = dataIn(events);
    assert.deepEqual(JSON.parse(res.data), { data: { hello: 'hello ada' } });
    assert.equal(res.channel, 'Who');
    assert.equal(res.meta?.status, 200);
    assert.equal(res.meta?.errors, undefined);
    const timing = ofKind(events, 'timing')[0];
    assert.ok(timing.phases.total !== null && timing.phases.total >= 0 && timing.phases.ttfb !== null);
    assert.equal(terminal(events).state, 'closed');
    assert.equal(terminal(events).code, 200);
  });

  it('GET puts the query in the URL; a mutation over POST', async () => {
    const g = await runSession(gql(srv.httpUrl, ['{ item(id: "7") { id name tags } }'], { graphql: { httpMethod: 'GET' } }));
    assert.equal(dataOut(g)[0].meta?.method, 'GET');
    assert.match(String(dataOut(g)[0].meta?.url), /\?query=%7B\+item/);
    assert.deepEqual(JSON.parse(dataIn(g)[0].data), { data: { item: { id: '7', name: 'item 7', tags: ['a', 'b'] } } });
    const m = await runSession(gql(srv.httpUrl, ['mutation Add($a: Int!) { add(a: $a, b: 2) }'], { graphql: { variables: { a: 40 } } }));
    assert.deepEqual(JSON.parse(dataIn(m)[0].data), { data: { add: 42 } });
    assert.equal(dataIn(m)[0].meta?.operationType, 'mutation');
  });

  it('a result with errors is flagged with messages and paths, though the status is 200; a validation error too', async () => {
    const events = await runSession(gql(srv.httpUrl, ['{ hello boom }']));
    const [res] = dataIn(events);
    assert.equal(res.meta?.status, 200);
    assert.deepEqual(res.meta?.errors, [{ message: 'the boom field always fails', path: ['boom'] }]);
    assert.match(terminal(events).reason ?? '', /with errors/);
    const bad = await runSession(gql(srv.httpUrl, ['{ nosuchfield }']));
    assert.match(String((dataIn(bad)[0].meta?.errors as Array<{ message: string }>)[0].message), /Cannot query field "nosuchfield" on type "Query"/);
  });

  it('a refused connection and a bad document are one line each', async () => {
    const down = await runSession(gql('http://127.0.0.1:1/graphql', ['{ hello }']));
    assert.equal(terminal(down).state, 'failed');
    assert.match(ofKind(down, 'error')[0].message, /refused/i);
    const bad = await runSession(gql(srv.httpUrl, ['hello']));
    assert.equal(terminal(bad).state, 'failed');
    assert.match(terminal(bad).reason ?? '', /^not a GraphQL operation/);
  });
});

describe('GraphQL subscriptions over WebSocket', () => {
  it('graphql-transport-ws (graphql-ws useServer): connection_init/ack in words, results on the operation, --count sends complete first', async () => {
    const events = await runSession(gql(srv.wsUrl, ['subscription Ticks { ticks(intervalMs: 5) { seq } }'], { count: 3 }));
    checkInvariants(events);
    const open = ofKind(events, 'state').find((s) => s.state === 'open');
    assert.equal(open?.meta?.protocol, 'graphql-transport-ws');
    assert.equal(controls(events, 'connection_init')[0].data, 'connection_init (graphql-transport-ws)');
    assert.equal(controls(events, 'connection_ack').length, 1);
    assert.deepEqual(seqs(events), [1, 2, 3]);
    assert.ok(dataIn(events).every((f) => f.channel === 'Ticks'));
    const complete = controls(events, 'complete').find((f) => f.dir === 'out');
    assert.equal(complete?.data, 'complete Ticks');
    // complete goes out before the close frame.
    const all = frames(events);
    assert.ok(all.indexOf(complete!) < all.findIndex((f) => f.meta?.opcode === 8));
    assert.equal(terminal(events).state, 'closed');
  });

  it('several operations multiplexed on one connection, each on its channel; the server completes them and the session closes', async () => {
    const events = await runSession(gql(srv.wsUrl, ['subscription A { ticks(count: 3, intervalMs: 2) { seq } }', 'subscription B { ticks(count: 2, intervalMs: 3) { seq } }', 'query Q { hello }']));
    checkInvariants(events);
    assert.equal(controls(events, 'connection_ack').length, 1);
    assert.equal(dataIn(events).filter((f) => f.channel === 'A').length, 3);
    assert.equal(dataIn(events).filter((f) => f.channel === 'B').length, 2);
    assert.deepEqual(JSON.parse(dataIn(events).find((f) => f.channel === 'Q')!.data), { data: { hello: 'hello world' } });
    assert.equal(controls(events, 'complete').filter((f) => f.dir === 'in').length, 3);
    assert.equal(terminal(events).state, 'closed');
    assert.equal(terminal(events).reason, 'all operations complete');
  });

  it('the legacy subscriptions-transport-ws server under auto: the refused first pick is said, then graphql-ws with ka frames and results', async () => {
    const events = await runSession(gql(srv.legacyUrl, ['subscription { ticks(count: 3, intervalMs: 5) { seq } }']));
    checkInvariants(events);
    assert.match(controls(events, 'subprotocol')[0].data, /the server refused graphql-transport-ws \(close 1002\): trying graphql-ws alone/);
    assert.equal(ofKind(events, 'state').find((s) => s.state === 'open')?.meta?.protocol, 'graphql-ws');
    assert.deepEqual(seqs(events), [1, 2, 3]);
    assert.equal(dataIn(events)[0].channel, '1');
    assert.ok(controls(events, 'ka').every((f) => f.data === 'keep-alive (ka)'));
    assert.equal(terminal(events).state, 'closed');
  });

  it('the legacy protocol by name: an operation error, --count sends stop and connection_terminate; a rejected connection_init is one line', async () => {
    const events = await runSession(gql(srv.legacyUrl, ['subscription F { failing(after: 1) { seq } }', 'subscription T { ticks(intervalMs: 5) { seq } }'], { count: 3, graphql: { protocol: 'graphql-ws' } }));
    checkInvariants(events);
    assert.equal(dataIn(events).filter((f) => f.channel === 'F').length, 1);
    const errored = controls(events, 'error').find((f) => f.channel === 'F');
    assert.equal(errored?.data, 'error in F: the feed broke');
    assert.deepEqual(errored?.meta?.errors, [{ message: 'the feed broke' }]);
    assert.ok(controls(events, 'stop').some((f) => f.data === 'stop T'));
    assert.equal(controls(events, 'connection_terminate').length, 1);
    const rejected = await runSession(gql(srv.legacyUrl, ['subscription { ticks { seq } }'], { graphql: { protocol: 'graphql-ws', initPayload: { reject: true } } }));
    assert.equal(terminal(rejected).state, 'failed');
    assert.equal(ofKind(rejected, 'error').length, 1);
    assert.match(terminal(rejected).reason ?? '', /^connection_init rejected: not allowed here/);
  });

  it('a server that rejects connection_init (4403) fails with one line; the right token is acked; the payload values are never logged', async () => {
    const bad = await runSession(gql(srv.authUrl, ['subscription { ticks { seq } }'], { graphql: { initPayload: { token: 'wrong' } } }));
    assert.equal(terminal(bad).state, 'failed');
    assert.equal(ofKind(bad, 'error').length, 1);
    assert.equal(terminal(bad).reason, 'connection_init rejected: closed by server: 4403 Forbidden');
    const good = await runSession(gql(srv.authUrl, ['subscription { ticks(intervalMs: 2) { seq } }'], { count: 2, graphql: { initPayload: { token: AUTH_TOKEN } } }));
    assert.equal(dataIn(good).length, 2);
    assert.equal(controls(good, 'connection_init')[0].data, 'connection_init with payload (token) (graphql-transport-ws)');
    assert.ok(!JSON.stringify(good).includes(AUTH_TOKEN), 'the token appears in no event');
  });

  it('an error message for one operation is flagged; a field error in a result too; a validation error ends only that operation', async () => {
    const events = await runSession(gql(srv.wsUrl, ['subscription P { partial { seq } }', 'subscription N { nosuch }']));
    const errorCtl = controls(events, 'error')[0];
    assert.equal(errorCtl.channel, 'N');
    assert.match(errorCtl.data, /^error in N: Cannot query field "nosuch"/);
    const partial = dataIn(events).filter((f) => f.channel === 'P');
    assert.equal(partial.length, 3);
    assert.equal(partial.filter((f) => Array.isArray(f.meta?.errors)).length, 1);
    assert.deepEqual((partial[1].meta?.errors as Array<{ path: unknown }>)[0].path, ['partial', 'seq']);
    assert.equal(terminal(events).reason, 'all operations complete, with errors');
  });

  it('a dropped connection reconnects and sends the running subscription again, visibly', async () => {
    const before = srv.subscribes.length;
    const events = await runSession(gql(srv.wsUrl, ['subscription Live { ticks(intervalMs: 10) { seq } }'], { reconnect: { initialDelayMs: 50, jitter: 0 } }), async (s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 2);
      srv.dropClients();
      await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && dataIn(es).length >= 4, 10_000);
      await s.close('enough');
    });
    checkInvariants(events);
    assert.equal(ofKind(events, 'reconnect').length, 1);
    assert.equal(controls(events, 'connection_ack').length, 2);
    assert.equal(controls(events, 'resubscribe')[0].data, 're-subscribing 1 operation after the reconnect: Live');
    const subs = dataOut(events);
    assert.equal(subs.length, 2);
    assert.equal(subs[1].meta?.resubscribe, true);
    assert.equal(srv.subscribes.length - before, 2, 'the server saw the subscription twice');
    const reopened = ofKind(events, 'state').filter((s) => s.state === 'open')[1];
    assert.equal(reopened.meta?.reconnected, true);
  });

  it('--resume-variable after --resume-field $.data.ticks.seq: after a drop the subscription resumes after its last result, with no duplicate and no gap', async () => {
    const doc = 'subscription Live($after: Int) { resumable(after: $after) { seq } }';
    const events = await runSession(gql(srv.wsUrl, [doc], { reconnect: { initialDelayMs: 50, jitter: 0 }, graphql: { variables: { after: 0 }, resumeVariable: 'after', resumeField: '$.data.resumable.seq' } }), async (s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 3);
      srv.dropClients();
      await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && dataIn(es).length >= 8, 10_000);
      await s.close('enough');
    });
    checkInvariants(events);
    const line = controls(events, 'resubscribe')[0];
    const sent = dataOut(events);
    assert.equal(sent.length, 2);
    assert.deepEqual((JSON.parse(sent[0].data) as { variables: unknown }).variables, { after: 0 });
    // The value carried is the last seq received before the drop.
    const resumedAt = (JSON.parse(sent[1].data) as { variables: { after: number } }).variables.after;
    const before = dataIn(events).filter((f) => f.seq < line.seq);
    assert.equal(resumedAt, seqs(before, 'resumable').at(-1));
    assert.equal(line.data, `re-subscribing 1 operation after the reconnect: Live with after = ${resumedAt}`);
    assert.deepEqual(line.meta?.resumed, { variable: 'after', values: { Live: resumedAt } });
    // Every tick once, in order: 1, 2, 3, … across the reconnect.
    const all = seqs(events, 'resumable');
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
  });

  it('without a resume variable the same drop starts the subscription over: the duplicates are there to see', async () => {
    const doc = 'subscription Live { resumable { seq } }';
    const events = await runSession(gql(srv.wsUrl, [doc], { reconnect: { initialDelayMs: 50, jitter: 0 } }), async (s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 3);
      srv.dropClients();
      await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && dataIn(es).length >= 6, 10_000);
      await s.close('enough');
    });
    const line = controls(events, 'resubscribe')[0];
    const after = seqs(dataIn(events).filter((f) => f.seq > line.seq), 'resumable');
    assert.equal(after[0], 1, 'the server starts the subscription over');
  });

  it('--resume-variable without --resume-field (or a bad path) is one line before connecting; a result without the field is said once', async () => {
    for (const [graphql, re] of [
      [{ resumeVariable: 'after' }, /^--resume-variable and --resume-field go together/],
      [{ resumeVariable: 'after', resumeField: '$.data[' }, /^--resume-field: /],
    ] as const) {
      const events = await runSession(gql(srv.wsUrl, ['subscription { ticks { seq } }'], { graphql }));
      const t = terminal(events);
      assert.equal(t.state, 'failed');
      assert.match(t.reason ?? '', re);
      assert.equal(ofKind(events, 'state').filter((s) => s.state === 'connecting').length, 0, 'nothing was connected');
    }
    const events = await runSession(gql(srv.wsUrl, ['subscription T { ticks(intervalMs: 1) { seq } }'], { count: 3, graphql: { resumeVariable: 'after', resumeField: '$.data.tick.seq' } }));
    const miss = controls(events, 'resume-field-missing');
    assert.equal(miss.length, 1, 'said once, not per result');
    assert.equal(miss[0].data, '--resume-field $.data.tick.seq is not a string or number in this result of T: after a reconnect it resumes from the last value found (none yet: from where it started)');
    assert.equal(dataIn(events).length, 3);
  });

  it('the composer runs another operation on the live connection', async () => {
    const events = await runSession(gql(srv.wsUrl, ['subscription A { ticks(intervalMs: 10) { seq } }']), async (s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 1);
      await s.send({ data: 'query Hi { hello(name: "composer") }' });
      await waitFor(evs, (es) => dataIn(es).some((f) => f.channel === 'Hi'));
      await s.close('done');
    });
    assert.deepEqual(JSON.parse(dataIn(events).find((f) => f.channel === 'Hi')!.data), { data: { hello: 'hello composer' } });
    assert.equal(controls(events, 'connection_ack').length, 1);
  });
});

describe('GraphQL subscriptions over graphql-sse (distinct connections)', () => {
  it('a subscription over http: next events are results, complete ends it', async () => {
    const events = await runSession(gql(srv.sseUrl, ['subscription S { ticks(count: 3, intervalMs: 2) { seq } }']));
    checkInvariants(events);
    assert.equal(dataOut(events)[0].meta?.protocol, 'graphql-sse');
    assert.deepEqual(seqs(events), [1, 2, 3]);
    assert.ok(dataIn(events).every((f) => f.channel === 'S'));
    assert.equal(controls(events, 'complete').length, 1);
    assert.equal(terminal(events).state, 'closed');
  });

  it('--count stops the stream (said in a control frame); a result with a field error is flagged', async () => {
    const events = await runSession(gql(srv.sseUrl, ['subscription { ticks(intervalMs: 5) { seq } }'], { count: 2 }));
    assert.equal(dataIn(events).length, 2);
    assert.equal(controls(events, 'stop').length, 1);
    assert.equal(terminal(events).state, 'closed');
    const partial = await runSession(gql(srv.sseUrl, ['subscription { partial { seq } }']));
    assert.deepEqual(dataIn(partial).map((f) => f.meta?.errors), [undefined, [{ message: 'Cannot return null for non-nullable field Tick.seq.', path: ['partial', 'seq'] }], undefined]);
    assert.match(terminal(partial).reason ?? '', /with errors/);
  });
});

describe('GraphQL introspection and the CLI', () => {
  it('--list reads the query, mutation and subscription fields with argument and return types (over HTTP and over WebSocket)', async () => {
    for (const url of [srv.httpUrl, srv.wsUrl]) {
      const fields = await listGraphql({ pattern: 'graphql', url });
      const text = formatFields(fields);
      assert.match(text, /query:\n {2}hello\(name: String\): String\n {2}item\(id: String!\): Item/);
      assert.match(text, /mutation:\n {2}add\(a: Int!, b: Int!\): Int/);
      assert.match(text, /subscription:\n {2}ticks\(count: Int = 1000000, intervalMs: Int = 20\): Tick!/);
    }
    assert.throws(() => fieldsOf({ errors: [{ message: 'introspection is disabled' }] }), /introspection failed: introspection is disabled/);
  });

  it("the issue's line: subscription { ticks { seq } } --count 3 prints 3 results, in pretty and in ndjson", async () => {
    const r = await runCli(['connect', srv.wsUrl, '--pattern', 'graphql', '-d', 'subscription { ticks { seq } }', '--count', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => /← in .*\{"data":\{"ticks":\{"seq":\d\}\}\}/.test(l)).length, 3, r.stdout);
    const j = await runCli(['connect', srv.wsUrl, '--pattern', 'graphql', '-d', 'subscription { ticks { seq } }', '--count', '3', '--format', 'ndjson']);
    assert.equal(j.code, 0, j.stderr);
    const events = parseNdjson(j.stdout);
    checkInvariants(events);
    assert.deepEqual(seqs(events), [1, 2, 3]);
  });

  it('a result with errors exits 1 with one line, and pretty output marks the frame; --list prints the fields', async () => {
    const r = await runCli(['connect', srv.httpUrl, '--pattern', 'graphql', '-d', '{ hello boom }']);
    assert.equal(r.code, 1);
    assert.equal(assertOneLineError(r.stderr), 'wirescope: GraphQL errors: 1: the boom field always fails (at boom)');
    assert.match(r.stdout, /errors: the boom field always fails \(at boom\)/);
    const l = await runCli(['connect', srv.httpUrl, '--pattern', 'graphql', '--list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /subscription:\n {2}ticks\(/);
    const rejected = await runCli(['connect', srv.authUrl, '--pattern', 'graphql', '-d', 'subscription { ticks { seq } }', '--init-payload-env', 'GQL_INIT'], { env: { GQL_INIT: '{"token":"nope"}' } });
    assert.equal(rejected.code, 1);
    assert.equal(assertOneLineError(rejected.stderr), 'wirescope: connection_init rejected: closed by server: 4403 Forbidden');
  });
});

describe('GraphQL results as the server wrote them', () => {
  it('takes the payload text from a message whose payload is last, and writes it from the value otherwise', () => {
    const text = (m: string) => payloadText(m, JSON.parse(m) as { payload?: unknown });
    assert.equal(text('{"id":"1","type":"next","payload":{"data":{"a":"x\\"}"}}}'), '{"data":{"a":"x\\"}"}}');
    assert.equal(text('{"type":"data","id":"2","payload":{"data":null,"errors":[{"message":"m"}]}}'), '{"data":null,"errors":[{"message":"m"}]}');
    // Other orders, spaces, a payload key repeated: written from the parsed value.
    assert.equal(text('{"type":"next","payload":{"data":1},"id":"1"}'), '{"data":1}');
    assert.equal(text('{ "id": "1", "type": "next", "payload": {"data": 1} }'), '{"data":1}');
    assert.equal(text('{"id":"1","payload":{"data":0},"type":"next","payload":{"data":2}}'), '{"data":2}');
    assert.equal(text('{"id":{"x":","},"type":"next","payload":{"data":3}}'), '{"data":3}');
  });
});
