import { afterAll, describe, expect, it } from 'vitest';
import type { SourceCollector } from '../../model/index.js';
import { buildService } from '../../appliance/service.js';
import { renderStatus } from '../../appliance/terminal-status.js';
import { parseConfig } from '../../config/load.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { queueStatus } from '../../queue/samples-queue.js';
import { PointStore } from '../../rollup/point-store.js';
import { DAY_MS } from '../../rollup/window.js';
import { referencePoints, testRedis } from '../rollup/helpers.js';
import { captureLogger, waitFor } from '../queue/helpers.js';
import { SyntheticCollector, machine } from '../queue/synthetic-collector.js';

const t = testRedis(2);
afterAll(() => t.cleanup());

describe('the appliance service (collectors + workers in one process)', () => {
  it('collects from every source on its cadence, rolls up, survives a failing source, and stops gracefully', async () => {
    const source = (name: string) => ({ name, kind: 'vcenter', url: 'https://127.0.0.1/sdk', username: 'u', password: { env: 'UNUSED' } });
    const config = parseConfig({
      redis: { url: t.url, prefix: t.prefix },
      sources: [source('vc-a'), source('vc-b'), source('vc-broken')],
      rollup: { stalledIntervalSec: 1, lockDurationSec: 3 },
    });
    const t0 = (Math.floor(Date.now() / DAY_MS) - 1) * DAY_MS;
    const collectors = new Map<string, SyntheticCollector>([
      [
        'vc-a',
        new SyntheticCollector('vc-a', [machine('vm-a1'), machine('vm-a2'), machine('vm-a3', 'poweredOff')], t0, {
          samplesPerPoll: 15,
          batchesPerPoll: 3,
        }),
      ],
      ['vc-b', new SyntheticCollector('vc-b', [machine('vm-b1')], t0 + 7, { samplesPerPoll: 15, batchesPerPoll: 2 })],
    ]);
    const { log } = captureLogger();
    const svc = buildService(config, log, {
      staggerSpanMs: 200,
      createCollector: async (cfg) => {
        const c = collectors.get(cfg.name);
        if (!c) throw new Error(`${cfg.name}: ECONNREFUSED`);
        return c as SourceCollector;
      },
    });
    await svc.start();
    await waitFor(
      async () => [...collectors.values()].every((c) => c.polls >= 1) && (await svc.status()).sources.every((s) => s.state !== 'waiting'),
      30_000,
      'first polls',
    );
    const st = await svc.status();
    expect(st.sources.map((s) => [s.name, s.state])).toEqual([
      ['vc-a', 'running'],
      ['vc-b', 'running'],
      ['vc-broken', 'failing'],
    ]);
    expect(renderStatus(st, { intake: 0, rollup: 0 }).join('\n')).toMatch(/vc-broken\s+failing[\s\S]*ECONNREFUSED/);
    expect(svc.collectors!.pollCounters('vc-a')).toMatchObject({ polls: 1, errors: 0 });
    await svc.stop();
    for (const c of collectors.values()) expect(c.closed).toBe(true);
    // Inventory saved per source (the broken one saved nothing).
    expect((await new InventoryStore(t.redis, t.prefix).machines()).map((m) => m.id)).toEqual(['vm-a1', 'vm-a2', 'vm-a3', 'vm-b1']);
    const emitted = [...collectors.values()].flatMap((c) => c.emitted);
    expect(emitted.length).toBe((2 * 8 + 1 * 8) * 15); // two powered-on VMs on vc-a, one on vc-b; 8 series each
    expect(emitted.some((s) => s.machine === 'vm-a3')).toBe(false); // powered off: no samples
    // Drain whatever the stopped service left in the queue with a workers-only service.
    const w = buildService(config, log, { collect: false });
    await w.start();
    const { Queue } = await import('bullmq');
    const q = new Queue('samples', { connection: t.redis, prefix: `${t.prefix}:bull` });
    await waitFor(
      async () => {
        const s = await queueStatus(q);
        return s.waiting + s.active + s.delayed === 0;
      },
      30_000,
      'drained',
    );
    await w.stop();
    await q.close();
    const store = new PointStore(t.redis, t.prefix);
    const ref = referencePoints(emitted);
    const got = new Map<string, { peak: number; count: number }>();
    for (const id of new Set(emitted.map((s) => `${s.machine}|${s.metric}|${s.instance}`))) {
      const [m, metric, instance] = id.split('|') as [string, 'cpu.usage.percent', string];
      for (const p of await store.readPoints({ machine: m, metric, instance, from: t0, to: t0 + DAY_MS }))
        got.set(`${id}|${p.windowStart}`, { peak: p.peak, count: p.samples });
    }
    expect(got).toEqual(ref);
  });
});
