// The simulators `collector lab up` starts, one starter per kind. Each registers its close() in the
// shared cleanup list as soon as it is up, so prepareLab can close everything if a later step throws.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { Estate } from '../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../lab/hyperv/index.js';
import { linuxGuestsOfEstate } from '../../lab/linux/guest-estate.js';
import { clientKeyFromPem, hasApplications, newClientKey, startLinuxLab, type LinuxLab } from '../../lab/linux/index.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { estateGuestView, startWindowsLab, windowsGuestsOfEstate, windowsServersOfEstate } from '../../lab/windows/index.js';

export const LAB_PREFIX = 'lab-';
export const LINUX_USER = 'collector';
const VCENTER_USER = 'collector@vsphere.local';
const HYPERV_USER = 'LAB\\collector';
const WINDOWS_USER = 'LAB\\svc-collector';

/** Where a simulator answers and with which account, for adding it by hand. */
export interface LabEndpoint {
  kind: 'vcenter' | 'hyperv';
  name: string;
  address: string;
  port: number;
  username: string;
  passwordFile: string;
  thumbprint: string;
}

/** What every starter needs: the estate, where secrets live, and the list of cleanups to extend. */
export interface SimulatorContext {
  estate: Estate;
  dataDir: string;
  secrets: string;
  log: Logger;
  cleanups: Array<() => Promise<void>>;
}

/** Config entries a simulator contributes: sources, and guest credentials for the guests it serves. */
type Entry = Record<string, unknown>;

/** A secret in a 0600 file, made once and reused, so a restarted lab keeps its passwords. */
export function secretFile(dir: string, name: string): { file: string; value: string } {
  const file = join(dir, `${name}.secret`);
  if (existsSync(file)) return { file, value: readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '' };
  const value = randomBytes(15).toString('base64url');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { file, value };
}

/** One lab vCenter per vCenter the estate's VMware hosts name (vc01 when they name none). */
export async function startVcenters(
  ctx: SimulatorContext,
): Promise<{ vcenters: VcenterLab[]; endpoints: LabEndpoint[]; sources: Entry[] }> {
  const { estate, secrets, log } = ctx;
  const vcenters: VcenterLab[] = [];
  const endpoints: LabEndpoint[] = [];
  const sources: Entry[] = [];
  const vcNames = [...new Set(estate.hosts.filter((h) => h.platform === 'vmware').map((h) => h.vcenter ?? 'vc01'))];
  for (const vc of vcNames) {
    const pw = secretFile(secrets, `vcenter-${vc}`);
    const lab = await startVcenterLab({ estate, vcenter: vc, users: [{ username: VCENTER_USER, password: pw.value }], log });
    ctx.cleanups.push(() => lab.close());
    vcenters.push(lab);
    endpoints.push({
      kind: 'vcenter',
      name: vc,
      address: lab.url,
      port: lab.port,
      username: VCENTER_USER,
      passwordFile: pw.file,
      thumbprint: lab.thumbprint,
    });
    sources.push({
      name: `${LAB_PREFIX}${vc}`,
      kind: 'vcenter',
      url: lab.url,
      username: VCENTER_USER,
      password: { file: pw.file },
      tls: { thumbprint: lab.thumbprint },
    });
  }
  return { vcenters, endpoints, sources };
}

/** The estate's Hyper-V hosts: one source per cluster, one more for the standalone hosts. */
export async function startHyperv(
  ctx: SimulatorContext,
): Promise<{ hyperv: HypervLab | null; endpoints: LabEndpoint[]; sources: Entry[] }> {
  const { estate, secrets, log } = ctx;
  if (!estate.hosts.some((h) => h.platform === 'hyperv')) return { hyperv: null, endpoints: [], sources: [] };
  const pw = secretFile(secrets, 'hyperv');
  const hyperv = await startHypervLab({ estate, users: { [HYPERV_USER]: pw.value }, log });
  ctx.cleanups.push(() => hyperv.close());
  const endpoints: LabEndpoint[] = [];
  const sources: Entry[] = [];
  for (const e of hyperv.endpoints) {
    if (e.httpsPort)
      endpoints.push({
        kind: 'hyperv',
        name: e.host,
        address: '127.0.0.1',
        port: e.httpsPort,
        username: HYPERV_USER,
        passwordFile: pw.file,
        thumbprint: hyperv.certificateThumbprint,
      });
  }
  const base = {
    kind: 'hyperv',
    transport: 'https',
    auth: 'ntlm',
    username: HYPERV_USER,
    password: { file: pw.file },
    tls: { thumbprint: hyperv.certificateThumbprint },
    hostMap: hyperv.hostMap(),
  };
  const clusters = [...new Set(hyperv.endpoints.map((e) => e.cluster).filter((c): c is string => !!c))];
  for (const c of clusters) sources.push({ name: `${LAB_PREFIX}${c.toLowerCase()}`, host: c, cluster: true, ...base });
  const standalone = hyperv.endpoints.filter((e) => !e.cluster).map((e) => e.host);
  if (standalone.length)
    sources.push({
      name: `${LAB_PREFIX}hyperv`,
      host: standalone[0],
      ...(standalone.length > 1 ? { hosts: standalone.slice(1) } : {}),
      ...base,
    });
  return { hyperv, endpoints, sources };
}

/**
 * The estate's Windows servers: one simulated server per WS-Man listener, one windows source for all.
 * With applications (issue 12), the estate's Windows VMs are served as guests too (not as a source's servers),
 * and a lab guest credential reaches every Windows guest at its inventory IP through the lab's hostMap.
 */
export async function startWindows(ctx: SimulatorContext): Promise<{ sources: Entry[]; guestCredentials: Entry[] }> {
  const { estate, secrets, log } = ctx;
  const winServers = windowsServersOfEstate(estate);
  const winGuests = hasApplications(estate) ? windowsGuestsOfEstate(estate) : [];
  if (!winServers.length && !winGuests.length) return { sources: [], guestCredentials: [] };
  const pw = secretFile(secrets, 'windows');
  const win = await startWindowsLab({
    servers: [...winServers, ...winGuests],
    seed: estate.seed,
    users: { [WINDOWS_USER]: pw.value },
    log,
    guests: hasApplications(estate) ? (name) => estateGuestView(estate, name) : undefined,
  });
  ctx.cleanups.push(() => win.close());
  const account = { username: WINDOWS_USER, password: { file: pw.file } };
  const tls = { thumbprint: win.certificateThumbprint };
  const guestCredentials: Entry[] = winGuests.length
    ? [{ name: `${LAB_PREFIX}windows`, os: 'windows', ...account, transport: 'https', tls, hostMap: win.guestHostMap() }]
    : [];
  const sources: Entry[] = winServers.length
    ? [
        {
          name: `${LAB_PREFIX}windows`,
          kind: 'windows',
          hosts: winServers.map((w) => w.name),
          transport: 'https',
          auth: 'ntlm',
          ...account,
          tls,
          hostMap: win.hostMap(),
        },
      ]
    : [];
  return { sources, guestCredentials };
}

/** The lab account's SSH key, made once (0600) and reused. */
function linuxClientKey(secrets: string): { keyFile: string; blob: Buffer } {
  const keyFile = join(secrets, 'linux-collector.key');
  if (!existsSync(keyFile)) {
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, newClientKey().pem, { mode: 0o600 });
  }
  return { keyFile, blob: clientKeyFromPem(readFileSync(keyFile, 'utf8')).blob };
}

/**
 * The estate's Linux servers over SSH (the lab-linux source), host keys pinned in a known_hosts file.
 * The estate's powered-on Linux VMs are served too, as guests reached through a host map (their inventory IPs
 * are not on this machine), with the lab-linux-guests credential.
 */
export async function startLinux(ctx: SimulatorContext): Promise<{ linux: LinuxLab | null; sources: Entry[]; guestCredentials: Entry[] }> {
  const { estate, secrets, log } = ctx;
  if (!estate.servers.some((s) => s.family === 'linux')) return { linux: null, sources: [], guestCredentials: [] };
  const key = linuxClientKey(secrets);
  const linux = await startLinuxLab({ estate, users: [{ username: LINUX_USER, publicKey: key.blob }], log, vmGuests: true });
  ctx.cleanups.push(() => linux.close());
  const knownHosts = join(ctx.dataDir, 'linux_known_hosts');
  writeFileSync(knownHosts, linux.knownHosts());
  const account = { username: LINUX_USER, privateKey: { file: key.keyFile }, hostKeys: { file: knownHosts } };
  const guestMap: Record<string, string> = {};
  for (const g of linuxGuestsOfEstate(estate)) {
    const ep = linux.endpoints.find((e) => e.name === g.name);
    for (const ip of g.nics.flatMap((n) => n.ipAddresses)) if (ep) guestMap[ip] = ep.address;
  }
  const guestCredentials: Entry[] = Object.keys(guestMap).length
    ? [{ name: `${LAB_PREFIX}linux-guests`, os: 'linux', ...account, hostMap: guestMap }]
    : [];
  const physical = new Set(estate.servers.filter((s) => s.family === 'linux').map((s) => s.name));
  const hosts = linux.endpoints.filter((e) => physical.has(e.name)).map((e) => e.address);
  return { linux, sources: [{ name: `${LAB_PREFIX}linux`, kind: 'linux', hosts, ...account }], guestCredentials };
}
