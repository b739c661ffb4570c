// The async pattern reads the common operation shapes without configuration: a `status` or `state`
// field that says it is still working (pending, queued, running, in-progress), Google's `done: false`,
// Azure's `status: InProgress` (with Azure-AsyncOperation on a 201). Real HTTP servers on 127.0.0.1.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';

const ins = (events: WireEvent[]) => ofKind(events, 'frame').filter((f) => f.dir === 'in');

/**
 * A job server: POST /op answers `first` (status, headers, body), then each GET of /op/1 answers the next
 * of `polls` (the last one repeats). Returns the events and how many status requests were made.
 */
async function job(
  first: { status: number; headers?: Record<string, string>; body: unknown },
  polls: unknown[],
  options: Partial<ConnectOptions> = {},
): Promise<{ events: WireEvent[]; polled: number }> {
  let polled = 0;
  const srv = await httpServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/op') {
        res.writeHead(first.status, { 'content-type': 'application/json', 'retry-after': '0', ...(first.headers ?? {}) }).end(JSON.stringify(first.body));
        return;
      }
      if (req.method === 'GET' && req.url === '/op/1') {
        const body = polls[Math.min(polled, polls.length - 1)];
        polled++;
        res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(404).end();
    });
  });
  try {
    const events = await runSession({ pattern: 'async', url: `${srv.url}/op`, method: 'POST', body: '{}', async: { pollIntervalMs: 20, timeoutMs: 10_000 }, ...options }, undefined, 15_000);
    checkInvariants(events);
    return { events, polled };
  } finally {
    await srv.close();
  }
}

const accepted = { status: 202, headers: { location: '/op/1' }, body: { accepted: true } };
const last = (events: WireEvent[]) => ofKind(events, 'state').pop()!;

describe('async: operation shapes recognised without configuration', () => {
  it('a `state` field: 200 {"state":"pending"} is still working; the job ends at "succeeded"', async () => {
    const { events, polled } = await job(accepted, [{ state: 'pending' }, { state: 'pending' }, { state: 'succeeded', result: 42 }]);
    assert.equal(polled, 3, 'polled until the terminal state');
    const polls = ins(events).slice(1);
    assert.deepEqual(polls.map((f) => [f.meta?.operationStatus, f.meta?.done]), [['pending', undefined], ['pending', undefined], ['succeeded', true]]);
    assert.equal(last(events).state, 'closed');
    assert.match(String(last(events).reason), /operation finished: succeeded/);
  });

  it('a `status` field in its common spellings: queued, running, in-progress, IN_PROGRESS, then completed', async () => {
    const { events, polled } = await job(accepted, [{ status: 'queued' }, { status: 'running' }, { status: 'in-progress' }, { status: 'IN_PROGRESS' }, { status: 'completed' }]);
    assert.equal(polled, 5);
    assert.deepEqual(ins(events).slice(1).map((f) => f.meta?.done ?? false), [false, false, false, false, true]);
  });

  it('Google long-running operations: {"done": false} until {"done": true}', async () => {
    const { events, polled } = await job(
      { status: 200, headers: { location: '/op/1' }, body: { name: 'operations/op-1', done: false } },
      [{ name: 'operations/op-1', done: false, metadata: { progress: 50 } }, { name: 'operations/op-1', done: true, response: { ok: 1 } }],
    );
    assert.equal(polled, 2, 'the first answer (200, done:false) did not end the job');
    const polls = ins(events);
    assert.equal(polls[0].meta?.operationStatus, 'done: false');
    assert.equal(polls[0].meta?.done, undefined);
    assert.deepEqual(polls.slice(1).map((f) => [f.meta?.operationStatus, f.meta?.done]), [['done: false', undefined], ['done: true', true]]);
    assert.equal(last(events).state, 'closed');
  });

  it('Azure: 201 with Azure-AsyncOperation and {"status":"InProgress"}, polled until "Succeeded"', async () => {
    const { events, polled } = await job(
      { status: 201, headers: { 'azure-asyncoperation': '/op/1' }, body: { id: 'r1', status: 'InProgress' } },
      [{ status: 'InProgress' }, { status: 'Succeeded' }],
    );
    assert.equal(polled, 2);
    const all = ins(events);
    assert.equal(all[0].meta?.status, 201);
    assert.equal(all[0].meta?.operationStatus, 'InProgress');
    assert.deepEqual(all.slice(1).map((f) => [f.meta?.operationStatus, f.meta?.done]), [['InProgress', undefined], ['Succeeded', true]]);
  });

  it('a first answer that says it is still working but gives nothing to poll fails with one line', async () => {
    const { events, polled } = await job({ status: 200, body: { state: 'pending' } }, [{}]);
    assert.equal(polled, 0);
    const errors = ofKind(events, 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'ERR_NO_OPERATION_URL');
    assert.match(errors[0].message, /^HTTP 200 says the operation is still working \(state: pending\) but gives no URL to poll/);
    assert.ok(!errors[0].message.includes('\n'));
    assert.equal(last(events).state, 'failed');
  });

  it('a `state` that is not an operation state (a finished resource) does not keep the job open', async () => {
    const { events, polled } = await job(accepted, [{ id: 7, state: 'CA', city: 'Sacramento' }]);
    assert.equal(polled, 1);
    assert.equal(ins(events).at(-1)?.meta?.done, true);
  });

  it('a configured status field and done values replace the recognition', async () => {
    const { events, polled } = await job(accepted, [{ status: 'pending', phase: 'Building' }, { status: 'pending', phase: 'Ready' }], {
      async: { pollIntervalMs: 20, timeoutMs: 10_000, statusField: '$.phase', doneValues: ['Ready'] },
    });
    assert.equal(polled, 2, 'ends on the configured field even though `status` says pending');
    assert.deepEqual(ins(events).slice(1).map((f) => [f.meta?.operationStatus, f.meta?.done]), [['Building', undefined], ['Ready', true]]);
  });
});
