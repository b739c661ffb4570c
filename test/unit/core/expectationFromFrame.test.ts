/**
 * "Add Expectation from Frame" without the editor: a real frame from a real server becomes a receive
 * expectation, appended to the profile in the file text with its layout kept, and that expectation
 * passes when the profile runs again against the same server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectationFromFrame, jsonLeaves } from '../../../src/core/expectations';
import { appendExpectationInText, parseProfilesText, resolveProfile } from '../../../src/core/profiles';
import { runProfileTest } from '../../../src/core/profileTest';
import type { FrameEvent } from '../../../src/shared/events';
import type { Profile } from '../../../src/shared/profile';
import { runSession, wsServer, type WsTestServer } from '../../helpers/servers';

const FILE = `{
  // team profiles
  "profiles": [
    {
      "name": "orders",
      "pattern": "ws",
      "url": "URL",
      "send": ["sub"],
      "expect": [
        { "noReceive": { "match": "error" } } // keep this comment
      ]
    },
    { "name": "plain", "pattern": "ws", "url": "URL", "send": ["hello there (1+1)?"] }
  ]
}
`;

describe('Add Expectation from Frame (core)', () => {
  let srv: WsTestServer;
  before(async () => {
    srv = await wsServer((wss) =>
      wss.on('connection', (sock) =>
        sock.on('message', (m) => {
          if (m.toString() === 'sub') sock.send(JSON.stringify({ type: 'order', id: 'A-1', items: [{ sku: 'x', qty: 2 }], at: Date.now() }));
          else sock.send(m.toString());
        }),
      ),
    );
  });
  after(() => srv.close());

  async function firstInbound(send: string): Promise<FrameEvent> {
    const events = await runSession({ pattern: 'ws', url: `${srv.url}/`, send: [send], count: 1 });
    const f = events.find((e): e is FrameEvent => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control);
    assert.ok(f, 'an inbound frame');
    return f;
  }

  it('lists the JSON values of a frame with their paths', async () => {
    const f = await firstInbound('sub');
    const leaves = jsonLeaves(JSON.parse(f.data));
    assert.deepEqual(leaves.map((l) => l.path), ['$.type', '$.id', '$.items[0].sku', '$.items[0].qty', '$.at']);
    assert.deepEqual(jsonLeaves({ 'odd key': { "it's": 1 } }), [{ path: "$['odd key']['it\\'s']", value: 1 }]);
  });

  it('a JSON frame with picked paths: appended to the profile with comments kept, valid, and passing on the next run', async () => {
    const f = await firstInbound('sub');
    const expectation = expectationFromFrame(f, ['$.type', '$.items[0].qty']);
    assert.deepEqual(expectation, { receive: { json: [{ path: '$.type', equals: 'order' }, { path: '$.items[0].qty', equals: 2 }] } });
    const text = FILE.replaceAll('URL', `${srv.url}/`);
    const after = appendExpectationInText(text, 'orders', expectation);
    // The comment stays with its item; the new item is on its own line, in the layout of its neighbour.
    const added = '        { "receive": { "json": [{ "path": "$.type", "equals": "order" }, { "path": "$.items[0].qty", "equals": 2 }] } }\n';
    assert.ok(after.includes('        { "noReceive": { "match": "error" } }, // keep this comment\n' + added), after);
    assert.equal(after.replace(added, '').replace('}, // keep', '} // keep'), text, 'nothing else changed');
    const parsed = parseProfilesText(after);
    const orders = parsed.profiles.find((p) => p.profile.name === 'orders')!;
    assert.equal(orders.valid, true, JSON.stringify(orders.problems));
    assert.equal(orders.profile.expect?.length, 2);
    const { options } = await resolveProfile(orders.profile, { env: () => undefined, secret: async () => undefined, readFile: async () => '' });
    const result = await runProfileTest(orders.profile, options);
    assert.equal(result.status, 'passed', JSON.stringify(result.expectations));
  });

  it('a text frame: an anchored, escaped match, and a profile without expect gets the list', async () => {
    const f = await firstInbound('hello there (1+1)?');
    const expectation = expectationFromFrame(f);
    assert.deepEqual(expectation, { receive: { match: '^hello there \\(1\\+1\\)\\?$' } });
    const after = appendExpectationInText(FILE.replaceAll('URL', `${srv.url}/`), 'plain', expectation);
    const plain = parseProfilesText(after).profiles.find((p) => p.profile.name === 'plain')!;
    assert.ok(after.includes('"send": ["hello there (1+1)?"], "expect": [{ "receive": { "match": "^hello there \\\\(1\\\\+1\\\\)\\\\?$" } }] }'), after);
    const { options } = await resolveProfile(plain.profile as Profile, { env: () => undefined, secret: async () => undefined, readFile: async () => '' });
    assert.equal((await runProfileTest(plain.profile, options)).status, 'passed');
    assert.throws(() => appendExpectationInText('{ "profiles": [', 'plain', expectation), /not valid JSON/);
    assert.throws(() => appendExpectationInText(FILE, 'nope', expectation), /No profile named "nope"/);
  });
});
