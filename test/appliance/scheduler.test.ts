import { afterAll, describe, expect, it } from 'vitest';
import { SourceScheduler, staggerMs } from '../../appliance/scheduler.js';
import type { Sample } from '../../model/index.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { testRedis } from '../rollup/helpers.js';
import { captureLogger, waitFor } from '../queue/helpers.js';
import { SyntheticCollector, machine } from '../queue/synthetic-collector.js';

const t = testRedis(1);
afterAll(() => t.cleanup());

describe('SourceScheduler', () => {
  it('discovers into the inventory store, polls on cadence with one sink call per batch, and closes the collector on stop', async () => {
    const { log } = captureLogger();
    const c = new SyntheticCollector('src-a', [machine('vm-a1'), machine('vm-a2', 'poweredOff')], Date.UTC(2026, 0, 1), {
      samplesPerPoll: 3,
      batchesPerPoll: 4,
    });
    const batches: Sample[][] = [];
    const s = new SourceScheduler({
      name: 'src-a',
      create: async () => c,
      inventory: new InventoryStore(t.redis, t.prefix),
      sink: (b) => void batches.push(b),
      pollIntervalMs: 150,
      inventoryIntervalMs: 60_000,
      log,
    });
    s.start();
    await waitFor(() => c.polls >= 3, 20_000, 'three polls');
    await s.stop();
    expect(c.closed).toBe(true);
    expect(batches.length).toBe(c.polls * 4);
    expect(batches.flat()).toEqual(c.emitted);
    expect((await new InventoryStore(t.redis, t.prefix).machines('src-a')).map((m) => m.id)).toEqual(['vm-a1', 'vm-a2']);
    const st = s.status();
    expect(st).toMatchObject({ state: 'stopped', machines: 2, polls: c.polls, batches: c.polls * 4, lastError: null });
    const polls = c.polls;
    await new Promise((r) => setTimeout(r, 400));
    expect(c.polls).toBe(polls); // really stopped
  });

  it('never overlaps polls: a tick during a running poll is skipped and counted', async () => {
    const { log, lines } = captureLogger();
    const c = new SyntheticCollector('src-slow', [machine('vm-s1')], Date.UTC(2026, 0, 1), { samplesPerPoll: 1, batchesPerPoll: 1 });
    c.pollDelayMs = 450;
    const s = new SourceScheduler({
      name: 'src-slow',
      create: async () => c,
      inventory: null,
      sink: () => {},
      pollIntervalMs: 100,
      inventoryIntervalMs: 60_000,
      log,
    });
    s.start();
    await waitFor(() => c.polls >= 2, 20_000, 'two polls');
    await s.stop();
    expect(c.maxConcurrentPolls).toBe(1);
    expect(s.status().skippedPolls).toBeGreaterThan(0);
    expect(lines.some((l) => /still running/.test(String(l.msg)))).toBe(true);
  });

  it('a failing source does not stop the others and is logged once per state change', async () => {
    const { log, lines } = captureLogger();
    const bad = new SyntheticCollector('src-bad', [machine('vm-b1')], Date.UTC(2026, 0, 1), { samplesPerPoll: 1, batchesPerPoll: 1 });
    bad.failDiscover = true;
    bad.failPoll = true;
    const good = new SyntheticCollector('src-good', [machine('vm-g1')], Date.UTC(2026, 0, 1), { samplesPerPoll: 1, batchesPerPoll: 1 });
    const broken = new SourceScheduler({
      name: 'src-broken',
      create: async () => {
        throw new Error('no such host');
      },
      inventory: null,
      sink: () => {},
      inventoryIntervalMs: 60_000,
      log,
    });
    const sb = new SourceScheduler({
      name: 'src-bad',
      create: async () => bad,
      inventory: null,
      sink: () => {},
      pollIntervalMs: 50,
      inventoryIntervalMs: 60_000,
      log,
      startDelayMs: staggerMs(0, 2, 100),
    });
    const sg = new SourceScheduler({
      name: 'src-good',
      create: async () => good,
      inventory: null,
      sink: () => {},
      pollIntervalMs: 50,
      inventoryIntervalMs: 60_000,
      log,
      startDelayMs: staggerMs(1, 2, 100),
    });
    for (const s of [broken, sb, sg]) s.start();
    await waitFor(() => good.polls >= 5, 20_000, 'good source polls');
    await Promise.all([broken, sb, sg].map((s) => s.stop()));
    expect(sb.status().lastError).toMatch(/poll refused/);
    expect(broken.status().lastError).toMatch(/no such host/);
    expect(sg.status().lastError).toBeNull();
    // src-bad failed discovery once and polls many times: two distinct reasons -> two error lines, not one per poll.
    const badErrors = lines.filter((l) => l.source === 'src-bad' && l.level === 50);
    expect(badErrors.length).toBe(2);
    expect(bad.closed).toBe(true);
  });
});

describe('SourceScheduler deadlines (a peer that never finishes costs only its own source)', () => {
  it('fails a poll past pollDeadlineMs, closes the stuck collector, builds a fresh one that polls again', async () => {
    const { log, lines } = captureLogger();
    const built: SyntheticCollector[] = [];
    const create = async () => {
      const c = new SyntheticCollector('src-hang', [machine('vm-h1')], Date.UTC(2026, 0, 1), { samplesPerPoll: 1, batchesPerPoll: 1 });
      // The first collector's polls never settle (a trickling server); the next one answers.
      if (built.length === 0) c.pollDelayMs = 3_600_000;
      built.push(c);
      return c;
    };
    const s = new SourceScheduler({
      name: 'src-hang',
      create,
      inventory: null,
      sink: () => {},
      pollIntervalMs: 100,
      inventoryIntervalMs: 60_000,
      pollDeadlineMs: 300,
      log,
    });
    s.start();
    await waitFor(() => (built[1]?.polls ?? 0) >= 2, 20_000, 'the rebuilt collector polls');
    const st = s.status();
    await s.stop();
    expect(built[0]?.closed).toBe(true);
    expect(st.errors).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => /poll did not finish within 300 ms \(service\.pollDeadlineSec\)/.test(JSON.stringify(l)))).toBe(true);
    expect(built[1]?.closed).toBe(true);
    expect(s.status().state).toBe('stopped');
  });

  it('stop() returns within stopTimeoutMs while a poll hangs, and says so in the log', async () => {
    const { log, lines } = captureLogger();
    const c = new SyntheticCollector('src-stuck', [machine('vm-x1')], Date.UTC(2026, 0, 1), { samplesPerPoll: 1, batchesPerPoll: 1 });
    c.pollDelayMs = 3_600_000;
    const s = new SourceScheduler({
      name: 'src-stuck',
      create: async () => c,
      inventory: null,
      sink: () => {},
      pollIntervalMs: 100,
      inventoryIntervalMs: 60_000,
      stopTimeoutMs: 300,
      log,
    });
    s.start();
    await waitFor(() => c.maxConcurrentPolls >= 1, 20_000, 'a poll in flight');
    const t0 = Date.now();
    await s.stop();
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5_000);
    expect(s.status().state).toBe('stopped');
    expect(lines.some((l) => /still running at stop/.test(String(l.msg)))).toBe(true);
  });
});
