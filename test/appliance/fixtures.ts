import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Machine, SourceSummary } from '../../model/index.js';

export const REDIS_BASE = 'redis://127.0.0.1:6379';

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `collector-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function uniquePrefix(tag: string): string {
  return `t-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function machine(source: string, name: string, over: Partial<Machine> = {}): Machine {
  return {
    id: `vmware:${source}:${name}`,
    source,
    kind: 'vmware',
    name,
    moref: `vm-${name}`,
    biosUuid: null,
    instanceId: `inst-${name}`,
    cpuCores: 4,
    memoryMB: 8192,
    os: { name: 'Microsoft Windows Server 2019 (64-bit)', id: 'windows2019srv_64Guest' },
    firmware: 'bios',
    powerState: 'poweredOn',
    host: 'esx01.lab.local',
    cluster: 'Prod',
    datacenter: 'DC-East',
    disks: [{ id: '2000', capacityBytes: 80 * 1024 ** 3, label: 'Hard disk 1' }],
    nics: [{ id: '4000', mac: '00:50:56:00:00:01', label: 'Network adapter 1', network: 'Prod' }],
    ipAddresses: ['10.0.0.1'],
    ...over,
  };
}

export function summary(name: string, machines: number): SourceSummary {
  return {
    name,
    kind: 'vcenter',
    endpoint: 'https://vc/sdk',
    about: {},
    machines,
    templatesSkipped: 0,
    discoveredAt: new Date().toISOString(),
    errors: [],
  };
}

export function writeConfig(dir: string, text: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
