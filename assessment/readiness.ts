// Azure readiness (docs/azure-migrate.md §7): pure rules over a machine's properties and
// guest OS. Every rule that fires adds a reason; the category is the worst of them.
import type { Machine } from '../model/index.js';
import { classifyOs, type OsSupport } from './os-table.js';

export type ReadinessCategory = 'Ready' | 'Conditionally ready' | 'Not ready' | 'Readiness unknown';

export interface ReadinessReason {
  code: string;
  category: Exclude<ReadinessCategory, 'Ready'>;
  message: string;
}

export interface Readiness {
  category: ReadinessCategory;
  reasons: ReadinessReason[];
}

/** Azure's limits (v2020 page): the largest VM (Standard_M128m) and disk (32 TB managed disk). */
export const LIMITS = {
  cores: 128,
  memoryGB: 3892,
  /** The largest managed disk, P80/E80/S80: 32,767 GiB; anything bigger fits no disk. */
  diskGiB: 32_767,
  disks: 65,
  nics: 32,
} as const;

const GIB = 1024 ** 3;

/** Cores and memory compared with the limits: utilised x comfort when there is performance history, else allocated. */
export interface ComputeDemand {
  cores: number;
  memoryGB: number;
  /** Both at once (older callers); coresBasis / memoryBasis say it per resource and win. */
  basis?: 'utilization' | 'allocated';
  coresBasis?: 'utilised' | 'allocated';
  memoryBasis?: 'utilised' | 'allocated';
}

const SEVERITY: Record<ReadinessCategory, number> = { Ready: 0, 'Conditionally ready': 1, 'Readiness unknown': 2, 'Not ready': 3 };

export function assessReadiness(m: Machine, demand: ComputeDemand): Readiness {
  const reasons: ReadinessReason[] = [];
  const add = (code: string, category: ReadinessReason['category'], message: string) => reasons.push({ code, category, message });

  if (m.firmware === 'uefi') {
    add(
      'boot-uefi',
      'Conditionally ready',
      'UEFI boot: Azure boots it only as a generation 2 VM; convert to BIOS or choose a generation 2 size when migrating.',
    );
  }
  const both = demand.basis === 'utilization' ? 'utilised' : 'allocated';
  const coresBasis = demand.coresBasis ?? both;
  const memoryBasis = demand.memoryBasis ?? both;
  if (!(m.cpuCores > 0) || !(m.memoryMB > 0)) {
    add(
      'metadata-missing',
      'Readiness unknown',
      `the inventory has no ${!(m.cpuCores > 0) ? 'core count' : 'memory size'} for this machine.`,
    );
  } else {
    if (demand.cores > LIMITS.cores) {
      add(
        'cores-over-limit',
        'Not ready',
        `${round(demand.cores)} ${coresBasis} cores exceed the largest Azure VM (${LIMITS.cores} cores).`,
      );
    }
    if (demand.memoryGB > LIMITS.memoryGB) {
      add(
        'memory-over-limit',
        'Not ready',
        `${round(demand.memoryGB)} GB ${memoryBasis} memory exceeds the largest Azure VM (${LIMITS.memoryGB} GB, Standard_M128m).`,
      );
    }
  }
  for (const d of m.disks) {
    const gib = d.capacityBytes / GIB;
    if (gib > LIMITS.diskGiB) {
      add(
        'disk-too-large',
        'Not ready',
        `disk ${d.label ?? d.id} is ${round(gib)} GiB; the largest Azure managed disk holds ${LIMITS.diskGiB} GiB (32 TB).`,
      );
    }
  }
  if (m.disks.length > LIMITS.disks) {
    add('too-many-disks', 'Not ready', `${m.disks.length} disks; an Azure VM takes at most ${LIMITS.disks} including the OS disk.`);
  }
  if (m.nics.length > LIMITS.nics) {
    add('too-many-nics', 'Not ready', `${m.nics.length} network adapters; an Azure VM takes at most ${LIMITS.nics}.`);
  }

  const os = classifyOs(m.os);
  const osCategory: Record<OsSupport, ReadinessCategory> = {
    ready: 'Ready',
    conditional: 'Conditionally ready',
    unknown: 'Readiness unknown',
  };
  if (os.support !== 'ready') add(`os-${os.rule}`, osCategory[os.support] as ReadinessReason['category'], `guest OS: ${os.note}.`);
  if (os.is32Bit) add('os-32-bit', 'Conditionally ready', 'a 32-bit OS: Azure supports it but advises upgrading to 64-bit.');

  const category = reasons.reduce<ReadinessCategory>((worst, r) => (SEVERITY[r.category] > SEVERITY[worst] ? r.category : worst), 'Ready');
  return { category, reasons };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
