// Maps counter instance names to machines, disks and NICs using the inventory: VMs by name (the
// counters know no GUID), disks by VHD path, NICs by the NIC GUID inside the adapter instance name.
import type { Machine } from '../model.js';
import { storageInstanceKey, type PerfMapping } from './perf.js';

export class InventoryMapping implements PerfMapping {
  private readonly vms = new Map<string, { machine: string; memoryMB: number } | null>();
  private readonly disks = new Map<string, { machine: string; disk: string }>();
  private readonly nics = new Map<string, { machine: string; nic: string }>();

  /** `machines` are the VMs of one host (names are unique per host; a duplicate name maps to nothing). */
  constructor(machines: Machine[], fallback?: InventoryMapping) {
    for (const m of machines) {
      const target = { machine: m.id, memoryMB: m.memoryMB };
      this.vms.set(m.name, this.vms.has(m.name) ? null : target);
      for (const d of m.disks) if (d.path) this.disks.set(storageInstanceKey(d.path), { machine: m.id, disk: d.id });
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
  diskByInstance(instance: string): { machine: string; disk: string } | null {
    return this.disks.get(instance.toLowerCase()) ?? this.fallback?.diskByInstance(instance) ?? null;
  }
  nicByGuid(guid: string): { machine: string; nic: string } | null {
    return this.nics.get(guid.toLowerCase()) ?? this.fallback?.nicByGuid(guid) ?? null;
  }
}
