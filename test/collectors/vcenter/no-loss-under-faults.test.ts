// The no-loss promise under faults: vCenter keeps 20-s realtime samples for an hour, so whatever
// happens to one QueryPerf (a timeout or abort half-way through its answer, a sink that fails, a poll
// skipped because the previous one overran), the next poll must re-read what was not captured.
// Checked against the lab vCenter's truth: every 20-s slot of every series of every powered-on VM,
// over the whole period, arrives exactly once.
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceScheduler } from '../../../appliance/scheduler.js';
import { VcenterCollector } from '../../../collectors/vcenter/collector.js';
import type { Sample } from '../../../model/index.js';
import { vcenterSource } from '../../../config/schema/vcenter.js';
import { createLogger } from '../../../common/log.js';
import { loadEstate, type EstateVm } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
const on = estate.vms.filter(
  (v) => v.host.platform === 'vmware' && v.host.vcenter === 'vc01' && !v.template && v.powerState === 'poweredOn',
);
const PASSWORD_ENV = `NO_LOSS_LAB_PW_${process.pid}`;
const log = createLogger({ level: 'silent' });
const SLOT = 20_000;
const HOUR = 3600_000;

let offsetMs = 0;
const START = Date.UTC(2026, 2, 3, 9, 30, 11);
const clock = () => START + offsetMs;
let lab: VcenterLab;

function collector(perf: Record<string, unknown> = {}): VcenterCollector {
  const cfg = vcenterSource.parse({
    name: 'lab-vc01',
    kind: 'vcenter',
    url: lab.url,
    username: 'collector@vsphere.local',
    password: { env: PASSWORD_ENV },
    tls: { thumbprint: lab.thumbprint },
    perf: { vmsPerQuery: 2, concurrency: 2, lookbackSamples: 3, ...perf },
  });
  return new VcenterCollector(cfg, { log });
}

const seriesOf = (vm: EstateVm) => [
  'cpu.usage.percent|',
  'memory.usage.percent|',
  ...vm.disks.flatMap((d) =>
    ['disk.read.bytesPerSec', 'disk.write.bytesPerSec', 'disk.read.opsPerSec', 'disk.write.opsPerSec'].map((m) => `${m}|${d.id}`),
  ),
  ...vm.nics.flatMap((n) => ['net.received.bytesPerSec', 'net.transmitted.bytesPerSec'].map((m) => `${m}|${n.id}`)),
];

/** Slots missing and slots delivered more than once, per series, over (from, to]. */
function check(
  samples: Sample[],
  machineOf: Map<string, EstateVm>,
  from: number,
  to: number,
): { expected: number; missing: string[]; duplicates: string[] } {
  const seen = new Map<string, number>();
  for (const s of samples) {
    const k = `${s.machine}|${s.metric}|${s.instance}|${s.ts}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const missing: string[] = [];
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  let expected = 0;
  for (const [machine, vm] of machineOf) {
    for (const series of seriesOf(vm)) {
      for (let ts = Math.floor(to / SLOT) * SLOT; ts > from; ts -= SLOT) {
        expected++;
        if (!seen.has(`${machine}|${series}|${ts}`)) missing.push(`${vm.name} ${series} @${new Date(ts).toISOString()}`);
      }
    }
  }
  return { expected, missing, duplicates };
}

beforeAll(async () => {
  process.env[PASSWORD_ENV] = 'collector-Lab-1';
  lab = await startVcenterLab({ estate, users: [{ username: 'collector@vsphere.local', password: 'collector-Lab-1' }], clock, log });
});

afterAll(async () => {
  await lab?.close();
  delete process.env[PASSWORD_ENV];
});

/** Discovers and returns powered-on machine id -> estate VM. */
async function discoverOn(c: VcenterCollector): Promise<Map<string, EstateVm>> {
  const { machines } = await c.discover();
  const machineOf = new Map(machines.filter((m) => m.powerState === 'poweredOn').map((m) => [m.id, on.find((v) => v.name === m.name)!]));
  expect(machineOf.size).toBe(on.length);
  return machineOf;
}

/**
 * Polls until one poll ends without an error (at most 5). With the short timeout of the stall test a
 * loaded machine may time out an ordinary call too; the ledger must cope with that as well.
 */
async function pollUntilClean(c: VcenterCollector, samples: Sample[]): Promise<void> {
  const errors: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      const stats = await c.poll((b) => void samples.push(...b));
      if (stats.errors.length === 0) return;
      errors.push(...stats.errors);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new Error(`no clean poll in 5 attempts: ${errors.join('; ')}`);
}

describe('vCenter perf: no sample lost when a QueryPerf fails half-way', () => {
  it('a sink failing in the middle of the first (backfill) poll: the next poll re-reads the rest of the hour, nothing twice', async () => {
    const c = collector();
    const machineOf = await discoverOn(c);
    const samples: Sample[] = [];
    let deliveries = 0;
    const first = await c.poll((b) => {
      if (++deliveries === 2) throw new Error('sink failed');
      samples.push(...b);
    });
    expect(first.errors).toHaveLength(1);
    const afterFirst = samples.length;
    offsetMs += SLOT;
    const second = await c.poll((b) => void samples.push(...b));
    expect(second.errors).toEqual([]);
    // Everything vCenter still holds (its hour before the second poll) arrived, each sample once.
    const r = check(samples, machineOf, clock() - HOUR, clock());
    expect(r.duplicates).toEqual([]);
    expect(r.missing.slice(0, 10)).toEqual([]);
    expect(r.missing).toHaveLength(0);
    expect(afterFirst).toBeLessThan(r.expected); // the fault really cut the first poll short
    await c.close();
  });

  it('a QueryPerf answer that stops half-way until the client times out, then a poll two slots later: every sample once', async () => {
    // A TCP relay in front of the lab (TLS passes through untouched) that, once armed, holds back
    // everything past STALL_AFTER bytes (counted from arming) on one connection: vCenter stalling mid-answer, as a loaded
    // vCenter or network does. The client's body timeout aborts that QueryPerf.
    const STALL_AFTER = 24 * 1024;
    let armed = false;
    let stalled = 0;
    const relay = createServer((down) => {
      const up = connect(lab.port, '127.0.0.1');
      let sent = 0;
      let holding = false;
      down.pipe(up);
      up.on('data', (chunk: Buffer) => {
        if (holding) return;
        if (armed && sent + chunk.length > STALL_AFTER) {
          holding = true;
          armed = false;
          stalled++;
          down.write(chunk.subarray(0, STALL_AFTER - sent));
          return;
        }
        if (armed) sent += chunk.length; // counted from arming: only the big answer crosses the line
        down.write(chunk);
      });
      const end = () => {
        up.destroy();
        down.destroy();
      };
      up.on('error', end).on('close', end);
      down.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const cfg = vcenterSource.parse({
      name: 'lab-vc01',
      kind: 'vcenter',
      url: `https://127.0.0.1:${(relay.address() as AddressInfo).port}/sdk`,
      username: 'collector@vsphere.local',
      password: { env: PASSWORD_ENV },
      tls: { thumbprint: lab.thumbprint },
      perf: { vmsPerQuery: 4, concurrency: 1, lookbackSamples: 3 },
    });
    // timeoutSec below the schema's minimum to keep the test short; the client takes it as given.
    const c = new VcenterCollector({ ...cfg, timeoutSec: 3 }, { log });
    try {
      const machineOf = await discoverOn(c);
      const samples: Sample[] = [];
      await pollUntilClean(c, samples); // the hour's backfill
      // Polls stopped for 50 minutes (a stalled appliance); the catch-up answer stops half-way.
      offsetMs += 50 * 60_000;
      const before = samples.length;
      armed = true;
      const first = await c.poll((b) => void samples.push(...b));
      expect(stalled).toBe(1);
      expect(first.errors.join('\n')).toMatch(/QueryPerf/);
      expect(samples.length).toBeGreaterThan(before); // part of the answer got through before the stall
      // The scheduler skipped a tick (the poll overran): the next poll comes two slots later. On a
      // loaded machine a poll may time out again; the ledger must cope, so poll until one is clean.
      offsetMs += 45_000;
      await pollUntilClean(c, samples);
      const r = check(samples, machineOf, clock() - HOUR, clock());
      expect(r.duplicates).toEqual([]);
      expect(r.missing.slice(0, 10)).toEqual([]);
      expect(r.missing).toHaveLength(0);
    } finally {
      await c.close();
      await new Promise((r) => relay.close(r));
    }
  });

  it('a read that failed part-way is still re-read after a restart from perf.stateFile', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'no-loss-'));
    try {
      const stateFile = join(dir, 'ledger.json');
      const a = collector({ stateFile });
      const machineOf = await discoverOn(a);
      const samples: Sample[] = [];
      offsetMs += 5 * 60_000;
      let deliveries = 0;
      const first = await a.poll((b) => {
        if (++deliveries === 3) throw new Error('sink failed');
        samples.push(...b);
      });
      expect(first.errors).toHaveLength(1);
      await a.close();
      offsetMs += SLOT;
      const b = collector({ stateFile }); // a restart: the ledger comes back from the file
      await discoverOn(b);
      const second = await b.poll((x) => void samples.push(...x));
      expect(second.errors).toEqual([]);
      const r = check(samples, machineOf, clock() - HOUR, clock());
      expect(r.duplicates).toEqual([]);
      expect(r.missing.slice(0, 10)).toEqual([]);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vCenter perf through the scheduler: polls slower than the cadence are skipped, nothing is lost', () => {
  it('every 20-s sample once while most ticks find the previous poll still running', async () => {
    // A lab whose clock runs 100x (a 20-s slot every 200 ms) and answers every call after 250 ms:
    // each poll (CurrentTime + QueryPerf batches) outlasts the 200-ms cadence, so ticks are skipped.
    const t0 = Date.now();
    const fast = () => START + (Date.now() - t0) * 100;
    const slow = await startVcenterLab({
      estate,
      users: [{ username: 'collector@vsphere.local', password: 'collector-Lab-1' }],
      clock: fast,
      delayMs: 250,
      log,
    });
    const cfg = vcenterSource.parse({
      name: 'lab-vc01',
      kind: 'vcenter',
      url: slow.url,
      username: 'collector@vsphere.local',
      password: { env: PASSWORD_ENV },
      tls: { thumbprint: slow.thumbprint },
      perf: { vmsPerQuery: 3, concurrency: 2, lookbackSamples: 3 },
    });
    const c = new VcenterCollector(cfg, { log });
    const samples: Sample[] = [];
    const scheduler = new SourceScheduler({
      name: 'lab-vc01',
      create: async () => c,
      inventory: null,
      sink: (b) => void samples.push(...b),
      pollIntervalMs: 200,
      inventoryIntervalMs: 3600_000,
      log,
    });
    try {
      const machineOf = await discoverOn(c);
      scheduler.start();
      // Bounded: until six polls finished (about 10 s here; 60 s at most on a loaded machine).
      for (let waited = 0; scheduler.status().polls < 6 && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      await scheduler.stop();
      const status = scheduler.status();
      expect(status.polls).toBeGreaterThanOrEqual(6);
      expect(status.skippedPolls).toBeGreaterThan(0);
      expect(status.errors).toBe(0);
      // The newest slot read is the last poll's end, for every series; 45 minutes back from it lies
      // inside the first poll's hour whatever the run's (virtual) length.
      const to = Math.max(...samples.map((s) => s.ts));
      const r = check(samples, machineOf, to - 45 * 60_000, to);
      expect(r.duplicates).toEqual([]);
      expect(r.missing.slice(0, 10)).toEqual([]);
      expect(r.expected).toBeGreaterThan(on.length * 135);
    } finally {
      await scheduler.stop();
      await slow.close();
    }
  });
});
