// Maps counter instance names to machines, disks and NICs using the inventory: VMs by name (the
// counters know no GUID), disks by VHD path, NICs by the NIC GUID inside the adapter instance name.
import type { Machine } from '../../model/index.js';
import { storageInstanceKey, type PerfMapping } from './perf.js';

export class InventoryMapping implements PerfMapping {
  private readonly vms = new Map<string, { machine: string; memoryMB: number } | null>();
  private readonly disks = new Map<string, { machine: string; disk: string }>();
  /** VHD file name (lower case) -> disk, null when two disks share the name: the fallback below. */
  private readonly diskFiles = new Map<string, { machine: string; disk: string } | null>();
  private readonly nics = new Map<string, { machine: string; nic: string }>();

  /** `machines` are the VMs of one host (names are unique per host; a duplicate name maps to nothing). */
  constructor(machines: Machine[], fallback?: InventoryMapping) {
    for (const m of machines) {
      const target = { machine: m.id, memoryMB: m.memoryMB };
      this.vms.set(m.name, this.vms.has(m.name) ? null : target);
      for (const d of m.disks) {
        if (!d.path) continue;
        const target = { machine: m.id, disk: d.id };
        this.disks.set(storageInstanceKey(d.path), target);
        const file = (d.path.split(/[\\/]/).pop() ?? '').toLowerCase();
        this.diskFiles.set(file, this.diskFiles.has(file) ? null : target);
      }
      for (const n of m.nics) this.nics.set(n.id.toLowerCase(), { machine: m.id, nic: n.id });
    }
    this.fallback = fallback;
  }

  /** Source-wide mapping consulted when a VM has just moved to this host and is not in its inventory yet. */
  private readonly fallback: InventoryMapping | undefined;

  /** Two VMs with this name on the host: their counters cannot be told apart, so they are not mapped. */
  ambiguous(name: string): boolean {
    return this.vms.has(name) && this.vms.get(name) === null;
  }

  vmByName(name: string): { machine: string; memoryMB: number } | null {
    if (this.vms.has(name)) return this.vms.get(name) ?? null;
    return this.fallback?.vmByName(name) ?? null;
  }
  /**
   * By the whole path first. Windows forms the instance name from the path as the storage stack sees
   * it, which can differ in its prefix (a \\?\ or volume form, a CSV mount point); so, failing that,
   * by the VHD file name ending the instance name, when exactly one disk has that name.
   */
  diskByInstance(instance: string): { machine: string; disk: string } | null {
    const key = instance.toLowerCase();
    const exact = this.disks.get(key);
    if (exact) return exact;
    for (let i = key.indexOf('-'); i >= 0; i = key.indexOf('-', i + 1)) {
      const byFile = this.diskFiles.get(key.slice(i + 1));
      if (byFile) return byFile;
    }
    return this.fallback?.diskByInstance(instance) ?? null;
  }
  nicByGuid(guid: string): { machine: string; nic: string } | null {
    return this.nics.get(guid.toLowerCase()) ?? this.fallback?.nicByGuid(guid) ?? null;
  }
}
