// npm run bench:vcenter — client cost of the vCenter collector against govmomi's simulator, next to
// pyVmomi doing the same work in the same run. Prints a table of figures; asserts nothing.
//
//   node dist/bench/vcenter.js [--sizes 1000,5000] [--cycles 3] [--peer-max 5000]
//   (pyVmomi runs only up to --peer-max VMs: its backfill alone takes minutes beyond that;
//    --no-soap skips the node-soap variant of one steady QueryPerf cycle)
//
// For each size: start the simulator, then (in fresh processes, so peak RSS is per run)
//   ours:    discover (inventory), a backfill poll (the realtime hour), then steady-state polls,
//            each 20 s of simulated time apart, with process.cpuUsage() deltas around each step;
//   pyVmomi: bench/vcenter-peer.py doing the same requests (paged PropertyCollector inventory,
//            QueryPerf in batches of 50 for the same window), with process CPU time around each step.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSim, simControl, simAvailable, type SimInfo } from '../lab/govmomi/launch.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..'); // dist/bench -> repo root

interface RunResult {
  client: string;
  /** The size asked of the simulator (vms is what the client found). */
  size?: number;
  vms: number;
  inventoryCpuSec: number;
  inventoryWallSec: number;
  backfillCpuSec: number;
  backfillSamples: number;
  steadyCpuSec: number[];
  steadySamples: number[];
  steadyWallSec: number[];
  peakRssMB: number;
  /** The same steady-state QueryPerf cycle through the soap package (node-soap), in our process. */
  soapCycleCpuSec?: number;
  soapValues?: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function cpuSec(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** Worker mode: one client run against a running simulator, result as one JSON line. */
async function worker(sim: SimInfo, cycles: number): Promise<void> {
  const { VcenterCollector } = await import('../collectors/vcenter/collector.js');
  const { vcenterSource } = await import('../config/schema/vcenter.js');
  const { createLogger } = await import('../common/log.js');
  process.env.VCSIM_BENCH_PASSWORD = sim.password;
  const cfg = vcenterSource.parse({
    name: 'bench',
    kind: 'vcenter',
    url: sim.url,
    username: sim.username,
    password: { env: 'VCSIM_BENCH_PASSWORD' },
    tls: { thumbprint: sim.thumbprint },
    inventory: { pageSize: 500 },
    perf: { vmsPerQuery: 50, concurrency: 4, lookbackSamples: 3 },
    timeoutSec: 300,
  });
  const c = new VcenterCollector(cfg, { log: createLogger({ level: 'warn', pretty: false }) });
  const result: RunResult = {
    client: 'ours',
    vms: 0,
    inventoryCpuSec: 0,
    inventoryWallSec: 0,
    backfillCpuSec: 0,
    backfillSamples: 0,
    steadyCpuSec: [],
    steadySamples: [],
    steadyWallSec: [],
    peakRssMB: 0,
  };
  let t = process.cpuUsage();
  let w = Date.now();
  const inv = await c.discover();
  result.inventoryCpuSec = cpuSec(t);
  result.inventoryWallSec = (Date.now() - w) / 1000;
  result.vms = inv.machines.length;
  let n = 0;
  const sink = (b: unknown[]) => {
    n += b.length;
  }; // count only: the bench measures the collector, not a writer
  t = process.cpuUsage();
  await c.poll(sink);
  result.backfillCpuSec = cpuSec(t);
  result.backfillSamples = n;
  for (let i = 0; i < cycles; i++) {
    await simControl(sim.host, sim.port, '/lab/clock?advance=20');
    n = 0;
    t = process.cpuUsage();
    w = Date.now();
    await c.poll(sink);
    result.steadyCpuSec.push(cpuSec(t));
    result.steadyWallSec.push((Date.now() - w) / 1000);
    result.steadySamples.push(n);
  }
  result.peakRssMB = process.resourceUsage().maxRSS / 1024; // before the soap variant, which is not our client
  if (process.argv.includes('--soap')) {
    const { resolveCounters } = await import('../collectors/vcenter/counters.js');
    const { soapQueryPerfCycle } = await import('./vcenter-soap/queryperf.js');
    const { counters } = await resolveCounters(c.session);
    await simControl(sim.host, sim.port, '/lab/clock?advance=20');
    const now = new Date(await c.session.currentTime());
    const targets = inv.machines
      .filter((m) => m.powerState === 'poweredOn')
      .map((m) => ({ moref: m.moref!, nicIds: m.nics.map((x) => x.id) }));
    const soapRun = await soapQueryPerfCycle(sim, targets, counters, now);
    result.soapCycleCpuSec = soapRun.cpuSec;
    result.soapValues = soapRun.values;
  }
  await c.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runJson(cmd: string, args: string[], input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as RunResult);
      } catch (err) {
        reject(new Error(`${cmd} printed ${out}: ${err}`));
      }
    });
    child.stdin.end(input);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  if (process.argv.includes('--worker')) {
    const sim = JSON.parse(
      await new Promise<string>((r) => {
        let s = '';
        process.stdin.on('data', (d) => (s += d)).on('end', () => r(s));
      }),
    ) as SimInfo;
    await worker(sim, Number(arg('cycles', '3')));
    return;
  }
  if (!simAvailable()) {
    process.stderr.write('the simulator is not built: run lab/govmomi/build.sh first\n');
    process.exit(2);
  }
  const sizes = arg('sizes', '1000,5000').split(',').map(Number);
  const cycles = arg('cycles', '3');
  const rows: RunResult[] = [];
  for (const size of sizes) {
    // 10 clusters x 4 hosts, VMs spread evenly over the clusters (the simulator places VMs per cluster).
    const clusters = 10;
    process.stderr.write(`starting the simulator with ${size} VMs...\n`);
    const sim = await startSim(
      { datacenters: 1, clusters, clusterHosts: 4, hosts: 0, vms: Math.ceil(size / clusters), poweredOff: 0, templates: 0 },
      { startTimeoutMs: 30 * 60_000 },
    );
    try {
      const info = JSON.stringify(sim);
      const measured = (r: RunResult) => ({ ...r, size });
      rows.push(
        measured(
          await runJson(
            process.execPath,
            [fileURLToPath(import.meta.url), '--worker', '--cycles', cycles, ...(process.argv.includes('--no-soap') ? [] : ['--soap'])],
            info,
          ),
        ),
      );
      if (size <= Number(arg('peer-max', '5000')))
        rows.push(measured(await runJson('/usr/bin/python3', [join(ROOT, 'bench', 'vcenter-peer.py'), '--cycles', cycles], info)));
    } finally {
      await sim.stop();
    }
  }
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  process.stdout.write(
    `\n${['client', 'VMs', 'inv CPU s', 'inv wall s', 'backfill CPU s', 'backfill samples', 'steady CPU s (median)', 'steady samples', 'peak RSS MB'].map((h, i) => pad(h, i === 0 ? 8 : 12)).join(' ')}\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${[pad(r.client, 8), pad(r.vms, 12), pad(r.inventoryCpuSec.toFixed(2), 12), pad(r.inventoryWallSec.toFixed(2), 12), pad(r.backfillCpuSec.toFixed(2), 12), pad(r.backfillSamples, 12), pad(median(r.steadyCpuSec).toFixed(3), 12), pad(median(r.steadySamples), 12), pad(r.peakRssMB.toFixed(0), 12)].join(' ')}\n`,
    );
  }
  for (const size of sizes) {
    const ours = rows.find((r) => r.client === 'ours' && r.size === size);
    const peer = rows.find((r) => r.client === 'pyvmomi' && r.size === size);
    if (ours?.soapCycleCpuSec !== undefined) {
      process.stdout.write(
        `${size} VMs: one steady QueryPerf cycle through the soap package: ${ours.soapCycleCpuSec.toFixed(3)} CPU-s (${ours.soapValues} values) vs ours ${median(ours.steadyCpuSec).toFixed(3)}\n`,
      );
    }
    if (ours && peer) {
      process.stdout.write(
        `${size} VMs: steady perf cycle ${median(ours.steadyCpuSec).toFixed(3)} CPU-s ours vs ${median(peer.steadyCpuSec).toFixed(3)} pyVmomi (${(median(peer.steadyCpuSec) / median(ours.steadyCpuSec)).toFixed(1)}x less); inventory ${ours.inventoryCpuSec.toFixed(2)} vs ${peer.inventoryCpuSec.toFixed(2)} CPU-s (${(peer.inventoryCpuSec / ours.inventoryCpuSec).toFixed(1)}x); peak RSS ${ours.peakRssMB.toFixed(0)} MB vs ${peer.peakRssMB.toFixed(0)} MB\n`,
      );
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
