// `npm run bench:guests` (issue 12): N simulated Linux guests (the lab's SSH servers answering the guest
// reader's ss / dpkg-query commands, in a child process so their CPU is not counted) read by guest access and
// the pollers in THIS process: one software round, then connection snapshots at the 5-minute cadence into the
// DependencyStore (Redis). Reports client CPU as % of one core over the dependency phase, peak RSS, connections,
// edges. node dist/bench/guests.js --guests 1000 --duration 600 [--interval 300] [--concurrency 64]
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { GuestAccess } from '../appliance/guests/access.js';
import { GuestPollers } from '../appliance/guests/pollers.js';
import { createLogger } from '../common/log.js';
import { parseConfig } from '../config/load.js';
import { buildEstate } from '../lab/estate.js';
import { newClientKey, startLinuxLab } from '../lab/linux/index.js';
import type { Machine } from '../model/index.js';
import { GuestAccessStore } from '../queue/guest-access-store.js';
import { SoftwareStore } from '../queue/software-store.js';
import { DependencyStore, HOUR_MS } from '../rollup/dependency-store.js';
import { spawnLabChild } from './lab-child.js';

interface LabGuest {
  name: string;
  port: number;
  ip: string;
}

function benchEstate(guests: number) {
  return buildEstate({
    seed: 12,
    generateServers: [
      { count: guests, prefix: 'bench-guest', family: 'linux', cpus: 4, memoryMB: 8192, disks: [{ sizeGB: 100 }], nics: [{}] },
    ],
  });
}

async function startLabChild(guests: number): Promise<{ child: ChildProcess; guests: LabGuest[]; knownHosts: string; keyPem: string }> {
  const { child, info } = await spawnLabChild<{ guests: LabGuest[]; knownHosts: string; keyPem: string }>(
    [fileURLToPath(import.meta.url), '--lab-child', String(guests)],
    { what: 'the lab', timeoutMs: 300_000 },
  );
  return { child, ...info };
}

async function labChild(guests: number): Promise<void> {
  const key = newClientKey();
  const estate = benchEstate(guests);
  const lab = await startLinuxLab({ estate, users: [{ username: 'bench', publicKey: key.blob }] });
  const ipOf = new Map(estate.servers.map((s) => [s.name, s.nics[0]?.ipAddresses.find((a) => !a.includes(':')) ?? '']));
  const out = lab.endpoints.map((e) => ({ name: e.name, port: e.port, ip: ipOf.get(e.name) ?? '' }));
  process.stdout.write(`${JSON.stringify({ guests: out, knownHosts: lab.knownHosts(), keyPem: key.pem })}\n`);
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  await lab.close();
  process.exit(0);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? def;
}

export async function benchGuests(opts: {
  guests: number;
  durationSec: number;
  intervalSec: number;
  concurrency: number;
  redisUrl: string;
}) {
  const say = (l: string) => process.stderr.write(`${l}\n`);
  const lab = await startLabChild(opts.guests);
  say(`lab: ${lab.guests.length} Linux guests listening`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-guests-'));
  writeFileSync(join(dir, 'known_hosts'), lab.knownHosts);
  writeFileSync(join(dir, 'id'), lab.keyPem, { mode: 0o600 });
  const prefix = `bench-guests-${process.pid}-${randomBytes(3).toString('hex')}`;
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 5 });
  const cfg = parseConfig({
    redis: { url: opts.redisUrl, prefix },
    sources: [{ name: 'vc', kind: 'vcenter', url: 'https://127.0.0.1/sdk', username: 'u', password: { env: 'BENCH_UNUSED' } }],
    guestCredentials: [
      {
        name: 'linux-bench',
        os: 'linux',
        username: 'bench',
        privateKey: { file: join(dir, 'id') },
        hostKeys: { file: join(dir, 'known_hosts') },
      },
    ],
    dependencies: { enabled: true, pollIntervalSec: Math.max(60, opts.intervalSec) },
    software: { enabled: true },
  });
  const portOf = new Map(lab.guests.map((g) => [g.name, g.port]));
  const machines: Machine[] = lab.guests.map((g, i) => ({
    id: `vmware:vc:${g.name}`,
    source: 'vc',
    kind: 'vmware',
    name: g.name,
    moref: `vm-${i}`,
    biosUuid: null,
    instanceId: `i-${i}`,
    cpuCores: 4,
    memoryMB: 8192,
    os: { name: 'Ubuntu Linux (64-bit)', id: 'ubuntu64Guest' },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: null,
    cluster: null,
    datacenter: null,
    disks: [],
    nics: [],
    ipAddresses: [g.ip],
  }));
  const log = createLogger({ level: 'warn' });
  const access = new GuestAccess(cfg, {
    log,
    store: new GuestAccessStore(redis, prefix),
    timeoutMs: 30_000,
    // Every lab guest is 127.0.0.1 on its own port; its IP (for resolution) is the estate's.
    targets: (m) => [{ host: '127.0.0.1', port: portOf.get(m.name) ?? 1 }],
  });
  const deps = new DependencyStore(redis, prefix);
  const pollers = new GuestPollers(cfg, {
    log,
    access,
    inventory: { machines: async () => machines },
    software: new SoftwareStore(redis, prefix),
    dependencies: deps,
    concurrency: opts.concurrency,
  });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 500);
  try {
    const c0 = { wall: Date.now(), cpu: cpuMs() };
    const sw = { ...(await pollers.pollSoftware()) };
    const software = { ms: Date.now() - c0.wall, cpuMs: Math.round(cpuMs() - c0.cpu), read: sw.read, unreachable: sw.unreachable };
    say(`software round (includes the ${opts.guests} SSH handshakes): ${JSON.stringify(software)}`);
    const start = { wall: Date.now(), cpu: cpuMs() };
    const walls: number[] = [];
    const end = start.wall + opts.durationSec * 1000;
    let polls = 0;
    for (let next = start.wall; next <= end; next += opts.intervalSec * 1000) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      const t = Date.now();
      const s = { ...(await pollers.pollDependencies()) };
      walls.push(Date.now() - t);
      polls++;
      say(
        `poll ${polls}: ${s.read} read, ${s.unreachable} unreachable, ${s.failed} failed in ${Date.now() - t} ms; CPU so far ${(((cpuMs() - start.cpu) / Math.max(1, Date.now() - start.wall)) * 100).toFixed(2)} % of a core; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
      );
    }
    // The measured window is the whole duration (a 5-minute cadence idles between polls), or longer if the last poll ran past it.
    const elapsed = Date.now() - start.wall;
    const edges = await deps.edges(start.wall - HOUR_MS, Date.now() + HOUR_MS);
    const st = pollers.dependencyStats;
    return {
      guests: opts.guests,
      intervalSec: opts.intervalSec,
      measuredSec: Math.round(elapsed / 1000),
      polls,
      clientCpuPctOfCore: Math.round(((cpuMs() - start.cpu) / elapsed) * 10000) / 100,
      cpuMsPerPoll: Math.round((cpuMs() - start.cpu) / polls),
      peakRssMB: Math.round(peakRss / 1048576),
      pollWallMs: { median: [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)] ?? 0, max: Math.max(...walls) },
      snapshotsRead: st.read,
      failed: st.failed,
      unreachable: st.unreachable,
      edges: edges.length,
      edgesWithDestinationProcess: edges.filter((e) => e.destinationProcess).length,
      software,
      handshakes: access.attempts,
    };
  } finally {
    clearInterval(rssTimer);
    await access.closeAll();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    lab.child.stdin?.end();
    await new Promise((r) => lab.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--lab-child')) await labChild(Number(arg('lab-child', '1000')));
  else {
    const r = await benchGuests({
      guests: Number(arg('guests', '1000')),
      durationSec: Number(arg('duration', '600')),
      intervalSec: Number(arg('interval', '300')),
      concurrency: Number(arg('concurrency', '64')),
      redisUrl: arg('redis', 'redis://127.0.0.1:6379/15'),
    });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  }
}
