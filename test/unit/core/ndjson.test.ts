import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ndjsonLines, parseNdjson, toNdjson } from '../../../src/core/export/ndjson';
import { MASK, isSensitiveHeader, redactText, sanitizeEvent } from '../../../src/core/export/redact';
import type { FrameEvent } from '../../../src/shared/events';
import { checkInvariants, runSession, wsServer } from '../../helpers/servers';

describe('NDJSON export', () => {
  it('round-trips a real session: one contract event per line, same events back', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.on('message', (m, b) => s.send(m, { binary: b }))));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, send: ['a', '{"n":1}', 'line\nbreak'], count: 3 });
      const text = toNdjson(events);
      const lines = text.split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline');
      assert.equal(lines.length, events.length);
      for (const l of lines) assert.equal(typeof JSON.parse(l).kind, 'string');
      const back = parseNdjson(text);
      assert.deepEqual(back, JSON.parse(JSON.stringify(events)));
      checkInvariants(back);
      assert.equal([...ndjsonLines(events)].join(''), text, 'the streaming form equals the whole form');
    } finally {
      await srv.close();
    }
  });

  it('reports a malformed line by number', () => {
    assert.throws(() => parseNdjson('{"seq":1,"kind":"state","t":0,"ts":1}\n{oops\n'), /^Error: Line 2 is not valid JSON$/);
    assert.throws(() => parseNdjson('{"a":1}\n'), /Line 1 is not a Wirescope event/);
  });
});

describe('masking and redaction', () => {
  const frame = (over: Partial<FrameEvent>): FrameEvent => ({ seq: 1, t: 0, ts: 1.8e12, kind: 'frame', dir: 'out', size: 0, encoding: 'utf8', data: '', ...over });

  it('knows authorization-like headers', () => {
    for (const h of ['Authorization', 'proxy-authorization', 'Cookie', 'Set-Cookie', 'X-API-Key', 'X-Auth-Token', 'x-client-secret', 'Api-Key'])
      assert.ok(isSensitiveHeader(h), h);
    for (const h of ['Content-Type', 'Accept', 'X-Request-Id', 'Upgrade']) assert.ok(!isSensitiveHeader(h), h);
  });

  it('masks header values under meta.headers and meta.*Headers unless revealed, and redacts secrets everywhere', () => {
    const e = frame({
      data: 'pw=hunter22&x=1',
      meta: { headers: { Authorization: 'Bearer hunter22', Accept: '*/*' }, requestHeaders: { cookie: 'sid=1' }, url: 'http://h/?k=hunter22' },
    });
    const masked = sanitizeEvent(e, { secrets: ['hunter22'] });
    assert.deepEqual(masked.meta, { headers: { Authorization: MASK, Accept: '*/*' }, requestHeaders: { cookie: MASK }, url: 'http://h/?k=[secret]' });
    assert.equal(masked.data, 'pw=[secret]&x=1');
    assert.equal(e.data, 'pw=hunter22&x=1', 'the original event is untouched');
    const revealed = sanitizeEvent(e, { revealAuthHeaders: true, secrets: ['hunter22'] });
    assert.deepEqual((revealed.meta as { headers: unknown }).headers, { Authorization: 'Bearer [secret]', Accept: '*/*' }, 'reveal shows headers but never secret values');
    const plain = frame({ data: 'x' });
    assert.equal(sanitizeEvent(plain, {}), plain, 'nothing to do: the same object');
  });

  it('redacts secrets inside base64 payloads and in NDJSON lines', () => {
    const e = frame({ encoding: 'base64', data: Buffer.from('\u0000\u0001token=zz-SECRET-zz\u00ff', 'latin1').toString('base64') });
    const out = sanitizeEvent(e, { secrets: ['zz-SECRET-zz'] });
    assert.equal(Buffer.from(out.data, 'base64').toString('latin1'), '\u0000\u0001token=[secret]\u00ff');
    const line = toNdjson([frame({ data: 'a zz-SECRET-zz b' })], { secrets: ['zz-SECRET-zz'] });
    assert.ok(!line.includes('zz-SECRET-zz'));
    assert.equal(redactText('ab', ['a']), 'ab', 'values shorter than 3 characters are not treated as secrets');
  });
});
