import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { loadEstate, type Estate } from '../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../lab/hyperv/index.js';
import { linuxGuestsOfEstate } from '../../lab/linux/guest-estate.js';
import { clientKeyFromPem, newClientKey, startLinuxLab, type LinuxLab } from '../../lab/linux/index.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { estateGuestView, startWindowsLab, windowsGuestsOfEstate, windowsServersOfEstate } from '../../lab/windows/index.js';
import { hasApplications } from '../../lab/linux/index.js';
import { ConfigStore } from '../../appliance/config-store.js';
import { writeFileAtomically } from '../../common/atomic-file.js';
import { redisAnswers, startPrivateRedis, type PrivateRedis } from '../../appliance/private-redis.js';

export interface LabOptions {
  estateFile: string;
  dataDir: string;
  /** Use this Redis when it answers; otherwise (or when absent) a private redis-server in the data dir. */
  redisUrl?: string;
  webHost?: string;
  webPort?: number;
  /** YAML list of more sources (e.g. docker-compose's vcsim) added to the generated config. */
  extraSources?: string;
  /** Start the simulators but leave adding them as sources to the admin (a guided demo, the browser test). */
  noLabSources?: boolean;
  log: Logger;
}

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

export interface PreparedLab {
  configFile: string;
  config: CollectorConfig;
  adminPassword: string;
  estate: Estate;
  redis: PrivateRedis | null;
  vcenters: VcenterLab[];
  hyperv: HypervLab | null;
  linux: LinuxLab | null;
  endpoints: LabEndpoint[];
  close(): Promise<void>;
}

export const LAB_PREFIX = 'lab-';
const LINUX_USER = 'collector';
const VCENTER_USER = 'collector@vsphere.local';
const HYPERV_USER = 'LAB\\collector';
const WINDOWS_USER = 'LAB\\svc-collector';

/** A secret in a 0600 file, made once and reused, so a restarted lab keeps its passwords. */
function secretFile(dir: string, name: string): { file: string; value: string } {
  const file = join(dir, `${name}.secret`);
  if (existsSync(file)) return { file, value: readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '' };
  const value = randomBytes(15).toString('base64url');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { file, value };
}

/**
 * Everything the lab needs before the service starts: Redis, one lab vCenter per estate vCenter, the
 * Hyper-V hosts, and a config file whose lab sources point at them (thumbprints pinned, passwords in
 * files). The config keeps whatever the admin added in the web app across restarts: only the lab's own
 * sources, the Redis URL and the web port are rewritten.
 */
export async function prepareLab(opts: LabOptions): Promise<PreparedLab> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = join(dataDir, 'secrets');
  const estate = loadEstate(opts.estateFile);
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let redis: PrivateRedis | null = null;
    let redisUrl = opts.redisUrl;
    if (!redisUrl || !(await redisAnswers(redisUrl))) {
      if (redisUrl) opts.log.warn({ redisUrl }, 'lab: that Redis does not answer; starting a private redis-server instead');
      const started = await startPrivateRedis({ dir: join(dataDir, 'redis') });
      cleanups.push(() => started.stop());
      redis = started;
      redisUrl = started.url;
    }

    const sources: Record<string, unknown>[] = [];
    const endpoints: LabEndpoint[] = [];
    const vcenters: VcenterLab[] = [];
    const vcNames = [...new Set(estate.hosts.filter((h) => h.platform === 'vmware').map((h) => h.vcenter ?? 'vc01'))];
    for (const vc of vcNames) {
      const pw = secretFile(secrets, `vcenter-${vc}`);
      const lab = await startVcenterLab({ estate, vcenter: vc, users: [{ username: VCENTER_USER, password: pw.value }], log: opts.log });
      cleanups.push(() => lab.close());
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

    let hyperv: HypervLab | null = null;
    if (estate.hosts.some((h) => h.platform === 'hyperv')) {
      const pw = secretFile(secrets, 'hyperv');
      const started = await startHypervLab({ estate, users: { [HYPERV_USER]: pw.value }, log: opts.log });
      cleanups.push(() => started.close());
      hyperv = started;
      const hostMap = hyperv.hostMap();
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
        hostMap,
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
    }

    // The estate's Windows servers: one simulated server per WS-Man listener, one windows source for all.
    // With applications (issue 12), the estate's Windows VMs are served as guests too (not as a source's servers),
    // and a lab guest credential reaches every Windows guest at its inventory IP through the lab's hostMap.
    const winServers = windowsServersOfEstate(estate);
    const winGuests = hasApplications(estate) ? windowsGuestsOfEstate(estate) : [];
    let labGuestCredentials: Record<string, unknown>[] = [];
    let winLab: Awaited<ReturnType<typeof startWindowsLab>> | null = null;
    if (winServers.length || winGuests.length) {
      const pw = secretFile(secrets, 'windows');
      const win = await startWindowsLab({
        servers: [...winServers, ...winGuests],
        seed: estate.seed,
        users: { [WINDOWS_USER]: pw.value },
        log: opts.log,
        guests: hasApplications(estate) ? (name) => estateGuestView(estate, name) : undefined,
      });
      cleanups.push(() => win.close());
      winLab = win;
      if (winGuests.length)
        labGuestCredentials = [
          {
            name: `${LAB_PREFIX}windows`,
            os: 'windows',
            username: WINDOWS_USER,
            password: { file: pw.file },
            transport: 'https',
            tls: { thumbprint: win.certificateThumbprint },
            hostMap: win.guestHostMap(),
          },
        ];
    }
    if (winServers.length && winLab) {
      const win = winLab;
      const pw = secretFile(secrets, 'windows');
      sources.push({
        name: `${LAB_PREFIX}windows`,
        kind: 'windows',
        hosts: winServers.map((w) => w.name),
        transport: 'https',
        auth: 'ntlm',
        username: WINDOWS_USER,
        password: { file: pw.file },
        tls: { thumbprint: win.certificateThumbprint },
        hostMap: win.hostMap(),
      });
    }

    if (opts.extraSources) {
      const extra = parse(readFileSync(opts.extraSources, 'utf8')) as unknown;
      if (!Array.isArray(extra))
        throw new UserError(`${opts.extraSources}: expected a YAML list of sources.`, {
          fix: 'Write "- name: ...\\n  kind: vcenter ..." entries, as under sources: in a config file.',
        });
      sources.push(...(extra as Record<string, unknown>[]));
    }

    let linux: LinuxLab | null = null;
    if (estate.servers.some((s) => s.family === 'linux')) {
      // The lab account's SSH key, made once (0600) and reused; host keys are pinned in a known_hosts file.
      const keyFile = join(secrets, 'linux-collector.key');
      if (!existsSync(keyFile)) {
        mkdirSync(secrets, { recursive: true, mode: 0o700 });
        writeFileSync(keyFile, newClientKey().pem, { mode: 0o600 });
      }
      const key = clientKeyFromPem(readFileSync(keyFile, 'utf8'));
      // The estate's powered-on Linux VMs are served too, as guests reached through a host map (their inventory IPs
      // are not on this machine); the physical servers are the lab-linux source.
      const servers = await startLinuxLab({
        estate,
        users: [{ username: LINUX_USER, publicKey: key.blob }],
        log: opts.log,
        vmGuests: true,
      });
      linux = servers;
      cleanups.push(() => servers.close());
      const knownHosts = join(dataDir, 'linux_known_hosts');
      writeFileSync(knownHosts, servers.knownHosts());
      const physical = new Set(estate.servers.filter((s) => s.family === 'linux').map((s) => s.name));
      const guestMap: Record<string, string> = {};
      for (const g of linuxGuestsOfEstate(estate)) {
        const ep = servers.endpoints.find((e) => e.name === g.name);
        for (const ip of g.nics.flatMap((n) => n.ipAddresses)) if (ep) guestMap[ip] = ep.address;
      }
      if (Object.keys(guestMap).length)
        labGuestCredentials.push({
          name: `${LAB_PREFIX}linux-guests`,
          os: 'linux',
          username: LINUX_USER,
          privateKey: { file: keyFile },
          hostKeys: { file: knownHosts },
          hostMap: guestMap,
        });
      sources.push({
        name: `${LAB_PREFIX}linux`,
        kind: 'linux',
        hosts: servers.endpoints.filter((e) => physical.has(e.name)).map((e) => e.address),
        username: LINUX_USER,
        privateKey: { file: keyFile },
        hostKeys: { file: knownHosts },
      });
    }

    const admin = secretFile(secrets, 'admin-password');
    const configFile = join(dataDir, 'config.yaml');
    if (!existsSync(configFile)) {
      writeFileAtomically(
        configFile,
        `# Written by \`collector lab up\`. Lab sources (${LAB_PREFIX}*) are rewritten on every start with the\n# simulators' new ports and certificates; sources added in the web app are kept.\nredis:\n  url: ${redisUrl}\n  prefix: lab\nweb:\n  dataDir: appliance\n  adminPassword: { file: ${admin.file} }\n# Inside the guests: the lab's applications show on the Dependencies page and as suggested groups.\nsoftware: { enabled: true, intervalHours: 24 }\ndependencies: { enabled: true, pollIntervalSec: 60 }\nsources: []\n`,
      );
    }
    const store = new ConfigStore(configFile);
    await store.setIn(['redis', 'url'], redisUrl);
    if (opts.webPort !== undefined) await store.setIn(['web', 'port'], opts.webPort);
    if (opts.webHost !== undefined) await store.setIn(['web', 'host'], opts.webHost);
    // Lab guest credentials (lab-*) are rewritten on every start; the user's own entries are kept.
    const ownCredentials = (store.read().guestCredentials ?? []).filter((c) => !c.name.startsWith(LAB_PREFIX));
    if (labGuestCredentials.length || ownCredentials.length !== (store.read().guestCredentials ?? []).length)
      await store.setIn(['guestCredentials'], [...ownCredentials, ...(opts.noLabSources ? [] : labGuestCredentials)]);
    if (opts.noLabSources) sources.splice(0, sources.length, ...sources.filter((s) => !String(s.name).startsWith(LAB_PREFIX)));
    const wanted = new Set(sources.map((s) => String(s.name)));
    for (const s of store.sources()) if (s.name.startsWith(LAB_PREFIX) && !wanted.has(s.name)) await store.removeSource(s.name);
    for (const s of sources) {
      const exists = store.rawSource(String(s.name)) !== null;
      await store.upsertSource(s, exists ? String(s.name) : undefined);
    }
    return { configFile, config: store.read(), adminPassword: admin.value, estate, redis, vcenters, hyperv, linux, endpoints, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface RunningLab {
  lab: PreparedLab;
  url: string;
  thumbprint: string;
  adminPassword: string;
  /** Human-readable summary printed by `collector lab up`. */
  banner: string;
  stop(): Promise<void>;
}

/** `collector lab up`: the prepared lab plus the service with collectors, workers and the web app. */
export async function runLabUp(opts: LabOptions): Promise<RunningLab> {
  const lab = await prepareLab(opts);
  const { buildService } = await import('../../appliance/service.js');
  // A sink section added to the lab's config.yaml (e.g. a test ARM + Azurite) runs the Azure sink as `collector run` does.
  const svc = buildService(lab.config, opts.log, { configFile: lab.configFile, web: true, sink: lab.config.sink.enabled });
  try {
    await svc.start();
  } catch (err) {
    await svc.stop().catch(() => undefined);
    await lab.close();
    throw err;
  }
  const app = svc.web?.app;
  if (!app) {
    await svc.stop().catch(() => undefined);
    await lab.close();
    throw new Error('lab up: the service started without its web app');
  }
  const lines = [
    'The lab is up.',
    `  Web app:  ${app.url}   (self-signed certificate, SHA-256 ${app.thumbprint})`,
    `  Sign in:  admin / ${lab.adminPassword}`,
    `  Config:   ${lab.configFile}`,
    ...lab.config.sources.map((s) => `  Source:   ${s.name} (${sourceLine(s)})`),
    ...(opts.noLabSources
      ? lab.endpoints.map(
          (e) =>
            `  Lab ${e.kind === 'vcenter' ? 'vCenter' : 'Hyper-V host'} ${e.name}: ${e.kind === 'vcenter' ? e.address : `${e.address} port ${e.port} (HTTPS)`}  user ${e.username}  password in ${e.passwordFile}`,
        )
      : []),
    ...(opts.noLabSources && lab.linux
      ? [
          `  Lab Linux servers (SSH): ${lab.linux.endpoints.map((e) => e.address).join(', ')}  user ${LINUX_USER}  key in ${join(resolve(opts.dataDir), 'secrets', 'linux-collector.key')}  host keys in ${join(resolve(opts.dataDir), 'linux_known_hosts')}`,
        ]
      : []),
    `  Redis:    ${lab.config.redis.url}${lab.redis ? ` (private redis-server, data in ${resolve(opts.dataDir, 'redis')})` : ''}`,
    'Machines appear on the Discovery page within a minute; the one-hour backfill gives charts and a first assessment right after.',
    'Guests are read 30 s after start and every minute in the lab (5 minutes by default): Dependencies shows the map, `collector groups suggest` the groups.',
    'Press Ctrl+C to stop.',
  ];
  return {
    lab,
    url: app.url,
    thumbprint: app.thumbprint,
    adminPassword: lab.adminPassword,
    banner: `${lines.join('\n')}\n`,
    stop: async () => {
      await svc.stop();
      await lab.close();
    },
  };
}

function sourceLine(s: CollectorConfig['sources'][number]): string {
  if (s.kind === 'vcenter') return `vCenter ${s.url}`;
  if (s.kind === 'hyperv') return `Hyper-V ${s.host}${s.cluster ? ' cluster' : ''}`;
  return `${s.kind === 'linux' ? 'Linux servers over SSH' : 'Windows servers over WinRM'}: ${s.hosts.length} host(s)`;
}
