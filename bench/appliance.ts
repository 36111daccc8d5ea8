// npm run bench:appliance — one appliance (`collector run`: collectors, rollup workers, web app) following
// a large lab estate, measured from outside: CPU and RSS of the service process (/proc), Redis memory,
// poll lag (the service's own /metrics), and samples lost, by comparing the 10-minute points in Redis
// with what the lab's workload prescribes. Prints figures and a goal line; asserts nothing.
//
//   node dist/bench/appliance.js [--minutes 30] [--vmware 10000] [--vcenters 4] [--hyperv 5000] [--hyperv-hosts 300]
//                                [--cluster-size 10] [--data-dir DIR] [--keep]
//
// The simulators run in this process (so their CPU is not the service's); the service is a child process
// with its own private redis-server. Goal: under 25 % of one core on average and under 1 GB RSS, zero loss;
// then the same with --vmware 50000.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Agent, request } from 'undici';
import { prepareLab } from '../cli/run/lab-up.js';
import { freePort } from '../common/free-port.js';
import { ConfigStore } from '../appliance/config-store.js';
import { createLogger } from '../common/log.js';
import type { Machine } from '../model/index.js';
import { InventoryStore } from '../queue/inventory-store.js';
import { createRedis } from '../queue/redis.js';
import { PointStore } from '../rollup/point-store.js';
import { WINDOW_MS, windowStart } from '../rollup/window.js';
import { seriesRate, toHundredths } from '../lab/vcenter/truth.js';
import type { EstateVm } from '../lab/estate.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const MINUTES = Number(arg('minutes', '30'));
const VMWARE = Number(arg('vmware', '10000'));
const VCENTERS = Number(arg('vcenters', '4'));
const HYPERV = Number(arg('hyperv', '5000'));
const HV_HOSTS = Number(arg('hyperv-hosts', '300'));
const CLUSTER = Number(arg('cluster-size', '10'));
const VMS_PER_ESX = 40;

/** The bench estate: several vCenters of generated VMs, Hyper-V hosts in clusters. */
function estateYaml(): string {
  const hosts: Record<string, unknown>[] = [];
  const generate: Record<string, unknown>[] = [];
  const perVc = Math.ceil(VMWARE / VCENTERS);
  for (let v = 1; v <= VCENTERS; v++) {
    const count = Math.min(perVc, VMWARE - perVc * (v - 1));
    if (count <= 0) break;
    const names: string[] = [];
    for (let h = 1; h <= Math.ceil(count / VMS_PER_ESX); h++) {
      const name = `esx${v}-${String(h).padStart(3, '0')}.bench.local`;
      names.push(name);
      hosts.push({ name, platform: 'vmware', vcenter: `vc${v}`, datacenter: `DC${v}`, cluster: `C${v}-${Math.ceil(h / 16)}` });
    }
    generate.push({
      count,
      prefix: `vc${v}-vm`,
      hosts: names,
      cpus: 2,
      memoryMB: 4096,
      disks: [{ sizeGB: 60 }],
      nics: [{ network: 'VM Network' }],
    });
  }
  if (HYPERV > 0) {
    const names: string[] = [];
    for (let h = 1; h <= HV_HOSTS; h++) {
      const name = `hv${String(h).padStart(3, '0')}`;
      names.push(name);
      hosts.push({ name, platform: 'hyperv', cluster: `HVC${String(Math.ceil(h / CLUSTER)).padStart(2, '0')}` });
    }
    generate.push({
      count: HYPERV,
      prefix: 'hv-vm',
      hosts: names,
      cpus: 2,
      memoryMB: 4096,
      generation: 2,
      disks: [{ sizeGB: 60, type: 'dynamic' }],
      nics: [{ network: 'External' }],
    });
  }
  return stringify({ seed: 23, hosts, generate });
}

function procStat(pid: number): { cpuSec: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSec: ticks / 100, rssMB: rss ? Number(rss[1]) / 1024 : 0 };
}

interface Tick {
  t: number;
  cpuPct: number;
  rssMB: number;
  redisMB: number;
  maxLagSec: number;
  samples: Record<string, number>;
  waiting: number;
}

function metricValues(text: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out.push({ labels: m[1] ?? '', value: Number(m[2]) });
  }
  return out;
}

/** The service's warning and error log lines, counted by message (JSON lines on its stderr). */
function warningCounts(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stderr.split('\n')) {
    try {
      const l = JSON.parse(line) as { level?: number; msg?: string; source?: string };
      if ((l.level ?? 0) >= 40)
        out[`${l.source ? `${l.source}: ` : ''}${l.msg}`] = (out[`${l.source ? `${l.source}: ` : ''}${l.msg}`] ?? 0) + 1;
    } catch {
      /* not a log line */
    }
  }
  return out;
}

async function main(): Promise<void> {
  const log = createLogger({ level: 'warn', pretty: false });
  const dataDir = arg('data-dir', '') || mkdtempSync(join(tmpdir(), 'bench-appliance-'));
  mkdirSync(dataDir, { recursive: true });
  const estateFile = join(dataDir, 'estate.yaml');
  writeFileSync(estateFile, estateYaml());
  process.stdout.write(
    `appliance bench: ${VMWARE} VMware VMs on ${VCENTERS} vCenters, ${HYPERV} Hyper-V VMs on ${HV_HOSTS} hosts, ${MINUTES} min; data in ${dataDir}\n`,
  );

  let t0 = Date.now();
  const lab = await prepareLab({ estateFile, dataDir, webHost: '127.0.0.1', log });
  process.stdout.write(
    `simulators and private Redis up in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${lab.config.sources.length} sources\n`,
  );
  // Picked after the simulators took their ports, so nothing else grabs it first.
  const config = await new ConfigStore(lab.configFile).setIn(['web', 'port'], await freePort());
  const redis = createRedis(config.redis);

  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'collector.js'), 'run', '--config', lab.configFile, '--no-status', '--log-format', 'json', '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (d) => (errors = (errors + d).slice(-200_000)));
  const pid = child.pid!;
  // Ctrl+C: stop the service, the simulators and the private Redis rather than orphaning them.
  process.once('SIGINT', () => {
    child.kill('SIGTERM');
    void lab.close().finally(() => process.exit(130));
  });
  const startedAt = Date.now();
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  const metricsUrl = `https://127.0.0.1:${config.web.port}/metrics`;

  const ticks: Tick[] = [];
  let last = { t: Date.now(), cpu: procStat(pid).cpuSec };
  let hypervFirstSamplesAt: number | null = null;
  const endAt = startedAt + MINUTES * 60_000;
  while (Date.now() < endAt && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 10_000));
    if (child.exitCode !== null) break;
    const now = Date.now();
    const p = procStat(pid);
    const info = await redis.info('memory');
    let text = '';
    try {
      const res = await request(metricsUrl, { dispatcher: agent });
      text = await res.body.text();
    } catch {
      /* web role still starting */
    }
    const lags = metricValues(text, 'collector_source_poll_lag_seconds').map((x) => x.value);
    const samples: Record<string, number> = {};
    for (const s of metricValues(text, 'collector_source_samples_total'))
      samples[/kind="(\w+)"/.exec(s.labels)?.[1] ?? '?'] = (samples[/kind="(\w+)"/.exec(s.labels)?.[1] ?? '?'] ?? 0) + s.value;
    if (hypervFirstSamplesAt === null && (samples.hyperv ?? 0) > 0) hypervFirstSamplesAt = now;
    const waiting = metricValues(text, 'collector_queue_jobs')
      .filter((x) => x.labels.includes('state="waiting"'))
      .reduce((n, x) => n + x.value, 0);
    const tick: Tick = {
      t: now,
      cpuPct: ((p.cpuSec - last.cpu) / ((now - last.t) / 1000)) * 100,
      rssMB: p.rssMB,
      redisMB: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024,
      maxLagSec: lags.length ? Math.max(...lags) : NaN,
      samples,
      waiting,
    };
    last = { t: now, cpu: p.cpuSec };
    ticks.push(tick);
    process.stdout.write(
      `  ${((now - startedAt) / 60_000).toFixed(1).padStart(5)} min  cpu ${tick.cpuPct.toFixed(1).padStart(5)} %  rss ${tick.rssMB.toFixed(0).padStart(5)} MB  redis ${tick.redisMB.toFixed(0).padStart(5)} MB  lag ${String(tick.maxLagSec).padStart(4)} s  queue ${waiting}  samples vmware ${samples.vcenter ?? 0} hyperv ${samples.hyperv ?? 0}\n`,
    );
  }
  const endedAt = Date.now();
  if (child.exitCode !== null) process.stdout.write(`the service exited early (code ${child.exitCode}):\n${errors.slice(-3000)}\n`);

  // Stop the service (polls end; in-flight jobs finish), then let a worker-only process drain what is
  // still queued: a backlog is not lost (it waits in Redis), so it is worked off before the check, for
  // up to --drain-minutes, and the time it took is reported.
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  const drainStart = Date.now();
  const drainUntil = drainStart + Number(arg('drain-minutes', '10')) * 60_000;
  const { createSamplesQueue } = await import('../queue/samples-queue.js');
  const { queue } = createSamplesQueue(config, { connection: redis });
  const pending = async () => {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
    return Object.values(c).reduce((n, v) => n + (v ?? 0), 0);
  };
  let backlog = await pending();
  const queuedAtEnd = backlog;
  if (backlog > 0) {
    const worker = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'collector.js'),
        'worker',
        '--config',
        lab.configFile,
        '--no-status',
        '--log-format',
        'json',
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    while (Date.now() < drainUntil) {
      backlog = await pending();
      if (backlog === 0) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const wexit = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await wexit;
  }
  const drainSec = (Date.now() - drainStart) / 1000;
  process.stdout.write(
    `after the run: ${queuedAtEnd} job(s) still queued, drained by a worker in ${drainSec.toFixed(0)} s (left: ${backlog})\n`,
  );

  // Samples lost: every complete 10-minute window the collectors covered, compared with the workload.
  t0 = Date.now();
  const machines = await new InventoryStore(redis, config.redis.prefix).machines();
  const byName = new Map<string, Machine>(machines.map((m) => [`${m.kind}|${m.name}`, m]));
  const points = new PointStore(redis, config.redis.prefix);
  // vCenter: the backfill reaches an hour back, so windows from 50 min before start to the last full window.
  const vcFrom = windowStart(startedAt - 50 * 60_000) + WINDOW_MS;
  const vcTo = windowStart(endedAt - 60_000);
  const hvFrom = hypervFirstSamplesAt === null ? Infinity : windowStart(hypervFirstSamplesAt) + WINDOW_MS;
  const hvTo = windowStart(endedAt - 60_000);
  // lostBackfill: in windows that ended before the service started (only the one-hour backfill can
  // fetch them, and only while vCenter still holds them: a VM first read late loses them to vCenter's
  // expiry, not to the ledger); lostWhileRunning: in windows the service was running for.
  const result = {
    vmware: { series: 0, windows: 0, lost: 0, lostBackfill: 0, lostWhileRunning: 0, wrong: 0, missingMachines: 0 },
    hyperv: { series: 0, windows: 0, lost: 0, extra: 0, missingMachines: 0 },
  };
  /** Lost samples per window start, to see where a loss sits (backfill edge, a burst, the end). */
  const lostByWindow = new Map<string, number>();
  for (const vm of lab.estate.vms) {
    if (vm.template || vm.powerState !== 'poweredOn') continue;
    const vmware = vm.host.platform === 'vmware';
    const m = byName.get(`${vmware ? 'vmware' : 'hyperv'}|${vm.name}`);
    const r = vmware ? result.vmware : result.hyperv;
    if (!m) {
      r.missingMachines++;
      continue;
    }
    const from = vmware ? vcFrom : hvFrom;
    const to = vmware ? vcTo : hvTo;
    if (!(to > from)) continue;
    for (const metric of ['cpu.usage.percent', 'memory.usage.percent'] as const) {
      const got = new Map((await points.readPoints({ machine: m.id, metric, instance: '', from, to })).map((p) => [p.windowStart, p]));
      r.series++;
      const rate = vmware ? seriesRate(lab.estate.seed, vm as EstateVm, metric === 'cpu.usage.percent' ? 'cpu' : 'memory', '', 20) : null;
      for (let ws = from; ws < to; ws += WINDOW_MS) {
        r.windows++;
        const p = got.get(ws);
        const expected = vmware ? 30 : 20;
        const n = p?.samples ?? 0;
        if (n < expected) {
          r.lost += expected - n;
          if (vmware) result.vmware[ws + WINDOW_MS <= startedAt ? 'lostBackfill' : 'lostWhileRunning'] += expected - n;
          const k = `${vmware ? 'vmware' : 'hyperv'} ${new Date(ws).toISOString().slice(11, 16)}`;
          lostByWindow.set(k, (lostByWindow.get(k) ?? 0) + expected - n);
        }
        if (!vmware && n > expected) result.hyperv.extra += n - expected;
        if (rate && p) {
          let peak = -Infinity;
          for (let end = ws; end < ws + WINDOW_MS; end += 20_000) peak = Math.max(peak, toHundredths(rate(end)) / 100);
          if (Math.abs(p.peak - peak) > Math.max(0.01, Math.abs(peak) * 1e-5)) result.vmware.wrong++;
        }
      }
    }
  }
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const steady = ticks.filter((x) => x.t - startedAt > 120_000); // after discovery and the one-hour backfill
  const summary = {
    vmwareVms: VMWARE,
    vcenters: VCENTERS,
    hypervVms: HYPERV,
    hypervHosts: HV_HOSTS,
    minutes: (endedAt - startedAt) / 60_000,
    cpuAvgPct: avg(ticks.map((x) => x.cpuPct)),
    cpuSteadyAvgPct: avg(steady.map((x) => x.cpuPct)),
    cpuMaxPct: Math.max(...ticks.map((x) => x.cpuPct)),
    rssMaxMB: Math.max(...ticks.map((x) => x.rssMB)),
    redisMaxMB: Math.max(...ticks.map((x) => x.redisMB)),
    maxPollLagSec: Math.max(
      0,
      ...ticks
        .filter((x) => x.t - startedAt > 120_000)
        .map((x) => x.maxLagSec)
        .filter(Number.isFinite),
    ),
    samples: ticks.at(-1)?.samples ?? {},
    queueMaxWaiting: Math.max(0, ...ticks.map((x) => x.waiting)),
    jobsQueuedAtEnd: queuedAtEnd,
    drainAfterRunSec: drainSec,
    jobsLeftAtCheck: backlog,
    check: result,
    lostByWindow: Object.fromEntries([...lostByWindow].sort()),
    serviceWarnings: warningCounts(errors),
    checkWindows: {
      vmware: [new Date(vcFrom).toISOString(), new Date(vcTo).toISOString()],
      hyperv:
        Number.isFinite(hvFrom) && hvTo > hvFrom
          ? [new Date(hvFrom).toISOString(), new Date(hvTo).toISOString()]
          : 'run too short for a complete Hyper-V window',
    },
    checkSec: (Date.now() - t0) / 1000,
  };
  process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  process.stdout.write(
    `\ngoal: CPU under 25 % of one core on average (${summary.cpuAvgPct.toFixed(1)} %, steady ${summary.cpuSteadyAvgPct.toFixed(1)} %): ${ok(summary.cpuAvgPct < 25)}; ` +
      `RSS under 1 GB (${summary.rssMaxMB.toFixed(0)} MB): ${ok(summary.rssMaxMB < 1024)}; ` +
      `zero samples lost (VMware ${result.vmware.lost} over ${result.vmware.windows} series-windows: ${result.vmware.lostBackfill} in the backfill before start, ${result.vmware.lostWhileRunning} while running; wrong peaks ${result.vmware.wrong}; Hyper-V ${result.hyperv.lost} over ${result.hyperv.windows}): ${ok(result.vmware.lost + result.hyperv.lost === 0 && result.vmware.wrong === 0)}\n`,
  );
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(ROOT, 'test-results', `bench-appliance-${VMWARE}.json`), JSON.stringify({ summary, ticks }, null, 2));
  await agent.close();
  await queue.close();
  redis.disconnect();
  await lab.close();
  if (!flag('keep') && !arg('data-dir', '')) rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
