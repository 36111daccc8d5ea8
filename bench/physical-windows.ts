// The Windows half of `npm run bench:physical`: N simulated Windows servers (lab/windows, in a child
// process so that only the collector's work is measured here) read by one Windows-server collector at a
// 30-s cadence. Reports client CPU as % of one core, peak RSS, connections held, samples expected vs
// received, and the first inventory's wall time and CPU. The lead's bench:physical combines it with the
// Linux half; run alone: node dist/bench/physical-windows.js --servers 500 --minutes 3 [--transport http]
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createWindowsCollector } from '../collectors/windows/index.js';
import { createLogger } from '../common/log.js';
import { windowsSource } from '../config/schema/physical.js';
import { serverSpec, startWindowsLab } from '../lab/windows/index.js';
import { spawnLabChild } from './lab-child.js';

export interface WindowsBenchOptions {
  servers: number;
  durationSec: number;
  intervalSec?: number;
  transport?: 'https' | 'http';
  concurrency?: number;
}

export interface WindowsBenchResult {
  servers: number;
  transport: 'https' | 'http';
  intervalSec: number;
  durationSec: number;
  firstInventory: { wallSec: number; cpuSec: number; machines: number };
  polls: number;
  /** Collector CPU over the polling phase as % of one core (user + system of this process). */
  cpuPercentOfOneCore: number;
  /** Slowest poll cycle, seconds of wall time (must stay well under the interval). */
  maxPollWallSec: number;
  peakRssMB: number;
  connectionsHeld: number;
  samplesExpected: number;
  samplesReceived: number;
  errors: string[];
}

const SEED = 31;
const PASSWORD_ENV = 'BENCH_WINDOWS_PASSWORD';
const USER = 'LAB\\bench';
const SAMPLES_PER_SERVER = 8; // cpu, memory, 4 per disk (1 disk), 2 per NIC (1 NIC)

function names(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `win-${String(i + 1).padStart(5, '0')}`);
}

interface LabInfo {
  thumbprint: string;
  hostMap: Record<string, { address: string; httpsPort?: number; httpPort?: number }>;
}

/** The simulator side, run in a child process: prints its ports as one JSON line, then serves until killed. */
async function serve(n: number, password: string, transport: 'https' | 'http'): Promise<void> {
  const lab = await startWindowsLab({
    servers: names(n).map((name, i) => serverSpec(SEED, name, {}, i)),
    seed: SEED,
    users: { [USER]: password },
    http: transport === 'http',
    https: transport === 'https',
  });
  process.stdout.write(`${JSON.stringify({ thumbprint: lab.certificateThumbprint, hostMap: lab.hostMap() } satisfies LabInfo)}\n`);
  process.once('SIGTERM', () => void lab.close().then(() => process.exit(0)));
}

async function startLabChild(n: number, password: string, transport: 'https' | 'http'): Promise<{ child: ChildProcess; info: LabInfo }> {
  return spawnLabChild<LabInfo>([...process.execArgv, fileURLToPath(import.meta.url), '--serve', String(n), '--transport', transport], {
    what: 'the Windows lab',
    timeoutMs: 300_000,
    env: { ...process.env, [PASSWORD_ENV]: password },
    stdin: 'ignore',
  });
}

const cpuSec = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

export async function benchPhysicalWindows(o: WindowsBenchOptions): Promise<WindowsBenchResult> {
  const intervalSec = o.intervalSec ?? 30;
  const transport = o.transport ?? 'https';
  const password = `Bench-${Math.random().toString(36).slice(2)}-Aa1!`;
  process.env[PASSWORD_ENV] = password;
  const { child, info } = await startLabChild(o.servers, password, transport);
  const log = createLogger({ level: 'warn' });
  const collector = createWindowsCollector(
    windowsSource.parse({
      name: 'bench-windows',
      kind: 'windows',
      hosts: names(o.servers),
      transport,
      username: USER,
      password: { env: PASSWORD_ENV },
      tls: transport === 'https' ? { thumbprint: info.thumbprint } : {},
      hostMap: info.hostMap,
      concurrency: o.concurrency ?? 32,
    }),
    { log },
  );
  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 250);
  const errors: string[] = [];
  try {
    const inv0 = process.cpuUsage();
    const invStart = performance.now();
    const { machines, source } = await collector.discover();
    const firstInventory = {
      wallSec: (performance.now() - invStart) / 1000,
      cpuSec: cpuSec(process.cpuUsage(inv0)),
      machines: machines.length,
    };
    errors.push(...source.errors);

    let received = 0;
    let polls = 0;
    let maxPollWallSec = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const cycles = Math.max(2, Math.floor(o.durationSec / intervalSec) + 1);
    for (let k = 0; k < cycles; k++) {
      const due = start + k * intervalSec * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const t = performance.now();
      const stats = await collector.poll((batch) => {
        received += batch.length;
      });
      maxPollWallSec = Math.max(maxPollWallSec, (performance.now() - t) / 1000);
      polls++;
      errors.push(...stats.errors);
    }
    const wall = (performance.now() - start) / 1000;
    const cpu = cpuSec(process.cpuUsage(cpu0));
    return {
      servers: o.servers,
      transport,
      intervalSec,
      durationSec: Math.round(wall),
      firstInventory: { wallSec: round(firstInventory.wallSec), cpuSec: round(firstInventory.cpuSec), machines: firstInventory.machines },
      polls,
      cpuPercentOfOneCore: round((100 * cpu) / wall),
      maxPollWallSec: round(maxPollWallSec),
      peakRssMB: Math.round(peakRss / 1_048_576),
      connectionsHeld: collector.connections,
      // The first poll after the inventory only primes the counters.
      samplesExpected: o.servers * SAMPLES_PER_SERVER * (polls - 1),
      samplesReceived: received,
      errors: [...new Set(errors)].slice(0, 10),
    };
  } finally {
    clearInterval(rssTimer);
    await collector.close();
    child.kill('SIGTERM');
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] ?? def) : def;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const transport = arg('transport', 'https') === 'http' ? 'http' : 'https';
  if (process.argv.includes('--serve')) {
    void serve(Number(arg('serve', '10')), process.env[PASSWORD_ENV] ?? '', transport);
  } else {
    benchPhysicalWindows({
      servers: Number(arg('servers', '500')),
      durationSec: Number(arg('minutes', '3')) * 60,
      intervalSec: Number(arg('interval', '30')),
      transport,
      concurrency: Number(arg('concurrency', '32')),
    })
      .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
      .catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      });
  }
}
