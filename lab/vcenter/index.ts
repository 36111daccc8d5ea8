// The lab vCenter: a vSphere SOAP subset (sessions, ContainerView + PropertyCollector inventory with
// paging, realtime PerformanceManager) served over TLS on loopback from an estate file. See
// lab/vcenter/README.md for what it answers and how perf instances are named.
import type { AddressInfo } from 'node:net';
import type { Estate } from '../estate.js';
import { stableUuid } from '../estate.js';
import { UserError } from '../../common/errors.js';
import { logger, type Logger } from '../../common/log.js';
import { describeCertificate, selfSignedCertificate } from '../../common/self-signed-certificate.js';
import { LabState } from './methods.js';
import { LabInventory } from './model.js';
import { createLabServer } from './server.js';
import { SessionStore, type LabUser } from './sessions.js';
import { VimFault, faults } from './soap.js';

export interface VcenterLabOptions {
  estate: Estate;
  /** Which estate vCenter to serve (hosts[].vcenter); default "vc01". */
  vcenter?: string;
  users: LabUser[];
  port?: number;
  host?: string;
  /** PEM certificate and key; default: a fresh self-signed certificate. */
  tls?: { cert: string; key: string };
  /** Delay before every SOAP answer. */
  delayMs?: number;
  /** Idle seconds after which a session is gone (vCenter default 1800). */
  sessionIdleSec?: number;
  /** Most objects per RetrievePropertiesEx page whatever the client asks (default: no cap). */
  maxObjectsCap?: number;
  /** Seconds after a 20-s slot ends before its sample shows in QueryPerf (late posting; default 0). */
  perfLatencySec?: number;
  /** The lab's clock (epoch ms); tests may move it. Default Date.now. */
  clock?: () => number;
  log?: Logger;
}

export interface VcenterLab {
  url: string;
  port: number;
  thumbprint: string;
  /** The PEM certificate the lab presents (to trust it with caFile). */
  certificate: string;
  about: { name: string; instanceUuid: string; vms: number; hosts: number };
  /** Calls answered per method since start. */
  calls(): Record<string, number>;
  setDelay(ms: number): void;
  /** Answers the next `times` calls of `method` with a vim25 fault (NotAuthenticated, SystemError ...). */
  injectFault(method: string, fault: string, times?: number): void;
  /** Ends every session, as an administrator or a vCenter restart would; returns how many. */
  terminateSessions(): number;
  close(): Promise<void>;
}

function injected(fault: string): VimFault {
  switch (fault) {
    case 'NotAuthenticated':
      return faults.notAuthenticated({ type: 'Folder', value: 'group-d1' });
    case 'InvalidLogin':
      return faults.invalidLogin();
    default:
      return new VimFault(fault, `Injected fault ${fault}`, fault === 'SystemError' ? '<reason>injected by the lab</reason>' : '');
  }
}

export async function startVcenterLab(opts: VcenterLabOptions): Promise<VcenterLab> {
  const vcenterName = opts.vcenter ?? 'vc01';
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new UserError(`the lab vCenter listens on loopback only, not ${host}.`, { fix: 'Use host 127.0.0.1 (the default).' });
  }
  if (!opts.users.length)
    throw new UserError('the lab vCenter needs at least one user.', {
      fix: 'Pass --user and --password-env (or users: [{ username, password }]).',
    });
  const log = opts.log ?? logger();
  const inv = new LabInventory(opts.estate, vcenterName);
  if (!inv.hosts.length) {
    const names = [...new Set(opts.estate.hosts.filter((h) => h.platform === 'vmware').map((h) => h.vcenter))];
    throw new UserError(`the estate has no VMware hosts for vCenter "${vcenterName}".`, {
      fix: names.length ? `Serve one of: ${names.join(', ')} (--vcenter NAME).` : 'Add hosts with platform: vmware to the estate.',
    });
  }
  const now = opts.clock ?? Date.now;
  const tls = opts.tls ? describeCertificate(opts.tls.cert, opts.tls.key) : labCertificate(`${vcenterName}.lab.local`);
  const instanceUuid = stableUuid(opts.estate.seed, 'vcenter', vcenterName);
  const sessions = new SessionStore(opts.users, (opts.sessionIdleSec ?? 1800) * 1000, now);
  const state = new LabState(inv, sessions, {
    vcenterName,
    instanceUuid,
    startedAt: now(),
    now,
    maxObjectsCap: opts.maxObjectsCap ?? Infinity,
    perfLatencySec: opts.perfLatencySec ?? 0,
  });
  const knobs = { delayMs: opts.delayMs ?? 0, injected: new Map<string, VimFault[]>(), calls: new Map<string, number>() };
  let url = '';
  const server = createLabServer({ cert: tls.cert, key: tls.key, state, knobs, log, url: () => url });
  const sockets = new Set<import('node:stream').Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(opts.port ?? 0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(`port ${opts.port} on ${host} is in use.`, { fix: 'Pick another --port, or 0 for any free port.' })
          : err,
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  url = `https://${host.includes(':') ? `[${host}]` : host}:${port}/sdk`;
  log.info({ url, vcenter: vcenterName, vms: inv.vmIndexes.length, hosts: inv.hosts.length }, 'lab vCenter listening');
  return {
    url,
    port,
    thumbprint: tls.thumbprint,
    certificate: tls.cert,
    about: { name: vcenterName, instanceUuid, vms: inv.vmIndexes.length, hosts: inv.hosts.length },
    calls: () => Object.fromEntries(knobs.calls),
    setDelay: (ms) => {
      knobs.delayMs = ms;
    },
    injectFault: (method, fault, times = 1) => {
      const list = knobs.injected.get(method) ?? [];
      for (let i = 0; i < times; i++) list.push(injected(fault));
      knobs.injected.set(method, list);
    },
    terminateSessions: () => {
      const n = sessions.terminateAll();
      state.sweep();
      return n;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

export { estateRate, diskSlot } from './truth.js';
export { vmSeries } from './perf.js';
export { COUNTERS, counterName } from './perf-counters.js';

/** Like a fresh vCenter's: CN = its name, reachable as localhost and 127.0.0.1, trusted by nobody. */
function labCertificate(name: string) {
  return selfSignedCertificate({
    commonName: name,
    organization: 'assessment-collector lab',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
}
