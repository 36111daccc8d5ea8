// One machine per server across sources: a VM found through vCenter or Hyper-V that is also read
// directly as a physical server (same BIOS UUID, VMware byte order handled by biosIdentityKey) is
// merged into one record that says which sources saw it. Pure and idempotent, so every place where
// machines from all sources meet (the inventory store's reads, the assessment's input) can apply it.
import { biosIdentityKey } from './bios-uuid.js';
import type { Machine } from './machine.js';

const HYPERVISOR_RANK: Record<Machine['kind'], number> = { vmware: 0, hyperv: 1, physical: 2 };

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * The hypervisor's record stays primary (its id, disks and NICs are what a migration moves, and its
 * samples are what the assessment already keys on); the guest's own reading fills what the hypervisor
 * could not see (FQDN, OS details, BIOS serial, more IPs). Several VMs with one UUID (clones) are
 * ambiguous: nothing is merged into them, each stays its own machine.
 */
function mergeGroup(group: Machine[]): Machine[] {
  const vms = group.filter((m) => m.kind !== 'physical');
  const physical = group.filter((m) => m.kind === 'physical').sort((a, b) => a.source.localeCompare(b.source) || a.id.localeCompare(b.id));
  if (vms.length > 1 || physical.length === 0 || group.length === 1) return group;
  const primary = vms[0] ?? physical[0];
  if (!primary) return group;
  const others = group.filter((m) => m !== primary);
  let out: Machine = { ...primary, os: { ...primary.os }, seenBy: primary.seenBy ?? [primary.source] };
  for (const o of others) {
    out = {
      ...out,
      fqdn: out.fqdn ?? o.fqdn ?? null,
      os: {
        ...out.os,
        name: out.os.name ?? o.os.name,
        version: out.os.version ?? o.os.version ?? null,
        architecture: out.os.architecture ?? o.os.architecture ?? null,
        family: out.os.family ?? o.os.family ?? null,
      },
      biosSerial: out.biosSerial ?? o.biosSerial ?? null,
      // Where the server itself answers (its physical source's host entry): guest access goes there.
      address: out.address ?? o.address ?? null,
      ipAddresses: union(out.ipAddresses, o.ipAddresses),
      seenBy: union(out.seenBy ?? [], o.seenBy ?? [o.source]),
    };
  }
  return [{ ...out, seenBy: [...(out.seenBy ?? [])].sort() }];
}

/** Merges machines that are one server seen by several sources; the rest pass through unchanged. */
export function mergeMachinesAcrossSources(machines: Machine[]): Machine[] {
  const groups = new Map<string, Machine[]>();
  const out: Machine[] = [];
  for (const m of machines) {
    const key = biosIdentityKey(m.biosUuid);
    if (key === null) {
      out.push(m);
      continue;
    }
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  }
  for (const g of groups.values()) {
    g.sort((a, b) => HYPERVISOR_RANK[a.kind] - HYPERVISOR_RANK[b.kind] || a.source.localeCompare(b.source) || a.id.localeCompare(b.id));
    out.push(...mergeGroup(g));
  }
  return out;
}
