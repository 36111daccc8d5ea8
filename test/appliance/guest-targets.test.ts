import { describe, expect, it } from 'vitest';
import { GuestAccess } from '../../appliance/guests/access.js';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../config/load.js';
import type { Machine } from '../../model/index.js';
import type { GuestAccessStore } from '../../queue/guest-access-store.js';

// Which address and credential a guest gets: a physical server is reached where its source reached it, never at the
// addresses it reports about itself (those may be private networks the appliance must not probe), and a VM that is
// also a configured physical server (one machine after the BIOS UUID merge) uses that physical source.
const config = parseConfig({
  redis: { url: 'redis://127.0.0.1:6379/15', prefix: 'unused' },
  sources: [
    { name: 'vc', kind: 'vcenter', url: 'https://127.0.0.1/sdk', username: 'u', password: { env: 'AC_TEST_PW' } },
    {
      name: 'linux-servers',
      kind: 'linux',
      hosts: ['127.0.0.1:2201', '127.0.0.1:2202'],
      username: 'collector',
      password: { env: 'AC_TEST_PW' },
      hostKeys: { fingerprints: { '127.0.0.1': `SHA256:${'A'.repeat(43)}` } },
    },
  ],
  guestCredentials: [{ name: 'lnx', os: 'linux', username: 'c', password: { env: 'AC_TEST_PW' }, hostKeys: { file: '/dev/null' } }],
});

const base = (over: Partial<Machine>): Machine => ({
  id: 'm',
  source: 'vc',
  kind: 'vmware',
  name: 'app01',
  moref: null,
  biosUuid: null,
  instanceId: 'i',
  cpuCores: 2,
  memoryMB: 2048,
  os: { name: 'Ubuntu Linux (64-bit)', id: 'ubuntu64Guest', family: 'linux' },
  firmware: 'bios',
  powerState: 'poweredOn',
  host: null,
  cluster: null,
  datacenter: null,
  disks: [],
  nics: [],
  ipAddresses: ['172.16.0.2'],
  ...over,
});

describe('guest targets and credentials', () => {
  const access = new GuestAccess(config, { log: createLogger({ level: 'silent' }), store: {} as GuestAccessStore });

  it('a physical server is reached at its source host entry, not at the IPs it reports', () => {
    const m = base({ source: 'linux-servers', kind: 'physical', name: 'lnx-db01', address: '127.0.0.1:2202' });
    expect(access.targets(m)).toEqual([{ host: '127.0.0.1', port: 2202 }]);
    expect(access.candidates(m).map((c) => c.name)).toEqual(['source:linux-servers']);
  });

  it('a VM merged with a physical reading (seenBy) uses the physical source and its address', () => {
    const m = base({ seenBy: ['linux-servers', 'vc'], address: '127.0.0.1:2201' });
    expect(access.targets(m)).toEqual([{ host: '127.0.0.1', port: 2201 }]);
    expect(access.candidates(m).map((c) => c.name)).toEqual(['source:linux-servers']);
  });

  it('a plain VM is tried at its own IP addresses with the guest credentials of its OS', () => {
    const m = base({});
    expect(access.targets(m)).toEqual([{ host: '172.16.0.2' }]);
    expect(access.candidates(m).map((c) => c.name)).toEqual(['lnx']);
  });
});
