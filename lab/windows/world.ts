// The simulated Windows servers at run time: each one's boot time (the origin of Timestamp_PerfTime),
// when its counters started integrating the workload, and a large offset so raw counters exceed 2^53
// as on long-running servers. Tests reboot a server (counters restart from zero, the perf clock too).
import { hash32 } from '../workload.js';
import type { SimServerSpec } from './servers.js';

/** The workload is constant over 30-second slots, as Azure Migrate samples. */
export const SLOT_SEC = 30;

export interface SimServer {
  spec: SimServerSpec;
  name: string;
  down: boolean;
  /** Epoch ms of the last boot: Timestamp_PerfTime counts 100 ns ticks from here. */
  bootMs: number;
  /** Epoch ms from which the counters integrate the workload (history before it is in counterOffset). */
  countersFromMs: number;
  counterOffset: bigint;
}

export class WindowsWorld {
  readonly servers = new Map<string, SimServer>();
  generation = 0;

  constructor(
    specs: SimServerSpec[],
    readonly seed: number,
    readonly clock: () => number = Date.now,
  ) {
    const now = clock();
    const slotMs = SLOT_SEC * 1000;
    for (const spec of specs) {
      const bootMs = Math.floor(now / 1000) * 1000 - (3 + (hash32(`boot|${spec.name}`) % 48)) * 3_600_000;
      this.servers.set(spec.name.toLowerCase(), {
        spec,
        name: spec.name,
        down: spec.down,
        bootMs,
        // A few whole slots before the lab started, so the first readings already have history.
        countersFromMs: Math.floor(now / slotMs) * slotMs - (2 + (hash32(`start|${spec.name}`) % 20)) * slotMs,
        counterOffset: (BigInt(hash32(`offset|${seed}|${spec.name}`)) << 30n) + 9_007_199_254_740_993n,
      });
    }
  }

  server(name: string): SimServer | undefined {
    return this.servers.get(name.toLowerCase());
  }

  /** A reboot: the perf clock and every counter restart from zero. */
  reboot(name: string): void {
    const s = this.server(name);
    if (!s) throw new Error(`no Windows server ${name} in the lab`);
    const now = this.clock();
    s.bootMs = now;
    s.countersFromMs = now;
    s.counterOffset = 0n;
    this.generation++;
  }
}
