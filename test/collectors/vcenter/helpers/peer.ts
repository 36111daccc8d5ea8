import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../../helpers/cli.js';
import type { Machine } from '../../../../model/index.js';
import type { Sim } from './sim.js';

export interface PeerInventory {
  about: { instanceUuid: string };
  templates: number;
  machines: PeerMachine[];
}

/** One VM as pyvmomi_inventory.py prints it: the Machine fields both sides read (a Machine is one too). */
export type PeerMachine = Pick<Machine, 'name' | 'moref' | 'biosUuid' | 'instanceId' | 'cpuCores' | 'memoryMB' | 'os' | 'firmware'> &
  Pick<Machine, 'powerState' | 'host' | 'cluster' | 'datacenter' | 'disks' | 'nics' | 'ipAddresses'>;

/** Reads the simulator's inventory with VMware's pyVmomi (Debian python3-pyvmomi), verifying TLS with the sim's certificate. */
export function pyvmomiInventory(sim: Sim): PeerInventory {
  const script = join(ROOT, 'test', 'collectors', 'vcenter', 'pyvmomi_inventory.py');
  const r = spawnSync('/usr/bin/python3', [script, sim.host, String(sim.port), sim.username, sim.certFile], {
    input: `${sim.password}\n`,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`pyVmomi peer failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PeerInventory;
}
