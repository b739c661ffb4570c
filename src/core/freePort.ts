import net from 'node:net';

/**
 * A loopback TCP port that was free a moment ago: bound on 127.0.0.1:0, then released. For peers that
 * need a port number before they listen (a broker config, a webhook URL handed to the demo backend).
 */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
