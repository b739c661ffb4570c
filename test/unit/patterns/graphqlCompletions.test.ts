// GraphQL field completions (the composer and the profile form): the host introspects real servers Wirescope
// did not write (graphql-http, graphql-ws's useServer, the legacy subscriptions-transport-ws server, and both
// with introspection disabled by graphql-js's NoSchemaIntrospectionCustomRule, test/helpers/graphql.ts) and
// turns the schema into completions whose document skeletons run as they are; the text functions say where a
// completion applies in a document being typed and what picking one does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionManager } from '../../../src/host/sessionManager';
import { completionsOf, graphqlCompletions, introspectionOptions } from '../../../src/patterns/graphql/completions';
import type { FrameEvent, WireEvent } from '../../../src/shared/events';
import { applyCompletion, completionContext, matchingCompletions, type GraphqlCompletion } from '../../../src/shared/graphqlCompletion';
import { documentAt, splitDocuments } from '../../../webview/profileForm/formFields';
import { startGraphqlServers, type GraphqlServers } from '../../helpers/graphql';
import { ofKind, runSession } from '../../helpers/servers';

let srv: GraphqlServers;
before(async () => {
  srv = await startGraphqlServers();
});
after(async () => {
  await srv.close();
});

const results = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control).map((f) => JSON.parse(f.data) as { data?: Record<string, unknown>; errors?: unknown });
const byName = (fields: GraphqlCompletion[], root: string, name: string) => {
  const f = fields.find((x) => x.root === root && x.name === name);
  assert.ok(f, `${root} ${name} is offered`);
  return f;
};

describe('GraphQL completions from a real server', () => {
  it('every root field with its arguments and return type, and a skeleton with required arguments and scalar subfields', async () => {
    const fields = await graphqlCompletions({ pattern: 'graphql', url: srv.httpUrl });
    assert.deepEqual(
      fields.map((f) => `${f.root} ${f.name}`),
      ['query hello', 'query item', 'query boom', 'mutation add', 'subscription ticks', 'subscription failing', 'subscription resumable', 'subscription partial'],
    );
    const ticks = byName(fields, 'subscription', 'ticks');
    assert.equal(ticks.detail, 'ticks(count: Int = 1000000, intervalMs: Int = 20): Tick!');
    assert.equal(ticks.type, 'Tick!');
    assert.equal(ticks.selection, 'ticks { seq at }');
    assert.equal(ticks.document, 'subscription { ticks { seq at } }');
    assert.equal(byName(fields, 'query', 'item').document, 'query { item(id: "") { id name tags } }', 'a required String argument gets "" and list-of-scalar fields are selected');
    assert.equal(byName(fields, 'query', 'hello').document, 'query { hello }', 'a scalar field has no selection set; its optional argument is left out');
    assert.equal(byName(fields, 'mutation', 'add').document, 'mutation { add(a: 0, b: 0) }');
  });

  it('the skeletons run as they are against the server: the subscription streams, the query and mutation answer', async () => {
    const fields = await graphqlCompletions({ pattern: 'graphql', url: srv.wsUrl });
    const sub = await runSession({ pattern: 'graphql', url: srv.wsUrl, count: 2, graphql: { documents: [byName(fields, 'subscription', 'ticks').document] } });
    assert.deepEqual(results(sub).map((r) => (r.data?.ticks as { seq: number }).seq), [1, 2]);
    const q = await runSession({ pattern: 'graphql', url: srv.httpUrl, graphql: { documents: [byName(fields, 'query', 'item').document, byName(fields, 'mutation', 'add').document] } });
    const answers = results(q);
    assert.equal(answers.length, 2);
    assert.ok(answers.every((r) => r.errors === undefined), JSON.stringify(answers));
    assert.deepEqual(answers.map((r) => r.data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ add: 0 }, { item: { id: '', name: 'item ', tags: ['a', 'b'] } }]);
  });

  it('a ws:// endpoint is asked over HTTP at the same path first (no second WebSocket); a WebSocket-only one over its protocol', async () => {
    const before = srv.connections();
    const viaHttp = await graphqlCompletions({ pattern: 'graphql', url: srv.wsUrl });
    assert.equal(viaHttp.length, 8);
    assert.equal(srv.connections(), before, 'no WebSocket was opened: the same path answers over HTTP');
    // The legacy server answers nothing over HTTP (404): the introspection goes over subscriptions-transport-ws.
    const inits = srv.inits.length;
    const legacy = await graphqlCompletions({ pattern: 'graphql', url: srv.legacyUrl });
    assert.equal(byName(legacy, 'subscription', 'ticks').document, 'subscription { ticks { seq at } }');
    assert.equal(srv.inits.length, inits + 1, 'one connection_init on the legacy server');
  });

  it('introspection disabled, a refused port, a server that is not GraphQL: one line each', async () => {
    await assert.rejects(graphqlCompletions({ pattern: 'graphql', url: srv.closedUrl }), (e: Error) => {
      assert.match(e.message, /^introspection failed: GraphQL introspection has been disabled/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    await assert.rejects(graphqlCompletions({ pattern: 'graphql', url: srv.closedUrl.replace('ws://', 'http://') }), /^Error: introspection failed: GraphQL introspection has been disabled/);
    await assert.rejects(graphqlCompletions({ pattern: 'graphql', url: 'http://127.0.0.1:1/graphql' }), (e: Error) => !e.message.includes('\n') && /refused|ECONNREFUSED/i.test(e.message));
    assert.throws(() => completionsOf({ data: { hello: 'x' } }), /introspection failed: the result has no __schema/);
  });

  it('the introspection takes the endpoint, headers, TLS and init payload, and nothing that acts', () => {
    const o = introspectionOptions({
      pattern: 'graphql',
      url: 'wss://h/graphql',
      headers: { authorization: 'Bearer t' },
      tls: { insecure: true },
      send: ['x'],
      count: 3,
      durationMs: 10,
      idField: '$.seq',
      graphql: { documents: ['subscription { a }'], initPayload: { token: 't' }, protocol: 'graphql-ws', variables: { a: 1 } },
    });
    assert.deepEqual(o, { pattern: 'graphql', url: 'wss://h/graphql', headers: { authorization: 'Bearer t' }, tls: { insecure: true }, graphql: { initPayload: { token: 't' }, protocol: 'graphql-ws' } });
  });

  it("the session manager introspects a live session's server once, and says in one line why there are no fields", async () => {
    const manager = new SessionManager();
    try {
      const live = await manager.start({ name: 'ticks', options: { pattern: 'graphql', url: srv.wsUrl, graphql: { documents: ['subscription { ticks(intervalMs: 50) { seq } }'] } }, profile: { name: 'ticks', pattern: 'graphql', url: srv.wsUrl } });
      const r = await manager.graphqlFields(live.id);
      assert.equal(r.error, undefined);
      assert.equal(byName(r.fields, 'subscription', 'ticks').document, 'subscription { ticks { seq at } }');
      assert.equal(manager.graphqlFields(live.id), manager.graphqlFields(live.id), 'asked once per session');
      const closed = await manager.start({ name: 'closed', options: { pattern: 'graphql', url: srv.closedUrl, graphql: { documents: ['subscription { ticks(intervalMs: 50) { seq } }'] } }, profile: { name: 'closed', pattern: 'graphql', url: srv.closedUrl } });
      const none = await manager.graphqlFields(closed.id);
      assert.deepEqual(none.fields, []);
      assert.match(none.error ?? '', /^introspection failed: GraphQL introspection has been disabled/);
      // The session itself goes on: its subscription results keep coming.
      const deadline = Date.now() + 10_000;
      while (results(closed.log.range(1)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(results(closed.log.range(1)).length >= 2, 'the subscription results keep coming');
      const ws = await manager.start({ name: 'ws', options: { pattern: 'ws', url: srv.wsUrl }, profile: { name: 'ws', pattern: 'ws', url: srv.wsUrl } });
      assert.match((await manager.graphqlFields(ws.id)).error ?? '', /for GraphQL sessions/);
    } finally {
      await manager.dispose();
    }
  });
});

const F = (root: GraphqlCompletion['root'], name: string, selection: string): GraphqlCompletion => ({ root, name, detail: `${name}: T`, type: 'T', selection, document: `${root} { ${selection} }` });
const ALL = [F('query', 'hello', 'hello'), F('query', 'item', 'item(id: "") { id }'), F('subscription', 'ticks', 'ticks { seq }'), F('subscription', 'tickets', 'tickets { id }'), F('mutation', 'add', 'add(a: 0)')];
/** Type `text` (the caret at `|`), pick `name`: the resulting text with the caret as `|`. */
function typeAndPick(typed: string, name: string): string {
  const caret = typed.indexOf('|');
  const text = typed.replace('|', '');
  const ctx = completionContext(text, caret);
  assert.ok(ctx, `completions apply in ${JSON.stringify(typed)}`);
  const c = matchingCompletions(ALL, ctx).find((x) => x.name === name);
  assert.ok(c, `${name} is offered in ${JSON.stringify(typed)}`);
  const r = applyCompletion(text, ctx, c);
  return `${r.text.slice(0, r.caret)}|${r.text.slice(r.caret)}`;
}

describe('GraphQL completions in a document being typed', () => {
  it('offers the fields of the operation type being written, best matches first', () => {
    const names = (typed: string) => {
      const ctx = completionContext(typed.replace('|', ''), typed.indexOf('|'));
      return ctx ? matchingCompletions(ALL, ctx).map((c) => c.name) : undefined;
    };
    assert.deepEqual(names('subscription { ti|'), ['ticks', 'tickets']);
    assert.deepEqual(names('subscription { |'), ['ticks', 'tickets']);
    assert.deepEqual(names('query Q { i|'), ['item']);
    assert.deepEqual(names('{ he|'), ['hello'], 'an anonymous { } is a query');
    assert.deepEqual(names('mutation |'), ['add']);
    assert.deepEqual(names('sub|'), ['ticks', 'tickets'], 'the start of a keyword offers that root');
    assert.deepEqual(names('|'), ['hello', 'item', 'ticks', 'tickets', 'add']);
    assert.deepEqual(names('tic|'), ['ticks', 'tickets']);
    // Not where a root field goes: arguments, a subselection, a string, after a complete operation.
    assert.equal(names('query { item(id: |'), undefined);
    assert.equal(names('subscription { ticks { s|'), undefined);
    assert.equal(names('query { hello(name: "he|'), undefined);
    assert.equal(names('query { hello } he|'), undefined);
  });

  it('picking puts in a document, an operation after its keyword, or a selection with its braces closed', () => {
    assert.equal(typeAndPick('|', 'ticks'), 'subscription { ticks { seq } }|');
    assert.equal(typeAndPick('tic|', 'ticks'), 'subscription { ticks { seq } }|');
    assert.equal(typeAndPick('subscription |', 'ticks'), 'subscription { ticks { seq } }|');
    assert.equal(typeAndPick('subscription ti|', 'ticks'), 'subscription { ticks { seq } }|');
    assert.equal(typeAndPick('subscription { ti|', 'ticks'), 'subscription { ticks { seq }| }');
    assert.equal(typeAndPick('subscription S { ti| }', 'tickets'), 'subscription S { tickets { id }| }');
    assert.equal(typeAndPick('query { hello it|', 'item'), 'query { hello item(id: "") { id }| }');
    assert.equal(typeAndPick('query { he|llo }', 'hello'), 'query { hello| }', 'the whole word under the caret is replaced');
  });

  it("the profile form's documents: blocks split by --- lines, the block under the caret", () => {
    assert.deepEqual(splitDocuments('query { a(x: 1, y: 2) }\n---\nsubscription {\n  b\n}\n---\n\n'), ['query { a(x: 1, y: 2) }', 'subscription {\n  b\n}']);
    const text = 'query { a }\n---\nsubscription { ti';
    const seg = documentAt(text, text.length);
    assert.equal(text.slice(seg.start, seg.end).trim(), 'subscription { ti');
    const first = documentAt(text, 5);
    assert.equal(text.slice(first.start, first.end).trim(), 'query { a }');
  });
});
