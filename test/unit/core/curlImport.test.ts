import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CurlImportError, parseCurl, renameCurlImport, shellWords } from '../../../src/core/curlImport';
import { validateProfile } from '../../../src/shared/profile';

describe('curl import', () => {
  it('splits shell words with quotes, escapes and line continuations', () => {
    assert.deepEqual(shellWords(`curl 'a b' "c \\"d\\" \\$e" f\\ g \\\n  -H x`), ['curl', 'a b', 'c "d" $e', 'f g', '-H', 'x']);
    assert.deepEqual(shellWords(`curl $'line\\nnext\\x41'`), ['curl', 'line\nnextA']);
    assert.deepEqual(shellWords('curl a \\\r\n b'), ['curl', 'a', 'b']);
    assert.throws(() => shellWords(`curl 'open`), CurlImportError);
  });

  it('imports a DevTools "Copy as cURL" POST with headers and data', () => {
    const cmd = `curl 'https://api.example.test/v1/items?page=2' \\
  -H 'accept: application/json' \\
  -H 'content-type: application/json' \\
  --data-raw '{"name":"widget","tags":["a","b"]}' \\
  --compressed`;
    const r = parseCurl(cmd);
    assert.equal(r.profile.pattern, 'http');
    assert.equal(r.profile.method, 'POST');
    assert.equal(r.profile.url, 'https://api.example.test/v1/items?page=2');
    assert.deepEqual(r.profile.headers, { accept: 'application/json', 'content-type': 'application/json' });
    assert.equal(r.profile.body, '{"name":"widget","tags":["a","b"]}');
    assert.equal(r.profile.name, 'api.example.test/v1/items');
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(validateProfile(r.profile).filter((p) => p.severity === 'error'), []);
  });

  it('moves -u passwords and bearer tokens to secrets, never into the profile', () => {
    const r = parseCurl(`curl -u ann:'p@ss w0rd' -X PUT http://127.0.0.1:8080/items/1 -d 'a=1' -d 'b=2'`);
    assert.deepEqual(r.profile.auth, { type: 'basic', username: 'ann', secret: '127.0.0.1-8080-items-1.password' });
    assert.deepEqual(r.secrets, [{ name: '127.0.0.1-8080-items-1.password', value: 'p@ss w0rd' }]);
    assert.equal(r.profile.method, 'PUT');
    assert.equal(r.profile.body, 'a=1&b=2');
    assert.equal(r.profile.headers?.['Content-Type'], 'application/x-www-form-urlencoded');
    assert.ok(!JSON.stringify(r.profile).includes('p@ss'));

    const b = parseCurl(`curl -H "Authorization: Bearer eyJhbGciOi.abc.def" -H "X-Api-Key: k-999" https://h.test/x`, { name: 'svc' });
    assert.deepEqual(b.profile.auth, { type: 'bearer', secret: 'svc.token' });
    assert.equal(b.profile.headers?.['X-Api-Key'], '${secret:svc.x-api-key}');
    assert.deepEqual(b.secrets.map((s) => s.value).sort(), ['eyJhbGciOi.abc.def', 'k-999']);
    assert.ok(!JSON.stringify(b.profile).includes('eyJhbGciOi') && !JSON.stringify(b.profile).includes('k-999'));
  });

  it('handles -k, --url, -L, -I, -G, --opt=value, combined short flags and ws URLs', () => {
    const k = parseCurl('curl -sSLk --url=https://self-signed.test/health --connect-timeout 2.5 --cacert ca.pem');
    assert.equal(k.profile.url, 'https://self-signed.test/health');
    assert.deepEqual(k.profile.tls, { insecure: true, caFile: 'ca.pem' });
    assert.equal(k.profile.followRedirects, true);
    assert.equal(k.profile.connectTimeoutMs, 2500);
    assert.equal(parseCurl('curl -I http://h.test/').profile.method, 'HEAD');
    const g = parseCurl('curl -G http://h.test/search -d q=1 -d r=2');
    assert.equal(g.profile.url, 'http://h.test/search?q=1&r=2');
    assert.equal(g.profile.body, undefined);
    assert.equal(g.profile.method, 'GET');
    const ws = parseCurl(`curl 'wss://stream.test/feed' -H 'Sec-WebSocket-Protocol: chat'`);
    assert.equal(ws.profile.pattern, 'ws');
    assert.equal(ws.profile.method, undefined);
    assert.deepEqual(validateProfile(ws.profile).filter((p) => p.severity === 'error'), []);
    const sse = parseCurl(`curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8080/sse`);
    assert.equal(sse.profile.pattern, 'sse');
    assert.equal(parseCurl('curl example.test/a').profile.url, 'http://example.test/a');
    assert.equal(parseCurl('$ curl -XDELETE http://h.test/1').profile.method, 'DELETE');
  });

  it('accepts a multi-line command flattened into one line by an input box', () => {
    const r = parseCurl(`curl 'http://h.test/a' \\ -H 'X-A: 1' \\   --data-raw 'x=1'`);
    assert.equal(r.profile.url, 'http://h.test/a');
    assert.deepEqual(r.profile.headers, { 'X-A': '1', 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(r.profile.body, 'x=1');
  });

  it('warns about what it cannot import, and rejects what is not a curl command', () => {
    const r = parseCurl('curl --data-binary @file.bin --frobnicate http://h.test/');
    assert.ok(r.warnings.some((w) => /Body from file file\.bin/.test(w)));
    assert.ok(r.warnings.some((w) => /Unknown curl option --frobnicate/.test(w)));
    assert.throws(() => parseCurl('wget http://h.test/'), /Not a curl command/);
    assert.throws(() => parseCurl('curl -H'), /needs a value/);
    assert.throws(() => parseCurl('curl -s'), /has no URL/);
    assert.throws(() => parseCurl('curl http://[bad/'), /Invalid URL/);
  });

  it('secret names are readable and stable when the imported profile is named (kept or renamed)', () => {
    const imported = parseCurl(`curl -H "Authorization: Bearer tok-1" -H "X-Api-Key: k-2" http://127.0.0.1:37075/jobs`);
    // Accepting the proposed name keeps the names as they are (this once gave "127.0.0.1-37075-jobs.0.0.1-37075-jobs.token").
    const kept = renameCurlImport(imported, imported.profile.name);
    assert.deepEqual(kept.secrets.map((x) => x.name).sort(), ['127.0.0.1-37075-jobs.token', '127.0.0.1-37075-jobs.x-api-key']);
    assert.deepEqual(kept.profile.auth, { type: 'bearer', secret: '127.0.0.1-37075-jobs.token' });
    // Another name: every secret and every reference follows it; naming it so again gives the same names.
    const renamed = renameCurlImport(imported, 'Jobs API (staging)');
    assert.equal(renamed.profile.name, 'Jobs API (staging)');
    assert.deepEqual(renamed.secrets.map((x) => x.name).sort(), ['Jobs-API-staging.token', 'Jobs-API-staging.x-api-key']);
    assert.deepEqual(renamed.profile.auth, { type: 'bearer', secret: 'Jobs-API-staging.token' });
    assert.equal(renamed.profile.headers?.['X-Api-Key'], '${secret:Jobs-API-staging.x-api-key}');
    assert.deepEqual(renamed.secrets.map((x) => x.value).sort(), ['k-2', 'tok-1']);
    assert.deepEqual(renameCurlImport(renameCurlImport(imported, 'x'), 'Jobs API (staging)').secrets, renamed.secrets);
    assert.equal(imported.profile.name, '127.0.0.1:37075/jobs', 'the import itself is left as it was');
    assert.deepEqual(validateProfile(renamed.profile).filter((p) => p.severity === 'error'), []);
  });
});
