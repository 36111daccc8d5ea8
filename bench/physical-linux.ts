// The Linux half of `npm run bench:physical`: N simulated Linux servers (the lab's SSH servers, in a child
// process so their CPU is not counted) polled by one Linux collector in THIS process at a 30-s cadence.
// Reports client CPU as % of one core, peak RSS, connections held, samples expected vs received, and the
// first inventory's time and CPU. Run alone: node dist/bench/physical-linux.js --servers 500 --duration 600
//   (--interval SEC, --concurrency N). The lead's bench/physical combines it with the Windows half.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../common/log.js';
import { LinuxCollector } from '../collectors/linux/index.js';
import { linuxSource } from '../config/schema/physical.js';
import { buildEstate } from '../lab/estate.js';
import { newClientKey, startLinuxLab } from '../lab/linux/index.js';
import { spawnLabChild } from './lab-child.js';

export interface LinuxBenchOptions {
  servers: number;
  durationSec: number;
  pollIntervalSec?: number;
  concurrency?: number;
  /** Progress lines (one per poll) to this function. */
  progress?: (line: string) => void;
}

export interface LinuxBenchResult {
  servers: number;
  durationSec: number;
  pollIntervalSec: number;
  polls: number;
  /** Collector CPU (user + system) over the polling phase, as % of one core. */
  clientCpuPctOfCore: number;
  peakRssMB: number;
  /** SSH connections open at the end, and handshakes made over the run (equal when none dropped). */
  connectionsHeld: number;
  handshakes: number;
  samplesExpected: number;
  samplesReceived: number;
  firstInventory: { ms: number; cpuMs: number; machines: number };
  pollWallMs: { median: number; max: number };
  errors: string[];
}

const DISKS = [{ sizeGB: 100 }, { sizeGB: 500 }];
const NICS = [{}];
/** cpu + memory, 4 per disk, 2 per NIC. */
const SAMPLES_PER_SERVER = 2 + 4 * DISKS.length + 2 * NICS.length;

function benchEstate(servers: number) {
  return buildEstate({
    seed: 11,
    generateServers: [{ count: servers, prefix: 'bench-lnx', family: 'linux', cpus: 8, memoryMB: 16384, disks: DISKS, nics: NICS }],
  });
}

/** The lab in a child process: prints one JSON line (addresses, known_hosts, client key) and serves until stdin closes. */
async function startLabChild(servers: number): Promise<{ child: ChildProcess; addresses: string[]; knownHosts: string; keyPem: string }> {
  const { child, info } = await spawnLabChild<{ addresses: string[]; knownHosts: string; keyPem: string }>(
    [fileURLToPath(import.meta.url), '--lab-child', String(servers)],
    { what: 'the lab', timeoutMs: 180_000 },
  );
  return { child, ...info };
}

async function labChild(servers: number): Promise<void> {
  const key = newClientKey();
  const lab = await startLinuxLab({ estate: benchEstate(servers), users: [{ username: 'bench', publicKey: key.blob }] });
  process.stdout.write(
    `${JSON.stringify({ addresses: lab.endpoints.map((e) => e.address), knownHosts: lab.knownHosts(), keyPem: key.pem })}\n`,
  );
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  await lab.close();
  process.exit(0);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function benchPhysicalLinux(opts: LinuxBenchOptions): Promise<LinuxBenchResult> {
  const interval = opts.pollIntervalSec ?? 30;
  const say = opts.progress ?? (() => undefined);
  const lab = await startLabChild(opts.servers);
  const dir = mkdtempSync(join(tmpdir(), 'bench-linux-'));
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 500);
  const c = (() => {
    writeFileSync(join(dir, 'known_hosts'), lab.knownHosts);
    writeFileSync(join(dir, 'id'), lab.keyPem, { mode: 0o600 });
    const cfg = linuxSource.parse({
      name: 'bench-linux',
      kind: 'linux',
      hosts: lab.addresses,
      username: 'bench',
      privateKey: { file: join(dir, 'id') },
      hostKeys: { file: join(dir, 'known_hosts') },
      pollIntervalSec: Math.max(30, interval),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    });
    return new LinuxCollector(cfg, { log: createLogger({ level: 'warn' }) });
  })();
  const errors: string[] = [];
  try {
    const inv0 = { wall: Date.now(), cpu: cpuMs() };
    const inv = await c.discover();
    const firstInventory = { ms: Date.now() - inv0.wall, cpuMs: Math.round(cpuMs() - inv0.cpu), machines: inv.machines.length };
    errors.push(...inv.source.errors.slice(0, 5));
    say(`first inventory: ${inv.machines.length} servers in ${firstInventory.ms} ms, ${firstInventory.cpuMs} ms CPU`);

    // Priming reading, then the measured phase.
    await c.poll(() => undefined);
    const start = { wall: Date.now(), cpu: cpuMs() };
    let received = 0;
    let polls = 0;
    const walls: number[] = [];
    const end = start.wall + opts.durationSec * 1000;
    for (let next = start.wall + interval * 1000; next <= end; next += interval * 1000) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      const t = Date.now();
      const stats = await c.poll((b) => {
        received += b.length;
      });
      walls.push(Date.now() - t);
      polls++;
      if (stats.errors.length) errors.push(...stats.errors.slice(0, 3));
      say(
        `poll ${polls}: ${stats.samples} samples from ${stats.machinesPolled} servers in ${Date.now() - t} ms; CPU so far ${(((cpuMs() - start.cpu) / (Date.now() - start.wall)) * 100).toFixed(2)} % of a core; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
      );
    }
    const elapsed = Date.now() - start.wall;
    const sorted = [...walls].sort((a, b) => a - b);
    return {
      servers: opts.servers,
      durationSec: Math.round(elapsed / 1000),
      pollIntervalSec: interval,
      polls,
      clientCpuPctOfCore: Math.round(((cpuMs() - start.cpu) / elapsed) * 10000) / 100,
      peakRssMB: Math.round(peakRss / 1048576),
      connectionsHeld: c.sessions.filter((s) => s.connected).length,
      handshakes: c.sessions.reduce((n, s) => n + s.connects, 0),
      samplesExpected: polls * opts.servers * SAMPLES_PER_SERVER,
      samplesReceived: received,
      firstInventory,
      pollWallMs: { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
      errors: [...new Set(errors)].slice(0, 10),
    };
  } finally {
    clearInterval(rssTimer);
    await c.close();
    lab.child.stdin?.end();
    await new Promise((r) => lab.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? def;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--lab-child')) {
    await labChild(Number(arg('lab-child', '500')));
  } else {
    const r = await benchPhysicalLinux({
      servers: Number(arg('servers', '500')),
      durationSec: Number(arg('duration', '600')),
      pollIntervalSec: Number(arg('interval', '30')),
      concurrency: process.argv.includes('--concurrency') ? Number(arg('concurrency', '32')) : undefined,
      progress: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  }
}
