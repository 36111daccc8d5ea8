// The Hyper-V host simulator: one WS-Man server per simulated host of the estate, each on its own
// loopback ports (HTTP 5985-style with NTLM + message encryption, HTTPS 5986-style with NTLM and
// Basic). Hosts marked down refuse connections; wrong credentials get 401; enumeration contexts expire.
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import { selfSignedCertificate } from '../../common/self-signed-certificate.js';
import { startWsmanServer, type WsmanServerHandle } from '../wsman-server/index.js';
import type { Estate } from '../estate.js';
import { HypervHostBackend } from './backend.js';
import { SeriesIntegrator } from './cim-perf.js';
import { HypervWorld } from './world.js';
import { freePort } from '../../common/free-port.js';

export interface HypervLabOptions {
  estate: Estate;
  /** Only these hosts (names); default every hyperv host of the estate. */
  hosts?: string[];
  /** Accounts as the client names them ("HV01\\collector" or "collector") -> password. */
  users: Record<string, string>;
  /** Accounts that authenticate but are not administrators: every request is denied. */
  deniedUsers?: string[];
  /** Serve HTTP (NTLM + message encryption). Default true. */
  http?: boolean;
  /** Serve HTTPS (NTLM and Basic). Default true. */
  https?: boolean;
  /** Also accept plaintext (and Basic) over HTTP, like AllowUnencrypted=true (for wsl with WSNOSSL=1). */
  allowUnencrypted?: boolean;
  /** An existing certificate and key (PEM); default a fresh self-signed one. */
  tls?: { cert: string; key: string };
  /** The lab clock (epoch ms); tests pin it to slot boundaries. */
  clock?: () => number;
  enumerationTimeoutMs?: number;
  maxBatchItems?: number;
  log?: Logger;
}

export interface HypervLabEndpoint {
  host: string;
  cluster: string | null;
  httpPort: number | null;
  httpsPort: number | null;
  down: boolean;
}

export interface HypervLab {
  endpoints: HypervLabEndpoint[];
  /** SHA-256 thumbprint of the HTTPS certificate ("AB:CD:..."), for the source's tls.thumbprint. */
  certificateThumbprint: string;
  certificatePem: string;
  world: HypervWorld;
  /** A hostMap for a source config: every host (and every cluster name -> its first node) on 127.0.0.1. */
  hostMap(): Record<string, { address: string; httpsPort?: number; httpPort?: number }>;
  /** Takes a host down (its listeners close: connections refused) or brings it back on the same ports. */
  setHostDown(host: string, down: boolean): Promise<void>;
  stats(): Record<string, ReturnType<WsmanServerHandle['stats']> | null>;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, localhost and every lab host name. */
export function labCertificate(names: string[]): { cert: string; key: string } {
  return selfSignedCertificate({
    commonName: 'hyperv-lab',
    organization: 'assessment-collector lab',
    dnsNames: ['localhost', ...names],
    ipAddresses: ['127.0.0.1'],
    days: 30,
  });
}

export async function startHypervLab(opts: HypervLabOptions): Promise<HypervLab> {
  const world = new HypervWorld(opts.estate, opts.clock ?? Date.now, opts.hosts);
  if (opts.hosts) {
    const missing = opts.hosts.filter((h) => !world.host(h));
    if (missing.length) throw new Error(`no Hyper-V host named ${missing.join(', ')} in the estate`);
  }
  const wantHttp = opts.http ?? true;
  const wantHttps = opts.https ?? true;
  const tls = opts.tls ?? labCertificate([...world.hosts.values()].map((h) => h.name));
  const thumbprint = new X509Certificate(tls.cert).fingerprint256;
  const integrator = new SeriesIntegrator();

  const running = new Map<string, { handle: WsmanServerHandle | null; ep: HypervLabEndpoint }>();
  const start = async (name: string, ports: { http: number; https: number }): Promise<WsmanServerHandle> => {
    const host = world.host(name);
    if (!host) throw new Error(`no Hyper-V host ${name} in the lab estate`);
    const backend = new HypervHostBackend({ world, host, integrator, deniedUsers: opts.deniedUsers });
    return await startWsmanServer({
      backend,
      users: opts.users,
      host: '127.0.0.1',
      computerName: host.name.toUpperCase(),
      http: wantHttp ? { port: ports.http, allowUnencrypted: opts.allowUnencrypted, basic: opts.allowUnencrypted } : undefined,
      https: wantHttps ? { port: ports.https, cert: tls.cert, key: tls.key, basic: true, ntlm: true } : undefined,
      enumerationTimeoutMs: opts.enumerationTimeoutMs,
      maxBatchItems: opts.maxBatchItems,
      log: opts.log,
    });
  };

  try {
    for (const h of world.hosts.values()) {
      const ep: HypervLabEndpoint = { host: h.name, cluster: h.cluster, httpPort: null, httpsPort: null, down: h.down };
      let handle: WsmanServerHandle | null = null;
      if (h.down) {
        ep.httpPort = wantHttp ? await freePort() : null;
        ep.httpsPort = wantHttps ? await freePort() : null;
      } else {
        handle = await start(h.name, { http: 0, https: 0 });
        ep.httpPort = handle.httpPort ?? null;
        ep.httpsPort = handle.httpsPort ?? null;
      }
      running.set(h.name.toLowerCase(), { handle, ep });
    }
  } catch (err) {
    await Promise.all([...running.values()].map((r) => r.handle?.close()));
    throw err;
  }

  return {
    endpoints: [...running.values()].map((r) => r.ep),
    certificateThumbprint: thumbprint,
    certificatePem: tls.cert,
    world,
    hostMap() {
      const map: Record<string, { address: string; httpsPort?: number; httpPort?: number }> = {};
      for (const { ep } of running.values()) {
        const entry = {
          address: '127.0.0.1',
          ...(ep.httpsPort ? { httpsPort: ep.httpsPort } : {}),
          ...(ep.httpPort ? { httpPort: ep.httpPort } : {}),
        };
        map[ep.host] = entry;
        // The cluster name answers on its first node that is up (as the cluster name object would).
        if (ep.cluster && !map[ep.cluster] && !ep.down) map[ep.cluster] = entry;
      }
      return map;
    },
    async setHostDown(name, down) {
      const r = running.get(name.toLowerCase());
      if (!r) throw new Error(`no Hyper-V host ${name} in the lab`);
      const host = world.host(name);
      if (!host) throw new Error(`no Hyper-V host ${name} in the lab estate`);
      host.down = down;
      world.generation++;
      r.ep.down = down;
      if (down && r.handle) {
        const h = r.handle;
        r.handle = null;
        await h.close();
      } else if (!down && !r.handle) {
        r.handle = await start(name, { http: r.ep.httpPort ?? 0, https: r.ep.httpsPort ?? 0 });
      }
    },
    stats() {
      return Object.fromEntries([...running.entries()].map(([k, r]) => [k, r.handle ? r.handle.stats() : null]));
    },
    async close() {
      await Promise.all(
        [...running.values()].map(async (r) => {
          const h = r.handle;
          r.handle = null;
          await h?.close();
        }),
      );
    },
  };
}
