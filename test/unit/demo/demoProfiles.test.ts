// The profiles `npm start` writes for the demo backend (the demo's index route, from src/demo/demoProfiles.ts):
// the streams of feed events name their id field, so a lossy reconnect is flagged and an undisturbed run is
// clean, and the webhook receiver checks the demo sender's signatures (recognised by header, no scheme
// configured) with the secret named by ${env:…}, which the index never serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveProfile } from '../../../src/core/profiles';
import { Session } from '../../../src/core/session';
import { startDemo } from '../../../src/demo';
import type { Profile } from '../../../src/shared/profile';
import type { AnomalyEvent, FrameEvent, WireEvent } from '../../../src/shared/events';
import { ofKind, waitFor } from '../../helpers/servers';

const SECRET = 'demo-profiles-test-secret';
const SECRET_ENV = 'WIRESCOPE_DEMO_WEBHOOK_SECRET';

async function withDemo(fn: (profiles: Profile[]) => Promise<void>, rate = 40): Promise<void> {
  const probe = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0 });
  const webhookPort = Number(new URL(probe.urls.index).port);
  await probe.close();
  const demo = await startDemo({ host: '127.0.0.1', port: 0, mqttPort: 0, grpcPort: 0, rate, webhookUrl: `http://127.0.0.1:${webhookPort}/hook`, webhookSecret: SECRET, webhookSecretEnv: SECRET_ENV });
  try {
    const index = await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json() as { profiles: Profile[] };
    assert.ok(!JSON.stringify(index).includes(SECRET), 'the index never serves the secret');
    await fn(index.profiles);
  } finally {
    await demo.close();
  }
}

async function open(profile: Profile): Promise<{ session: Session; events: WireEvent[] }> {
  const resolved = await resolveProfile(profile, {
    env: (name) => (name === SECRET_ENV ? SECRET : undefined),
    secret: async () => undefined,
    readFile: async () => '',
  });
  const session = new Session(resolved.options);
  const events: WireEvent[] = [];
  session.onEvent((e) => events.push(e));
  await session.start();
  return { session, events };
}

const dataIn = (events: WireEvent[]) => ofKind(events, 'frame').filter((f: FrameEvent) => f.dir === 'in' && f.meta?.control !== true);

/** What running each demo profile must show: read until `done`, then `check`. Every demo profile has an entry. */
const gapSeen = (es: WireEvent[]) => es.some((e) => e.kind === 'anomaly' && e.type === 'gap');

/**
 * Reconnect (at most 5 times, 2 s apart) until one reconnect loses events: the feed (500 events/s here) goes on while
 * the connection is down and a new one starts from now, but under load the feed's timer can fire in bursts, and a
 * reconnect that lands between two bursts loses nothing.
 */
async function reconnectUntilGap(session: Session, events: WireEvent[]): Promise<void> {
  for (let attempt = 0; attempt < 5 && !gapSeen(events); attempt++) {
    session.reconnect();
    await waitFor(events, gapSeen, 2_000).catch(() => undefined);
  }
}

const RUNS: Record<string, { done: (es: WireEvent[]) => boolean; check: (es: WireEvent[], p: Profile) => void }> = {};
const ended = (es: WireEvent[]) => es.some((e) => e.kind === 'state' && (e.state === 'closed' || e.state === 'failed'));
const jsonIn = (es: WireEvent[]) => dataIn(es).map((f) => JSON.parse(String(f.data)) as Record<string, unknown>);
const lastState = (es: WireEvent[]) => ofKind(es, 'state').pop();
for (const name of ['WebSocket feed', 'SSE feed', 'HTTP stream', 'Socket.IO feed', 'MQTT feed', 'Webhook receiver', 'Short polling', 'Long polling']) {
  RUNS[name] = { done: (es) => dataIn(es).length >= 3, check: (es) => assert.ok(dataIn(es).length >= 3) };
}
RUNS['REST items'] = {
  done: ended,
  check: (es) => {
    assert.equal(lastState(es)?.state, 'closed');
    assert.ok(Array.isArray(jsonIn(es)[0]), 'the items list');
  },
};
RUNS['Async job'] = { done: ended, check: (es) => assert.equal(lastState(es)?.state, 'closed') };
RUNS['GraphQL query'] = {
  done: ended,
  check: (es) => {
    const [result] = jsonIn(es) as Array<{ data?: { latest?: { seq?: number }; feed?: { cursor?: number } }; errors?: unknown }>;
    assert.equal(result.errors, undefined);
    assert.ok((result.data?.latest?.seq ?? 0) >= 1 && (result.data?.feed?.cursor ?? 0) >= (result.data?.latest?.seq ?? 0), JSON.stringify(result));
    assert.deepEqual([lastState(es)?.state, lastState(es)?.code], ['closed', 200]);
  },
};
for (const [name, wire] of [['GraphQL subscription (graphql-ws)', 'graphql-transport-ws'], ['GraphQL subscription (legacy graphql-ws)', 'graphql-ws'], ['GraphQL subscription (SSE)', 'graphql-sse']]) {
  RUNS[name] = {
    done: (es) => dataIn(es).length >= 3,
    check: (es) => {
      const seqs = (jsonIn(es) as Array<{ data: { ticks: { seq: number } } }>).map((r) => r.data.ticks.seq);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `${name}: ${seqs.join(',')}`);
      assert.ok(dataIn(es).every((f) => f.meta?.protocol === wire), `${name} speaks ${wire}`);
    },
  };
}
RUNS['gRPC Watch'] = {
  // The profile streams until cancelled; the run takes 5 (count).
  done: ended,
  check: (es) => {
    const seqs = jsonIn(es).map((m) => Number(m.seq));
    assert.equal(seqs.length, 5);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seq increasing by one: ${seqs.join(',')}`);
    assert.equal(lastState(es)?.state, 'closed');
  },
};
RUNS['gRPC Get'] = {
  done: ended,
  check: (es) => {
    const [event] = jsonIn(es);
    assert.match(String(event.seq), /^\d+$/, 'the latest event');
    assert.deepEqual([lastState(es)?.state, lastState(es)?.code], ['closed', 0]);
  },
};
RUNS['gRPC Chat'] = {
  // keepSending: the call stays open for the composer after the echo of the start-up message.
  done: (es) => dataIn(es).length >= 1,
  check: (es) => {
    assert.equal(jsonIn(es)[0].text, 'echo: hello from Wirescope');
    assert.equal(lastState(es)?.state, 'open');
  },
};

describe('demo profiles served by the demo index (what npm start writes)', () => {
  it('every demo profile runs against the demo and shows what it is for', async () => {
    await withDemo(async (profiles) => {
      assert.deepEqual(profiles.map((p) => p.name).sort(), Object.keys(RUNS).sort(), 'a check for every demo profile');
      for (const profile of profiles) {
        const run = RUNS[profile.name];
        const { session, events } = await open(profile.name === 'gRPC Watch' ? { ...profile, count: 5 } : profile);
        try {
          await waitFor(events, run.done, 15_000).catch(() => assert.fail(`${profile.name}: ${JSON.stringify(events.slice(-3))}`));
          run.check(events, profile);
        } finally {
          await session.close();
        }
        assert.deepEqual(ofKind(events, 'error').map((e) => `${e.code}: ${e.message}`), [], `${profile.name}: no error row`);
        assert.deepEqual(ofKind(events, 'anomaly').map((a) => `${a.type} ${a.key}`), [], `${profile.name}: no anomaly`);
      }
    });
  });

  it('every stream of feed events names its id field, and an undisturbed run has no anomaly', async () => {
    await withDemo(async (profiles) => {
      const byName = new Map(profiles.map((p) => [p.name, p]));
      assert.deepEqual(
        Object.fromEntries(profiles.filter((p) => p.idField).map((p) => [p.name, p.idField])),
        { 'WebSocket feed': '$.seq', 'SSE feed': 'sse-id', 'HTTP stream': '$.seq', 'Socket.IO feed': '$[0].seq', 'Webhook receiver': 'header:X-Wirescope-Seq', 'MQTT feed': 'prop:seq',
          'GraphQL subscription (graphql-ws)': '$.data.ticks.seq', 'GraphQL subscription (legacy graphql-ws)': '$.data.ticks.seq', 'GraphQL subscription (SSE)': '$.data.ticks.seq', 'gRPC Watch': '$.seq' },
      );
      assert.deepEqual(
        Object.fromEntries(profiles.filter((p) => p.idChannel).map((p) => [p.name, p.idChannel])),
        { 'Socket.IO feed': 'tick', 'MQTT feed': 'feed/ticks' },
      );
      for (const name of ['WebSocket feed', 'SSE feed', 'HTTP stream', 'Socket.IO feed', 'Webhook receiver', 'MQTT feed', 'gRPC Watch', 'GraphQL subscription (graphql-ws)', 'GraphQL subscription (legacy graphql-ws)', 'GraphQL subscription (SSE)']) {
        const { session, events } = await open(byName.get(name)!);
        try {
          // MQTT: feed/# also brings the label and retained "latest" copies of each event, without the property.
          await waitFor(events, (es) => dataIn(es).length >= 12, 10_000);
        } finally {
          await session.close();
        }
        assert.deepEqual(ofKind(events, 'anomaly').map((a: AnomalyEvent) => `${a.type} ${a.key}`), [], `${name}: no anomaly`);
        // Nor a red row for messages that carry no id (a Socket.IO welcome, MQTT's label and latest copies): idChannel narrows the check.
        assert.deepEqual(ofKind(events, 'error').map((e) => `${e.code}: ${e.message}`), [], `${name}: no error row`);
        // The check really ran: frames were identified by the field (not skipped as unidentifiable).
        const idCheck = ofKind(events, 'summary').pop()?.idCheck as { checked?: number } | undefined;
        assert.ok((idCheck?.checked ?? 0) >= 4, `${name}: ${idCheck?.checked ?? 0} frames checked by id`);
        if (name === 'Webhook receiver') {
          const metas = dataIn(events).map((f) => f.meta ?? {});
          assert.ok(metas.length >= 12);
          for (const m of metas) {
            assert.equal(m.signature, 'valid', `webhook call signed and checked: ${JSON.stringify(m.signatureReason)}`);
            assert.equal(m.signatureScheme, 'standard-webhooks');
          }
        }
      }
    });
  });

  it('a reconnect that loses events is flagged as a gap (WebSocket: no resume)', async () => {
    await withDemo(async (profiles) => {
      const { session, events } = await open(profiles.find((p) => p.name === 'WebSocket feed')!);
      try {
        await waitFor(events, (es) => dataIn(es).length >= 5, 10_000);
        // A user-requested reconnect connects again at once, but the demo's WebSocket has no resume.
        await reconnectUntilGap(session, events);
        assert.ok(gapSeen(events), 'one of five reconnects under a 500 events/s feed lost events, flagged as a gap');
      } finally {
        await session.close();
      }
      const gap = ofKind(events, 'anomaly').find((a) => a.type === 'gap')!;
      assert.ok(Array.isArray(gap.meta?.range), 'the gap names the missing range');
    }, 500);
  });

  it('a reconnect of a GraphQL subscription (WebSocket and graphql-sse) re-sends it, and the events lost meanwhile are flagged as a gap', async () => {
    await withDemo(async (profiles) => {
      for (const name of ['GraphQL subscription (graphql-ws)', 'GraphQL subscription (legacy graphql-ws)', 'GraphQL subscription (SSE)']) {
        const { session, events } = await open(profiles.find((p) => p.name === name)!);
        try {
          await waitFor(events, (es) => dataIn(es).length >= 5, 10_000);
          // As for the WebSocket feed: a new subscription starts from now.
          await reconnectUntilGap(session, events);
          assert.ok(gapSeen(events), `${name}: one of five reconnects under a 500 events/s feed lost events, flagged as a gap`);
        } finally {
          await session.close();
        }
        assert.ok(ofKind(events, 'frame').some((f) => f.dir === 'out' && f.meta?.type === 'resubscribe'), `${name}: the re-subscription is said in a control frame`);
      }
    }, 500);
  });
});
