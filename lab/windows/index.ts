// The Windows-server simulator: one WS-Man server per simulated server on its own loopback ports
// (HTTP with NTLM + message encryption, HTTPS with NTLM and Basic), answering the Win32 classes and
// raw perf counters of lab/windows/cim.ts. Servers marked down refuse connections.
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import type { Logger } from '../../common/log.js';
import { labCertificate } from '../hyperv/index.js';
import { startWsmanServer, type WsmanServerHandle } from '../wsman-server/index.js';
import { WindowsServerBackend } from './backend.js';
import { SeriesIntegrator } from './cim.js';
import type { GuestView } from './guest.js';
import type { SimServerSpec } from './servers.js';
import { WindowsWorld } from './world.js';

export type { SimServerSpec } from './servers.js';
export { serverSpec, windowsServersOfEstate, windowsGuestsOfEstate } from './servers.js';
export { estateGuestView, type GuestView } from './guest.js';

export interface WindowsLabOptions {
  servers: SimServerSpec[];
  seed: number;
  /** Accounts as the client names them ("LAB\\collector" or "collector") -> password. */
  users: Record<string, string>;
  deniedUsers?: string[];
  http?: boolean;
  https?: boolean;
  tls?: { cert: string; key: string };
  clock?: () => number;
  log?: Logger;
  /** Inside the guests (issue 12): a server's registry, features, processes and connections; null for none. */
  guests?: (server: string) => GuestView | null;
}

export interface WindowsLabEndpoint {
  server: string;
  httpPort: number | null;
  httpsPort: number | null;
  down: boolean;
}

export interface WindowsLab {
  endpoints: WindowsLabEndpoint[];
  certificateThumbprint: string;
  certificatePem: string;
  world: WindowsWorld;
  /** A hostMap for a windows source: every server name on 127.0.0.1 with its ports. */
  hostMap(): Record<string, { address: string; httpsPort?: number; httpPort?: number }>;
  /** As hostMap, keyed also by every IP address of every server: how a guest reader reaches an inventory IP. */
  guestHostMap(): Record<string, { address: string; httpsPort?: number; httpPort?: number }>;
  stats(): Record<string, ReturnType<WsmanServerHandle['stats']> | null>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startWindowsLab(opts: WindowsLabOptions): Promise<WindowsLab> {
  const world = new WindowsWorld(opts.servers, opts.seed, opts.clock ?? Date.now);
  const wantHttp = opts.http ?? true;
  const wantHttps = opts.https ?? true;
  const tls = wantHttps ? (opts.tls ?? labCertificate([...world.servers.values()].map((s) => s.name))) : null;
  const integrator = new SeriesIntegrator();
  const running: Array<{ handle: WsmanServerHandle | null; ep: WindowsLabEndpoint }> = [];
  try {
    for (const s of world.servers.values()) {
      const ep: WindowsLabEndpoint = { server: s.name, httpPort: null, httpsPort: null, down: s.down };
      let handle: WsmanServerHandle | null = null;
      if (s.down) {
        ep.httpPort = wantHttp ? await freePort() : null;
        ep.httpsPort = wantHttps ? await freePort() : null;
      } else {
        handle = await startWsmanServer({
          backend: new WindowsServerBackend({
            world,
            server: s,
            integrator,
            deniedUsers: opts.deniedUsers,
            guest: opts.guests?.(s.name) ?? null,
          }),
          users: opts.users,
          host: '127.0.0.1',
          computerName: (s.name.split('.')[0] ?? s.name).toUpperCase(),
          http: wantHttp ? { port: 0 } : undefined,
          https: tls ? { port: 0, cert: tls.cert, key: tls.key, basic: true, ntlm: true } : undefined,
          log: opts.log,
        });
        ep.httpPort = handle.httpPort ?? null;
        ep.httpsPort = handle.httpsPort ?? null;
      }
      running.push({ handle, ep });
    }
  } catch (err) {
    await Promise.all(running.map((r) => r.handle?.close()));
    throw err;
  }
  const hostMap = (): Record<string, { address: string; httpsPort?: number; httpPort?: number }> => {
    const map: Record<string, { address: string; httpsPort?: number; httpPort?: number }> = {};
    for (const { ep } of running)
      map[ep.server] = {
        address: '127.0.0.1',
        ...(ep.httpsPort ? { httpsPort: ep.httpsPort } : {}),
        ...(ep.httpPort ? { httpPort: ep.httpPort } : {}),
      };
    return map;
  };
  return {
    endpoints: running.map((r) => r.ep),
    certificateThumbprint: tls ? new X509Certificate(tls.cert).fingerprint256 : '',
    certificatePem: tls?.cert ?? '',
    world,
    hostMap,
    guestHostMap() {
      const map = hostMap();
      for (const s of world.servers.values()) {
        const entry = map[s.name];
        if (!entry) continue;
        for (const nic of s.spec.nics) for (const ip of nic.ipAddresses) map[ip] = entry;
      }
      return map;
    },
    stats() {
      return Object.fromEntries(running.map((r) => [r.ep.server, r.handle ? r.handle.stats() : null]));
    },
    async close() {
      await Promise.all(
        running.map(async (r) => {
          const h = r.handle;
          r.handle = null;
          await h?.close();
        }),
      );
    },
  };
}
