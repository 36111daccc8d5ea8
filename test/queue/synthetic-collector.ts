import type { Machine, PollStats, Sample, SampleSink, SourceCollector, SourceSummary } from '../../model/index.js';

/**
 * A SourceCollector that plays a fixed estate: each poll delivers the next `samplesPerPoll` 20 s
 * samples per series, in `batchesPerPoll` sink batches (like QueryPerf responses), timestamps
 * advancing from t0 like a collector's high-water marks.
 */
export class SyntheticCollector implements SourceCollector {
  readonly kind = 'vcenter' as const;
  readonly pollIntervalSec = 20;
  polls = 0;
  concurrentPolls = 0;
  maxConcurrentPolls = 0;
  closed = false;
  failDiscover = false;
  failPoll = false;
  pollDelayMs = 0;
  readonly emitted: Sample[] = [];
  #next = 0;

  constructor(
    readonly name: string,
    readonly machines: Machine[],
    readonly t0: number,
    readonly opts: { samplesPerPoll: number; batchesPerPoll: number },
  ) {}

  async discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    if (this.failDiscover) throw new Error(`${this.name}: connection refused`);
    return {
      source: {
        name: this.name,
        kind: 'vcenter',
        endpoint: 'synthetic',
        about: {},
        machines: this.machines.length,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: [],
      },
      machines: this.machines,
    };
  }

  async poll(sink: SampleSink): Promise<PollStats> {
    this.concurrentPolls++;
    this.maxConcurrentPolls = Math.max(this.maxConcurrentPolls, this.concurrentPolls);
    try {
      if (this.failPoll) throw new Error(`${this.name}: poll refused`);
      if (this.pollDelayMs) await new Promise((r) => setTimeout(r, this.pollDelayMs));
      const all: Sample[] = [];
      for (let k = 0; k < this.opts.samplesPerPoll; k++) {
        const ts = this.t0 + (this.#next + k) * 20_000;
        for (const m of this.machines.filter((x) => x.powerState === 'poweredOn')) {
          all.push({
            machine: m.id,
            metric: 'cpu.usage.percent',
            instance: '',
            ts,
            value: (ts / 20_000 + m.cpuCores) % 97,
            intervalSec: 20,
          });
          all.push({ machine: m.id, metric: 'memory.usage.percent', instance: '', ts, value: (ts / 40_000) % 89, intervalSec: 20 });
          for (const d of m.disks)
            for (const metric of [
              'disk.read.bytesPerSec',
              'disk.write.bytesPerSec',
              'disk.read.opsPerSec',
              'disk.write.opsPerSec',
            ] as const)
              all.push({ machine: m.id, metric, instance: d.id, ts, value: (ts / 1000) % 5000, intervalSec: 20 });
          for (const n of m.nics)
            for (const metric of ['net.received.bytesPerSec', 'net.transmitted.bytesPerSec'] as const)
              all.push({ machine: m.id, metric, instance: n.id, ts, value: (ts / 3000) % 7000, intervalSec: 20 });
        }
      }
      this.#next += this.opts.samplesPerPoll;
      const size = Math.ceil(all.length / this.opts.batchesPerPoll);
      for (let i = 0; i < all.length; i += size) {
        const b = all.slice(i, i + size);
        this.emitted.push(...b);
        await sink(b);
      }
      this.polls++;
      return { machinesPolled: this.machines.length, samples: all.length, requests: this.opts.batchesPerPoll, errors: [] };
    } finally {
      this.concurrentPolls--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function machine(id: string, powerState: Machine['powerState'] = 'poweredOn'): Machine {
  return {
    id,
    source: 'synthetic',
    kind: 'vmware',
    name: id,
    moref: null,
    biosUuid: null,
    instanceId: id,
    cpuCores: 2,
    memoryMB: 4096,
    os: { name: 'Ubuntu Linux (64-bit)', id: 'ubuntu64Guest' },
    firmware: 'bios',
    powerState,
    host: 'h1',
    cluster: 'c1',
    datacenter: 'dc1',
    disks: [{ id: '2000', capacityBytes: 10 * 2 ** 30 }],
    nics: [{ id: '4000', mac: '00:50:56:00:00:01' }],
    ipAddresses: [],
  };
}
