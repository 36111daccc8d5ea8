// Two Hyper-V sources under the shared scheduler: one whose credentials are refused, one healthy. The
// healthy one keeps collecting; the refused one fails visibly and does not retry the password on every poll.
import { afterAll, describe, expect, it } from 'vitest';
import { createHypervCollector } from '../../../collectors/hyperv/index.js';
import type { Sample } from '../../../model/index.js';
import { SourceScheduler } from '../../../appliance/scheduler.js';
import { createLogger } from '../../../common/log.js';
import { hypervSource } from '../../../config/schema/hyperv.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';

let lab: HypervLab | undefined;
afterAll(async () => {
  await lab?.close();
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Hyper-V sources under the scheduler', () => {
  it('a source with refused credentials fails on its own, without retrying the password each poll; the other keeps collecting', async () => {
    const log = createLogger({ level: 'silent' });
    // The lab runs 150x faster than real time, so 200 ms polls read 30 s of counters.
    const start = Date.now();
    lab = await startHypervLab({
      estate: loadEstate('lab/estates/sample.yaml'),
      hosts: ['hv02', 'hv03'],
      users: { collector: 'Good-Passw0rd!' },
      clock: () => start + (Date.now() - start) * 150,
      log,
    });
    process.env.HV_SRC_GOOD = 'Good-Passw0rd!';
    process.env.HV_SRC_BAD = 'Bad-Passw0rd!';
    const cfg = (name: string, host: string, env: string) =>
      hypervSource.parse({
        name,
        kind: 'hyperv',
        host,
        transport: 'http',
        username: 'collector',
        password: { env },
        hostMap: lab!.hostMap(),
      });
    const batches: Sample[][] = [];
    const good = new SourceScheduler({
      name: 'good',
      create: async () => createHypervCollector(cfg('good', 'hv02', 'HV_SRC_GOOD'), { log }),
      inventory: null,
      sink: (b) => void batches.push(b),
      pollIntervalMs: 200,
      inventoryIntervalMs: 600_000,
      log,
    });
    const bad = new SourceScheduler({
      name: 'bad',
      create: async () => createHypervCollector(cfg('bad', 'hv03', 'HV_SRC_BAD'), { log }),
      inventory: null,
      sink: () => {},
      pollIntervalMs: 200,
      inventoryIntervalMs: 600_000,
      log,
    });
    good.start();
    bad.start();
    try {
      await waitFor(() => batches.length >= 3, 30_000, 'three batches from the good source');
      await waitFor(() => bad.status().polls + bad.status().errors >= 5, 30_000, 'polls of the bad source');
    } finally {
      await Promise.all([good.stop(), bad.stop()]);
    }
    expect(good.status()).toMatchObject({ lastError: null });
    expect(bad.status().state).toBe('stopped');
    expect(bad.status().lastError).toMatch(/refused the credentials/);
    expect(bad.status().lastSuccessAt).toBeNull();
    // One discovery tried the password (NTLM may take two legs); the polls did not.
    const stats = lab.stats();
    expect(stats.hv03!.authFailures).toBeGreaterThan(0);
    expect(stats.hv03!.authFailures).toBeLessThanOrEqual(2);
    expect(batches.flat().every((s) => s.machine.startsWith('hyperv:vm:'))).toBe(true);
  });
});
