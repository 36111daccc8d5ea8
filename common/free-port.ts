import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port nobody listens on right now: bind port 0, read it, release it. For servers that cannot
 * take port 0 themselves (redis-server) and for a "host that is down" (nothing answers there).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
