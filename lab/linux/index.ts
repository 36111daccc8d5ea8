// The Linux server simulator: one SSH server per linux server of the estate, each on its own loopback port,
// answering the collector's fixed commands from the workload model. Servers marked down refuse connections.
import { createServer } from 'node:net';
import type { Logger } from '../../common/log.js';
import { knownHostsLine, sha256Fingerprint } from '../../collectors/ssh/index.js';
import type { Estate } from '../estate.js';
import { labHostKey } from './keys.js';
import { LabSshServer, type LabSshUser, type ServerStats } from './server.js';
import { hasApplications, linuxGuestsOfEstate } from './guest-estate.js';
import { SimLinuxServer } from './world.js';

export { clientKeyFromPem, labHostKey, newClientKey, type LabKey } from './keys.js';
export { LAB_INVENTORY_COMMAND, LAB_PERF_COMMAND, LAB_SOCKETS_COMMAND, LAB_SOFTWARE_COMMAND } from './commands.js';
export { labService, labSocketsText, labSoftwareText } from './guest.js';
export { estateSocketsText, estateSoftwareText, hasApplications, linuxGuestsOfEstate } from './guest-estate.js';
export type { LabSshUser } from './server.js';
export { serverSeriesKey, SimLinuxServer, SLOT_SEC } from './world.js';

export interface LinuxLabOptions {
  estate: Estate;
  /** Only these servers (names); default every linux server of the estate. */
  servers?: string[];
  users: LabSshUser[];
  /** The lab clock (epoch ms); tests pin it to slot boundaries. */
  clock?: () => number;
  log?: Logger;
  /** Also serve the estate's powered-on Linux VMs (not already servers) as guests at their inventory IPs (issue 12). */
  vmGuests?: boolean;
}

export interface LinuxLabEndpoint {
  name: string;
  /** "127.0.0.1:<port>", as a source's hosts entry. */
  address: string;
  port: number;
  down: boolean;
  fingerprint: string;
  knownHostsLine: string;
  sim: SimLinuxServer;
}

export interface LinuxLab {
  endpoints: LinuxLabEndpoint[];
  /** known_hosts text pinning every server's host key. */
  knownHosts(): string;
  stats(): Record<string, ServerStats>;
  close(): Promise<void>;
}

async function closedPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function startLinuxLab(opts: LinuxLabOptions): Promise<LinuxLab> {
  const clock = opts.clock ?? Date.now;
  const startMs = clock();
  const wanted = opts.servers ? new Set(opts.servers) : null;
  const servers = [...opts.estate.servers, ...(opts.vmGuests ? linuxGuestsOfEstate(opts.estate) : [])].filter(
    (s) => s.family === 'linux' && (!wanted || wanted.has(s.name)),
  );
  const fromApplications = hasApplications(opts.estate) ? opts.estate : null;
  const running: LabSshServer[] = [];
  const peers = opts.estate.servers.flatMap((s) => {
    const ip = s.nics[0]?.ipAddresses.find((a) => !a.includes(':'));
    return ip ? [{ name: s.name, ip }] : [];
  });
  const endpoints: LinuxLabEndpoint[] = [];
  try {
    for (const s of servers) {
      const sim = new SimLinuxServer(opts.estate.seed, s, startMs);
      const key = labHostKey(opts.estate.seed, s.name);
      let port: number;
      if (s.down) port = await closedPort();
      else {
        const srv = new LabSshServer(sim, key.pem, opts.users, clock, opts.log);
        srv.peers = peers;
        srv.estate = fromApplications;
        running.push(srv);
        port = await srv.listen(0);
      }
      endpoints.push({
        name: s.name,
        address: `127.0.0.1:${port}`,
        port,
        down: s.down,
        fingerprint: sha256Fingerprint(key.blob),
        knownHostsLine: knownHostsLine('127.0.0.1', port, key.blob),
        sim,
      });
    }
  } catch (err) {
    await Promise.all(running.map((r) => r.close()));
    throw err;
  }
  opts.log?.info({ servers: endpoints.length }, 'lab: Linux servers (SSH) listening');
  return {
    endpoints,
    knownHosts: () => `${endpoints.map((e) => e.knownHostsLine).join('\n')}\n`,
    stats: () => Object.fromEntries(running.map((r) => [r.sim.server.name, { ...r.stats }])),
    close: async () => {
      await Promise.all(running.map((r) => r.close()));
    },
  };
}
