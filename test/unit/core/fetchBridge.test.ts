import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeFetch } from '../../../src/core/httpClient';
import { httpServer } from '../../helpers/servers';

/** Read a web stream to its end; returns the chunks as received. */
async function readAll(body: ReadableStream<Uint8Array>, limitMs = 10_000): Promise<Uint8Array[]> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  const deadline = Date.now() + limitMs;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
    if (Date.now() > deadline) throw new Error('body did not end in time');
  }
}

describe('createNodeFetch body stream', () => {
  it('gathers the chunked pieces of one socket read into one web-stream chunk, bytes intact', async () => {
    const pieces = 2000;
    const piece = (i: number) => `id: ${i}\ndata: ${'x'.repeat(20)}\n\n`;
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Written in one tick: a few socket reads on the client, each with hundreds of chunked pieces.
      res.cork();
      for (let i = 0; i < pieces; i++) res.write(piece(i));
      res.uncork();
      res.end();
    });
    try {
      const seen: number[] = [];
      const f = createNodeFetch({ hooks: { onChunk: (chunk) => seen.push(chunk.length) } });
      const res = await f(srv.url);
      assert.ok(res.body);
      const chunks = await readAll(res.body);
      const text = Buffer.concat(chunks).toString('utf8');
      assert.equal(text, Array.from({ length: pieces }, (_, i) => piece(i)).join(''));
      // One chunk per piece would be 2000; per socket read it is a handful.
      assert.ok(chunks.length <= pieces / 20, `${chunks.length} chunks for ${pieces} pieces`);
      assert.equal(seen.length, chunks.length, 'onChunk sees each enqueued chunk once');
    } finally {
      await srv.close();
    }
  });

  it('a reader that falls behind pauses the response and loses nothing when it catches up', async () => {
    const total = 32 * 1024 * 1024;
    let sent = 0;
    const block = Buffer.alloc(64 * 1024);
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (sent < total) {
          block.fill(sent / block.length);
          const ok = res.write(Buffer.from(block));
          sent += block.length;
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    try {
      const f = createNodeFetch();
      const res = await f(srv.url);
      assert.ok(res.body);
      // Let the body pile up past the stream's high-water mark before reading anything.
      await new Promise((r) => setTimeout(r, 300));
      // Back-pressure reached the server: it could not write everything into an unread stream.
      assert.ok(sent < total, `the server wrote ${sent} of ${total} bytes while nobody read`);
      const all = Buffer.concat(await readAll(res.body));
      assert.equal(all.length, total);
      for (let b = 0; b < total / block.length; b++) {
        assert.equal(all[b * block.length], b % 256, `block ${b} first byte`);
        assert.equal(all[(b + 1) * block.length - 1], b % 256, `block ${b} last byte`);
      }
    } finally {
      await srv.close();
    }
  });
});
