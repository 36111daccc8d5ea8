import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../common/errors.js';
import type { CollectorConfig } from '../../config/load.js';
import type { Logger } from '../../common/log.js';
import { loadEstate, type Estate } from '../../lab/estate.js';
import type { HypervLab } from '../../lab/hyperv/index.js';
import type { LinuxLab } from '../../lab/linux/index.js';
import type { VcenterLab } from '../../lab/vcenter/index.js';
import { ConfigStore } from '../../appliance/config-store.js';
import { writeFileAtomically } from '../../common/atomic-file.js';
import { redisAnswers, startPrivateRedis, type PrivateRedis } from '../../appliance/private-redis.js';
import {
  LAB_PREFIX,
  LINUX_USER,
  type LabEndpoint,
  type SimulatorContext,
  secretFile,
  startHyperv,
  startLinux,
  startVcenters,
  startWindows,
} from './lab-simulators.js';

export { LAB_PREFIX, type LabEndpoint } from './lab-simulators.js';

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

/** Use the given Redis when it answers, else start a private redis-server in the data dir. */
async function labRedis(
  opts: LabOptions,
  dataDir: string,
  cleanups: SimulatorContext['cleanups'],
): Promise<{ redis: PrivateRedis | null; redisUrl: string }> {
  if (opts.redisUrl && (await redisAnswers(opts.redisUrl))) return { redis: null, redisUrl: opts.redisUrl };
  if (opts.redisUrl) opts.log.warn({ redisUrl: opts.redisUrl }, 'lab: that Redis does not answer; starting a private redis-server instead');
  const redis = await startPrivateRedis({ dir: join(dataDir, 'redis') });
  cleanups.push(() => redis.stop());
  return { redis, redisUrl: redis.url };
}

/** The --extra-sources YAML list (e.g. docker-compose's vcsim), added as they are. */
function readExtraSources(file: string | undefined): Record<string, unknown>[] {
  if (!file) return [];
  const extra = parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(extra))
    throw new UserError(`${file}: expected a YAML list of sources.`, {
      fix: 'Write "- name: ...\\n  kind: vcenter ..." entries, as under sources: in a config file.',
    });
  return extra as Record<string, unknown>[];
}

/**
 * Writes the config on first start, then rewrites only what the lab owns: the Redis URL, the web address,
 * the lab-* guest credentials and lab-* sources. Whatever the admin added in the web app is kept.
 */
async function writeLabConfig(
  opts: LabOptions,
  configFile: string,
  adminPasswordFile: string,
  redisUrl: string,
  lab: { sources: Record<string, unknown>[]; guestCredentials: Record<string, unknown>[] },
): Promise<ConfigStore> {
  if (!existsSync(configFile)) {
    writeFileAtomically(
      configFile,
      `# Written by \`collector lab up\`. Lab sources (${LAB_PREFIX}*) are rewritten on every start with the\n# simulators' new ports and certificates; sources added in the web app are kept.\nredis:\n  url: ${redisUrl}\n  prefix: lab\nweb:\n  dataDir: appliance\n  adminPassword: { file: ${adminPasswordFile} }\n# Inside the guests: the lab's applications show on the Dependencies page and as suggested groups.\nsoftware: { enabled: true, intervalHours: 24 }\ndependencies: { enabled: true, pollIntervalSec: 60 }\nsources: []\n`,
    );
  }
  const store = new ConfigStore(configFile);
  await store.setIn(['redis', 'url'], redisUrl);
  if (opts.webPort !== undefined) await store.setIn(['web', 'port'], opts.webPort);
  if (opts.webHost !== undefined) await store.setIn(['web', 'host'], opts.webHost);
  // Lab guest credentials (lab-*) are rewritten on every start; the user's own entries are kept.
  const ownCredentials = (store.read().guestCredentials ?? []).filter((c) => !c.name.startsWith(LAB_PREFIX));
  if (lab.guestCredentials.length || ownCredentials.length !== (store.read().guestCredentials ?? []).length)
    await store.setIn(['guestCredentials'], [...ownCredentials, ...(opts.noLabSources ? [] : lab.guestCredentials)]);
  // With --no-lab-sources the simulators run but only the extra (non lab-*) sources are configured.
  const sources = opts.noLabSources ? lab.sources.filter((s) => !String(s.name).startsWith(LAB_PREFIX)) : lab.sources;
  const wanted = new Set(sources.map((s) => String(s.name)));
  for (const s of store.sources()) if (s.name.startsWith(LAB_PREFIX) && !wanted.has(s.name)) await store.removeSource(s.name);
  for (const s of sources) {
    const exists = store.rawSource(String(s.name)) !== null;
    await store.upsertSource(s, exists ? String(s.name) : undefined);
  }
  return store;
}

/**
 * Everything the lab needs before the service starts: Redis, one lab vCenter per estate vCenter, the
 * Hyper-V hosts, the Windows and Linux servers, and a config file whose lab sources point at them
 * (thumbprints pinned, passwords in files). The config keeps whatever the admin added in the web app
 * across restarts: only the lab's own sources, the Redis URL and the web port are rewritten.
 */
export async function prepareLab(opts: LabOptions): Promise<PreparedLab> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const estate = loadEstate(opts.estateFile);
  // Every started simulator registers its close() here; on any later failure all are closed, newest first.
  const cleanups: SimulatorContext['cleanups'] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const { redis, redisUrl } = await labRedis(opts, dataDir, cleanups);
    const ctx: SimulatorContext = { estate, dataDir, secrets: join(dataDir, 'secrets'), log: opts.log, cleanups };
    // Started in this order so sources keep their order in the config: vCenters, Hyper-V, Windows, extra, Linux.
    const vc = await startVcenters(ctx);
    const hv = await startHyperv(ctx);
    const win = await startWindows(ctx);
    const extra = readExtraSources(opts.extraSources);
    const lin = await startLinux(ctx);
    const admin = secretFile(ctx.secrets, 'admin-password');
    const configFile = join(dataDir, 'config.yaml');
    const store = await writeLabConfig(opts, configFile, admin.file, redisUrl, {
      sources: [...vc.sources, ...hv.sources, ...win.sources, ...extra, ...lin.sources],
      guestCredentials: [...win.guestCredentials, ...lin.guestCredentials],
    });
    return {
      configFile,
      config: store.read(),
      adminPassword: admin.value,
      estate,
      redis,
      vcenters: vc.vcenters,
      hyperv: hv.hyperv,
      linux: lin.linux,
      endpoints: [...vc.endpoints, ...hv.endpoints],
      close,
    };
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
