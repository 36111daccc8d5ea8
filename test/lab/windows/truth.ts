// Test helpers: what the collector must report for a simulated Windows server, derived from its
// description and the lab's workload model (not from the simulator's CIM rendering).
import { workloadValue } from '../../../lab/workload.js';
import { seriesKey } from '../../../lab/windows/cim.js';
import { SLOT_SEC, type WindowsWorld } from '../../../lab/windows/world.js';

/**
 * metric|instance -> the value the workload prescribes for the slot starting at slotStart (rates over
 * [slotStart, slotStart + 30 s)); memory is a gauge, read at the end of that interval (the next slot).
 */
export function truth(
  world: WindowsWorld,
  name: string,
  slotStart: number,
  ids: { disk: (i: number) => string; nic: (i: number) => string },
): Map<string, number> {
  const s = world.server(name);
  if (!s) throw new Error(`no server ${name}`);
  const w = s.spec.workload;
  const key = (series: Parameters<typeof seriesKey>[2], inst = '') => seriesKey(world.seed, s.spec.name, series, inst);
  const out = new Map<string, number>();
  out.set('cpu.usage.percent|', workloadValue(w.cpu, key('cpu'), slotStart, SLOT_SEC, true));
  out.set('memory.usage.percent|', workloadValue(w.memory, key('memory'), slotStart + SLOT_SEC * 1000, SLOT_SEC, true));
  s.spec.disks.forEach((_d, i) => {
    const inst = String(i);
    out.set(
      `disk.read.bytesPerSec|${ids.disk(i)}`,
      workloadValue(w.diskReadBytesPerSec, key('diskReadBytesPerSec', inst), slotStart, SLOT_SEC, false),
    );
    out.set(
      `disk.write.bytesPerSec|${ids.disk(i)}`,
      workloadValue(w.diskWriteBytesPerSec, key('diskWriteBytesPerSec', inst), slotStart, SLOT_SEC, false),
    );
    out.set(
      `disk.read.opsPerSec|${ids.disk(i)}`,
      workloadValue(w.diskReadOpsPerSec, key('diskReadOpsPerSec', inst), slotStart, SLOT_SEC, false),
    );
    out.set(
      `disk.write.opsPerSec|${ids.disk(i)}`,
      workloadValue(w.diskWriteOpsPerSec, key('diskWriteOpsPerSec', inst), slotStart, SLOT_SEC, false),
    );
  });
  s.spec.nics.forEach((n, i) => {
    if (n.virtual) return;
    const inst = String(i);
    out.set(
      `net.received.bytesPerSec|${ids.nic(i)}`,
      workloadValue(w.netReceivedBytesPerSec, key('netReceivedBytesPerSec', inst), slotStart, SLOT_SEC, false),
    );
    out.set(
      `net.transmitted.bytesPerSec|${ids.nic(i)}`,
      workloadValue(w.netTransmittedBytesPerSec, key('netTransmittedBytesPerSec', inst), slotStart, SLOT_SEC, false),
    );
  });
  return out;
}
