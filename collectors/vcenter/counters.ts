import { UserError } from '../../common/errors.js';
import type { MetricName } from '../../model/index.js';
import type { VimSession } from './session.js';
import { counterIds, perfCounters } from './vim/performance.js';

/** The 8 counters Azure Migrate uses, with the conversion to our vocabulary applied once, here. */
export const COUNTERS: ReadonlyArray<{
  name: string;
  metric: MetricName;
  scope: 'machine' | 'disk' | 'nic';
  multiply: number;
  divide: number;
}> = [
  { name: 'cpu.usage.average', metric: 'cpu.usage.percent', scope: 'machine', multiply: 1, divide: 100 }, // hundredths of %
  { name: 'mem.usage.average', metric: 'memory.usage.percent', scope: 'machine', multiply: 1, divide: 100 },
  { name: 'virtualDisk.read.average', metric: 'disk.read.bytesPerSec', scope: 'disk', multiply: 1024, divide: 1 }, // KBps
  { name: 'virtualDisk.write.average', metric: 'disk.write.bytesPerSec', scope: 'disk', multiply: 1024, divide: 1 },
  { name: 'virtualDisk.numberReadAveraged.average', metric: 'disk.read.opsPerSec', scope: 'disk', multiply: 1, divide: 1 },
  { name: 'virtualDisk.numberWriteAveraged.average', metric: 'disk.write.opsPerSec', scope: 'disk', multiply: 1, divide: 1 },
  { name: 'net.received.average', metric: 'net.received.bytesPerSec', scope: 'nic', multiply: 1024, divide: 1 }, // KBps
  { name: 'net.transmitted.average', metric: 'net.transmitted.bytesPerSec', scope: 'nic', multiply: 1024, divide: 1 },
];

/** vCenter's realtime sampling interval (seconds). */
export const REALTIME_INTERVAL_SEC = 20;

/** One of COUNTERS with its id on this vCenter. */
export type Counter = (typeof COUNTERS)[number] & { id: number };

/** Reads PerformanceManager.perfCounter once and maps the 8 counter names to this vCenter's ids. */
export async function resolveCounters(session: VimSession): Promise<{ counters: Counter[]; missing: string[] }> {
  const content = await session.serviceContent();
  const ids = counterIds(await perfCounters(session, content.propertyCollector, content.perfManager));
  if (ids.size === 0) {
    // Not "every counter missing": an empty perfCounter means we could not read it (e.g. no session).
    throw new UserError(`${session.endpoint}: PerformanceManager.perfCounter came back empty.`, {
      fix: 'Check that the account can read performance data (the read-only role at the vCenter root is enough).',
      code: 'VCENTER_NO_COUNTERS',
    });
  }
  const counters: Counter[] = [];
  const missing: string[] = [];
  for (const c of COUNTERS) {
    const id = ids.get(c.name);
    if (id === undefined) missing.push(c.name);
    else counters.push({ ...c, id });
  }
  return { counters, missing };
}
