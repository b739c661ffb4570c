import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Disposable } from '../../../src/core/emitter';
import { InspectorEndpoint, type InspectorBackend, type WebviewLike } from '../../../src/host/inspectorEndpoint';
import { sessionManagerBackend } from '../../../src/host/inspectorBackend';
import { SessionManager } from '../../../src/host/sessionManager';
import type { WireEvent } from '../../../src/shared/events';
import type { HostMessage } from '../../../src/shared/protocol';
import { wsServer } from '../../helpers/servers';

/** A stand-in for VS Code's webview: records what the host posts and lets the test speak for the page. */
class FakeWebview implements WebviewLike {
  visible = true;
  posted: HostMessage[] = [];
  private listener: ((m: unknown) => void) | undefined;
  postMessage(m: unknown): Promise<boolean> {
    // Like VS Code: a hidden webview silently loses messages. Recording them anyway would hide bugs.
    if (this.visible) this.posted.push(JSON.parse(JSON.stringify(m)) as HostMessage);
    return Promise.resolve(this.visible);
  }
  onDidReceiveMessage(l: (m: unknown) => void): Disposable {
    this.listener = l;
    return { dispose: () => (this.listener = undefined) };
  }
  emit(m: unknown): void {
    this.listener?.(m);
  }
  private nextId = 1;
  async request(method: string, params: unknown): Promise<HostMessage & { type: 'res' }> {
    const id = this.nextId++;
    this.emit({ type: 'req', id, method, params });
    const until = Date.now() + 5000;
    for (;;) {
      const r = this.posted.find((m) => m.type === 'res' && m.id === id);
      if (r) return r as HostMessage & { type: 'res' };
      if (Date.now() > until) throw new Error(`no answer to ${method}`);
      await new Promise((res) => setTimeout(res, 2));
    }
  }
  notes(method: string): Array<Record<string, unknown>> {
    return this.posted.filter((m) => m.type === 'note' && m.method === method).map((m) => (m as { params: Record<string, unknown> }).params);
  }
}

function backendFor(manager: SessionManager, calls: string[], intervalMs = 40): InspectorBackend {
  return sessionManagerBackend(manager, {
    exportLog: (id, f) => void calls.push(`export ${id} ${f}`),
    copy: (t) => void calls.push(`copy ${t}`),
    saveTemplate: (id, n) => void calls.push(`template ${id} ${n}`),
    batchIntervalMs: () => intervalMs,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('inspector endpoint', () => {
  it('answers Ready/SetFilter/GetRows/GetEvent/GetTimeline from the log and batches a 3000-frame flood into few DidAppend notes', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) =>
        s.on('message', (m) => {
          if (String(m) === 'flood') for (let i = 0; i < 3000; i++) s.send(JSON.stringify({ i, pw: 'hunter22' }));
        }),
      ),
    );
    const manager = new SessionManager();
    const webview = new FakeWebview();
    const calls: string[] = [];
    const endpoint = new InspectorEndpoint(webview, backendFor(manager, calls), { view: 'sidebar' });
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'flood', profile: { name: 'flood', pattern: 'ws', url: srv.url }, secretValues: ['hunter22'] });
      await until(() => m.session.state === 'open');
      const ready = await webview.request('webview/ready', {});
      assert.equal(ready.ok, true);
      const r = (ready as { result: { sessions: Array<{ id: string; state: string; canSend: boolean }>; selected: string } }).result;
      assert.equal(r.selected, m.id);
      assert.equal(r.sessions[0].state, 'open');
      assert.equal(r.sessions[0].canSend, true);

      const f = (await webview.request('log/setFilter', { sessionId: m.id, filter: { kinds: ['frame'], hideControl: true } })) as { ok: true; result: { filterId: number; total: number } };
      assert.equal(f.ok, true);
      const filterId = f.result.filterId;
      const postedBefore = webview.posted.length;
      const t0 = Date.now();
      const sent = await webview.request('session/send', { sessionId: m.id, data: 'flood', encoding: 'text' });
      assert.equal(sent.ok, true);
      await until(() => webview.notes('log/didAppend').some((n) => n.total === 3001), 10_000);
      const elapsed = Date.now() - t0;
      const appends = webview.notes('log/didAppend');
      // One note per batch interval at most (plus slack for timer jitter), never one per frame.
      assert.ok(appends.length <= Math.ceil(elapsed / 40) + 3, `${appends.length} DidAppend notes in ${elapsed} ms`);
      assert.ok(webview.posted.length - postedBefore < 200, 'posts stay far below the 3001 events');
      const last = appends.at(-1)! as { filterId: number; total: number; tail: WireEvent[]; stats: { framesIn: number } };
      assert.equal(last.filterId, filterId);
      assert.ok(last.tail.length > 0 && last.tail.length <= 200);
      assert.ok(last.stats.framesIn >= 3000);
      const tailText = JSON.stringify(appends.map((a) => a.tail));
      assert.ok(!tailText.includes('hunter22'), 'secret values redacted in notifications');

      const rows = (await webview.request('log/getRows', { sessionId: m.id, filterId, start: 100, count: 50 })) as { ok: true; result: { rows: WireEvent[]; total: number; start: number } };
      assert.equal(rows.result.rows.length, 50);
      assert.equal(rows.result.start, 100);
      const frame = rows.result.rows[0] as WireEvent & { data: string };
      assert.equal(frame.kind, 'frame');
      assert.match(frame.data, /"pw":"\[secret\]"/);
      const one = (await webview.request('log/getEvent', { sessionId: m.id, seq: frame.seq })) as { ok: true; result: { event: WireEvent } };
      assert.equal(one.result.event.seq, frame.seq);
      const missing = (await webview.request('log/getEvent', { sessionId: m.id, seq: 999_999 })) as { ok: true; result: { event: null } };
      assert.equal(missing.result.event, null);
      const tl = (await webview.request('log/getTimeline', { sessionId: m.id })) as { ok: true; result: { events: WireEvent[] } };
      assert.ok(tl.result.events.some((e) => e.kind === 'state' && e.state === 'open'));
      assert.ok(tl.result.events.every((e) => e.kind !== 'frame'));

      webview.emit({ type: 'cmd', method: 'log/export', params: { sessionId: m.id, format: 'har' } });
      webview.emit({ type: 'cmd', method: 'clipboard/copy', params: { text: 'x' } });
      await until(() => calls.length === 2);
      assert.deepEqual(calls, [`export ${m.id} har`, 'copy x']);
    } finally {
      endpoint.dispose();
      await manager.dispose();
      await srv.close();
    }
  });

  it('rejects malformed messages with an error response and never throws', async () => {
    const manager = new SessionManager();
    const webview = new FakeWebview();
    const endpoint = new InspectorEndpoint(webview, backendFor(manager, []), { view: 'sidebar' });
    try {
      for (const bad of [null, 42, 'str', [], { type: 'evil' }, { type: 'cmd', method: 'fs/readFile', params: {} }, { type: 'cmd', method: 'session/ping', params: { sessionId: 5 } }]) {
        webview.emit(bad);
      }
      const badReq = [
        { type: 'req', id: 1, method: 'log/getRows', params: { sessionId: 'x', filterId: 0, start: -1, count: 10 } },
        { type: 'req', id: 2, method: 'log/getRows', params: { sessionId: 'x', filterId: 0, start: 0, count: 1e9 } },
        { type: 'req', id: 3, method: 'log/setFilter', params: { sessionId: 'x', filter: { regexp: true } } },
        { type: 'req', id: 4, method: 'session/send', params: { sessionId: 'x', data: 'a', encoding: 'utf16' } },
        { type: 'req', id: 5, method: 'log/getEvent', params: { sessionId: 'nope', seq: 1 } },
      ];
      for (const b of badReq) webview.emit(b);
      await until(() => webview.posted.filter((m) => m.type === 'res').length === 5);
      const res = webview.posted.filter((m) => m.type === 'res') as Array<{ id: number; ok: boolean; error?: string }>;
      assert.ok(res.every((r) => r.ok === false && typeof r.error === 'string' && !r.error.includes('\n')));
      assert.match(res.find((r) => r.id === 1)!.error!, /start must be an integer/);
      assert.match(res.find((r) => r.id === 2)!.error!, /count must be an integer in \[0, 5000\]/);
      assert.match(res.find((r) => r.id === 3)!.error!, /unknown filter field regexp/);
      assert.match(res.find((r) => r.id === 4)!.error!, /encoding must be one of/);
      assert.equal(res.find((r) => r.id === 5)!.error, 'That session no longer exists');
      assert.equal(endpoint.counters.rejected, 11);
      assert.equal(webview.notes('ui/didNotify').length, 0, 'invalid commands are dropped, not executed');
    } finally {
      endpoint.dispose();
      await manager.dispose();
    }
  });

  it('posts nothing while hidden and catches up once visible; an invalid regex is a one-line error', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.on('message', (m) => s.send(m))));
    const manager = new SessionManager();
    const webview = new FakeWebview();
    const endpoint = new InspectorEndpoint(webview, backendFor(manager, [], 10), { view: 'sidebar' });
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'e', profile: { name: 'e', pattern: 'ws', url: srv.url } });
      await until(() => m.session.state === 'open');
      await webview.request('webview/ready', {});
      const bad = (await webview.request('log/setFilter', { sessionId: m.id, filter: { text: '([', regex: true } })) as { ok: false; error: string };
      assert.equal(bad.ok, false);
      assert.ok(bad.error.length > 0 && !bad.error.includes('\n'));
      await webview.request('log/setFilter', { sessionId: m.id, filter: {} });
      webview.visible = false;
      endpoint.visibilityChanged();
      const before = webview.posted.length;
      await manager.send(m.id, '68 69', 'hex');
      await until(() => m.log.stats().framesIn >= 1);
      await sleep(60);
      assert.equal(webview.posted.length, before, 'nothing posted to a hidden webview');
      webview.visible = true;
      endpoint.visibilityChanged();
      await until(() => webview.notes('log/didAppend').length > 0);
      const note = webview.notes('log/didAppend').at(-1)! as { total: number; tail: Array<WireEvent & { data?: string; encoding?: string }> };
      assert.equal(note.total, m.log.size);
      assert.ok(note.tail.some((e) => e.kind === 'frame' && e.encoding === 'base64' && Buffer.from(e.data!, 'base64').toString() === 'hi'));

      // Clearing the log tells the webview to start over.
      webview.emit({ type: 'cmd', method: 'log/clear', params: { sessionId: m.id } });
      await until(() => webview.notes('log/didReset').length === 1);
      assert.equal(m.log.size, 0);
    } finally {
      endpoint.dispose();
      await manager.dispose();
      await srv.close();
    }
  });

  it('a panel serves only its own session', async () => {
    const srv = await wsServer(() => undefined);
    const manager = new SessionManager();
    const webview = new FakeWebview();
    try {
      const a = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'a', profile: { name: 'a', pattern: 'ws', url: srv.url } });
      const b = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'b', profile: { name: 'b', pattern: 'ws', url: srv.url } });
      const endpoint = new InspectorEndpoint(webview, backendFor(manager, []), { view: 'panel', sessionId: a.id });
      const ready = (await webview.request('webview/ready', {})) as { ok: true; result: { selected: string } };
      assert.equal(ready.result.selected, a.id);
      const other = (await webview.request('log/getTimeline', { sessionId: b.id })) as { ok: false; error: string };
      assert.equal(other.error, 'This panel shows another session');
      endpoint.dispose();
    } finally {
      await manager.dispose();
      await srv.close();
    }
  });
  it('SetFilter says where the shown event is (or that the filter hides it); LocateSeq finds the row at or after a seq', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => { for (let i = 1; i <= 30; i++) s.send(i % 5 === 0 ? `five ${i}` : `n ${i}`); }));
    const manager = new SessionManager();
    const webview = new FakeWebview();
    const endpoint = new InspectorEndpoint(webview, backendFor(manager, []), { view: 'sidebar' });
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'x', profile: { name: 'x', pattern: 'ws', url: srv.url } });
      await until(() => m.log.stats().framesIn >= 30);
      await webview.request('webview/ready', {});
      const frames = [...m.log].filter((e) => e.kind === 'frame');
      const five = frames.find((e) => e.kind === 'frame' && e.data === 'five 10')!;
      const other = frames.find((e) => e.kind === 'frame' && e.data === 'n 11')!;
      const kept = (await webview.request('log/setFilter', { sessionId: m.id, filter: { text: 'five' }, keepSeq: five.seq })) as { ok: true; result: { filterId: number; total: number; keepIndex: number } };
      assert.equal(kept.result.total, 6);
      assert.equal(kept.result.keepIndex, 1, 'five 10 is the second match');
      const hidden = (await webview.request('log/setFilter', { sessionId: m.id, filter: { text: 'five' }, keepSeq: other.seq })) as { ok: true; result: { filterId: number; keepIndex: number } };
      assert.equal(hidden.result.keepIndex, -1, 'the filter hides it');
      const loc = (await webview.request('log/locateSeq', { sessionId: m.id, filterId: hidden.result.filterId, seq: other.seq })) as { ok: true; result: { index: number } };
      assert.equal(loc.result.index, 2, 'the next match after n 11 is five 15');
      const bad = await webview.request('log/setFilter', { sessionId: m.id, filter: {}, keepSeq: -3 });
      assert.equal(bad.ok, false);
    } finally {
      endpoint.dispose();
      await manager.dispose();
      await srv.close();
    }
  });
});
