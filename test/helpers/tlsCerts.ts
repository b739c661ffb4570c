/**
 * Test-only TLS certificates, generated at test time with the `openssl` CLI into a temp dir
 * (nothing secret is committed). Each certificate is self-signed, so trusting it means passing
 * it as `tls.ca`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface TestCert {
  cert: string;
  key: string;
}

export interface TestCerts {
  /** Valid now, for 127.0.0.1 and localhost. */
  selfSigned: TestCert;
  /** Valid for 127.0.0.1, but only from 2020-01-01 to 2020-01-02. */
  expired: TestCert;
  /** Valid now, but only for example.test. */
  wrongHost: TestCert;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

let cached: TestCerts | undefined;

/** Generate (once per process) the test certificates. */
export function makeTestCerts(): TestCerts {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-tls-'));
  try {
    const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const make = (name: string, san: string) => {
      openssl(['req', '-x509', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:TRUE'], dir);
      return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
    };
    const selfSigned = make('selfsigned', 'IP:127.0.0.1,DNS:localhost');
    const wrongHost = make('wronghost', 'DNS:example.test');

    // `openssl req` cannot back-date a certificate; `openssl ca` can, with explicit dates.
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `database = ${join(dir, 'index.txt')}`,
        `new_certs_dir = ${dir}`,
        `serial = ${join(dir, 'serial')}`,
        'default_md = sha256',
        'policy = policy_any',
        '[policy_any]',
        'commonName = supplied',
        '[ext]',
        'basicConstraints = critical,CA:TRUE',
        'subjectAltName = IP:127.0.0.1,DNS:localhost',
        '',
      ].join('\n'),
    );
    openssl(['req', '-new', ...keyArgs, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=expired'], dir);
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'expired.key', '-in', 'expired.csr', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extensions', 'ext', '-out', 'expired.crt', '-notext'], dir);
    const expired = { cert: readFileSync(join(dir, 'expired.crt'), 'utf8'), key: readFileSync(join(dir, 'expired.key'), 'utf8') };
    cached = { selfSigned, expired, wrongHost };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HttpsTestServer {
  server: https.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** An https server on 127.0.0.1, port 0, with the given certificate. */
export async function httpsServer(cert: TestCert, handler: RequestListener): Promise<HttpsTestServer> {
  const server = https.createServer({ cert: cert.cert, key: cert.key }, handler);
  // A client that rejects the certificate makes the server log a TLS error; that is expected here.
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
