/** The webhook receiver binds to loopback unless the user picks another address, and warns when they do. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StateEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

async function openReceiver(listen?: string) {
  return runSession({ pattern: 'webhook', url: 'webhook:', webhook: listen === undefined ? {} : { listen } }, async (s, events) => {
    await waitFor(events, (es) => ofKind(es, 'state').some((e) => e.state === 'open' || e.state === 'failed'));
    const open = ofKind(events, 'state').find((e) => e.state === 'open');
    if (open?.url) {
      // A real call to the receiver on loopback, so the open listener is proven to work.
      const port = new URL(open.url).port;
      const res = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: 'x' });
      await res.arrayBuffer();
    }
    await s.close('done');
  });
}

describe('webhook receiver binding', () => {
  it('binds to 127.0.0.1 by default, with no warning', async () => {
    const events = await openReceiver();
    checkInvariants(events);
    const open = ofKind(events, 'state').find((e) => e.state === 'open') as StateEvent;
    assert.match(String(open.meta?.listen), /^127\.0\.0\.1:\d+$/);
    assert.match(open.url ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!ofKind(events, 'error').some((e) => e.code === 'WARN_NON_LOOPBACK'));
    assert.ok(ofKind(events, 'frame').some((f) => f.dir === 'in' && f.data === 'x'), 'the call was received');
  });

  it('a port alone still binds to loopback', async () => {
    const events = await openReceiver(':0');
    const open = ofKind(events, 'state').find((e) => e.state === 'open') as StateEvent;
    assert.match(String(open.meta?.listen), /^127\.0\.0\.1:\d+$/);
    assert.ok(!ofKind(events, 'error').some((e) => e.code === 'WARN_NON_LOOPBACK'));
  });

  it('an explicit non-loopback address (0.0.0.0) is honoured with a visible warning', async () => {
    const events = await openReceiver('0.0.0.0:0');
    checkInvariants(events);
    const open = ofKind(events, 'state').find((e) => e.state === 'open') as StateEvent;
    assert.match(String(open.meta?.listen), /^0\.0\.0\.0:\d+$/);
    const warn = ofKind(events, 'error').find((e) => e.code === 'WARN_NON_LOOPBACK');
    assert.ok(warn, 'a warning event');
    assert.match(warn.message, /non-loopback address 0\.0\.0\.0: other machines can reach this receiver/);
    // The warning comes before the receiver is announced as open.
    assert.ok(events.indexOf(warn) < events.indexOf(open));
  });
});
