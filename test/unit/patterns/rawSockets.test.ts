// tcp and udp against real peers on 127.0.0.1:0: a real SMTP server (the npm smtp-server package)
// holding a conversation through the CLI, TLS with a generated certificate, length-prefixed frames and
// UDP datagrams with the peer address.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { FrameEvent, StateEvent, TimingEvent } from '../../../src/shared/events';
import { ofKind } from '../../helpers/servers';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { parseNdjson, runCli } from '../cli/runCli';

describe('tcp against a real SMTP server (smtp-server)', () => {
  let smtp: SMTPServer;
  let port = 0;
  before(async () => {
    smtp = new SMTPServer({ name: 'mx.wirescope.test', authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    port = (smtp.server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('--split lines --send EHLO --send QUIT shows the 220 greeting, each 250 line and the 221 as in frames', async () => {
    const r = await runCli(['connect', `tcp://127.0.0.1:${port}`, '--split', 'lines', '--send', 'EHLO wirescope.test', '--send', 'QUIT', '--format', 'ndjson'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const frames = ofKind(events, 'frame') as FrameEvent[];
    const out = frames.filter((f) => f.dir === 'out' && !f.meta?.control).map((f) => f.data);
    assert.deepEqual(out, ['EHLO wirescope.test\r\n', 'QUIT\r\n'], 'each --send goes out with CRLF');
    const lines = frames.filter((f) => f.dir === 'in' && !f.meta?.control).map((f) => f.data);
    assert.match(lines[0], /^220 mx\.wirescope\.test /, 'the greeting first');
    const ehlo = lines.filter((l) => /^250[- ]/.test(l));
    assert.ok(ehlo.length >= 2, `several 250 lines: ${JSON.stringify(lines)}`);
    assert.match(ehlo[0], /^250-mx\.wirescope\.test/, 'the EHLO answer names the server');
    assert.match(ehlo.at(-1)!, /^250 /, 'the last 250 line ends the list');
    assert.match(lines.at(-1)!, /^221 /, 'QUIT is answered with 221, the last data line');
    for (const f of frames.filter((x) => x.dir === 'in' && !x.meta?.control)) assert.equal(f.meta?.eol, 'crlf', 'SMTP lines end with CRLF');
    // The server's goodbye is visible as its FIN, and the session ends closed.
    assert.ok(frames.some((f) => f.dir === 'in' && f.meta?.fin === true), 'the peer FIN is logged');
    const states = ofKind(events, 'state') as StateEvent[];
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'open', 'closed']);
    assert.equal(states.at(-1)!.reason, 'closed by server');
  });
});

describe('tcp framing, binary, half-close and TLS', () => {
  it('--split length with a 2-byte little-endian prefix; binary frames are logged as base64 (hex in the detail); --send hex: and escapes', async () => {
    const got: Buffer[] = [];
    const server = net.createServer((s) => {
      const a = Buffer.from('hello');
      const b = Buffer.from([0x00, 0xff, 0x10]);
      const frame = (x: Buffer) => Buffer.concat([Buffer.from([x.length & 0xff, x.length >> 8]), x]);
      const all = Buffer.concat([frame(a), frame(b)]);
      // Split across writes in the middle of a prefix, as TCP may deliver it.
      s.write(all.subarray(0, 1));
      setTimeout(() => s.end(all.subarray(1)), 30);
      s.on('data', (d) => got.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['connect', `tcp://127.0.0.1:${port}`, '--split', 'length', '--length-bytes', '2', '--length-endian', 'le', '--send', 'hex:de ad be ef', '--send', 'a\\tb\\x41', '--format', 'ndjson'], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      const frames = ofKind(parseNdjson(r.stdout), 'frame') as FrameEvent[];
      const inData = frames.filter((f) => f.dir === 'in' && !f.meta?.control);
      assert.equal(inData.length, 2);
      assert.deepEqual([inData[0].data, inData[0].encoding, inData[0].meta?.length], ['hello', 'utf8', 5]);
      assert.equal(inData[1].encoding, 'base64');
      assert.deepEqual([...Buffer.from(inData[1].data, 'base64')], [0x00, 0xff, 0x10]);
      assert.deepEqual([...Buffer.concat(got)], [0xde, 0xad, 0xbe, 0xef, 0x61, 0x09, 0x62, 0x41], 'hex and escapes became these bytes, no line ending (split length)');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('--half-close sends our FIN after the sends and keeps reading what the peer still says', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('end', () => s.end(`you said ${text.trim()}\n`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['connect', `tcp://127.0.0.1:${port}`, '--split', 'lines', '--eol', 'lf', '--send', 'over', '--half-close', '--format', 'ndjson'], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      const frames = ofKind(parseNdjson(r.stdout), 'frame') as FrameEvent[];
      const fins = frames.filter((f) => f.meta?.fin === true);
      assert.deepEqual(fins.map((f) => [f.dir, f.meta?.packet]), [['out', 'FIN'], ['in', 'FIN']], 'both FINs, ours first');
      const answer = frames.find((f) => f.dir === 'in' && !f.meta?.control);
      assert.equal(answer?.data, 'you said over', 'the peer answered after our half-close');
      assert.ok(answer!.seq > fins[0].seq && answer!.seq < fins[1].seq);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('tls:// shows TLS timing and the certificate (subject, issuer, validity, ALPN); --cacert trusts it, without it the first connection fails with one line', async () => {
    const { selfSigned } = makeTestCerts();
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-tcp-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, selfSigned.cert);
    const server = tls.createServer({ key: selfSigned.key, cert: selfSigned.cert, ALPNProtocols: ['wirescope-test'] }, (s) => s.end('secure hello\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const denied = await runCli(['connect', `tls://127.0.0.1:${port}`, '--format', 'ndjson'], { timeoutMs: 15_000 });
      assert.equal(denied.code, 1);
      assert.equal(denied.stderr.trim().split('\n').length, 1, denied.stderr);
      const ok = await runCli(['connect', `tls://127.0.0.1:${port}`, '--cacert', caFile, '--alpn', 'wirescope-test', '--split', 'lines', '--format', 'ndjson'], { timeoutMs: 15_000 });
      assert.equal(ok.code, 0, ok.stderr);
      const events = parseNdjson(ok.stdout);
      const timing = ofKind(events, 'timing')[0] as TimingEvent;
      assert.ok(typeof timing.phases.tls === 'number' && timing.phases.tls >= 0, 'a TLS phase');
      const open = (ofKind(events, 'state') as StateEvent[]).find((s) => s.state === 'open')!;
      const t = open.meta?.tls as { alpn: string; authorized: boolean; protocol: string; certificate: Record<string, string> };
      assert.equal(t.alpn, 'wirescope-test');
      assert.equal(t.authorized, true);
      assert.match(t.protocol, /^TLSv1\.[23]$/);
      assert.match(t.certificate.subject, /CN=/);
      assert.match(t.certificate.issuer, /CN=/);
      assert.ok(t.certificate.validFrom && t.certificate.validTo, 'validity');
      const line = (ofKind(events, 'frame') as FrameEvent[]).find((f) => f.dir === 'in' && !f.meta?.control);
      assert.equal(line?.data, 'secure hello');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('udp', () => {
  it('datagrams are frames with the peer address in meta; text and binary', async () => {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => sock.send(Buffer.concat([Buffer.from([0x01]), m]), r.port, r.address));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    try {
      const r = await runCli(['connect', `udp://127.0.0.1:${port}`, '--send', 'ping', '--count', '1', '--format', 'ndjson'], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      const frames = ofKind(parseNdjson(r.stdout), 'frame') as FrameEvent[];
      const inF = frames.find((f) => f.dir === 'in')!;
      assert.equal(inF.meta?.peer, `127.0.0.1:${port}`);
      assert.equal(inF.encoding, 'base64', 'a control byte makes it binary');
      assert.deepEqual(Buffer.from(inF.data, 'base64').toString('latin1'), '\x01ping');
    } finally {
      await new Promise<void>((r) => sock.close(() => r()));
    }
  });
});
