// The lab through the product's own path (issue 12): the sample estate's application machines in the inventory,
// guest access with the lab's guests behind the openers, the dependency poller for three 5-minute polls on an
// injected clock, the dependency store, then `collector groups suggest` (built CLI): the suggested groups are the
// estate's applications. The sockets are what the lab guests serve at the clock's time, decoded by the real readers'
// decoders: Linux `ss -tanpH` + /proc output (lab/linux/guest-estate.ts -> collectors/linux parseSockets, the
// non-root view), Windows MSFT_NetTCPConnection and Win32_Process instances (lab/windows/guest.ts ->
// collectors/windows joinSockets); the wire (SSH, WS-Man) is tested by the readers' own tests.
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestAccess, type GuestOpener } from '../../appliance/guests/access.js';
import { GuestPollers } from '../../appliance/guests/pollers.js';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../config/load.js';
import { loadEstate } from '../../lab/estate.js';
import { applicationGroups, applicationMachines, CONNECTION_SLOT_MS, guestMachine } from '../../lab/guest-world.js';
import { estateSocketsText } from '../../lab/linux/guest-estate.js';
import { estateGuestView, guestClasses } from '../../lab/windows/guest.js';
import { parseSockets } from '../../collectors/linux/guest-parse.js';
import { joinSockets } from '../../collectors/windows/guest-reader.js';
import type { GuestReader } from '../../model/guest.js';
import type { Machine } from '../../model/index.js';
import { GuestAccessStore } from '../../queue/guest-access-store.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { createRedis } from '../../queue/redis.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { redisSettings } from '../helpers/redis-settings.js';

const REDIS_URL = 'redis://127.0.0.1:6379/12';
const prefix = `test-lab-poller-${randomUUID().slice(0, 8)}`;
const redis = createRedis(redisSettings(REDIS_URL, prefix));
const dir = mkdtempSync(join(tmpdir(), 'lab-groups-'));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('lab estate through the dependency poller', () => {
  it('three polls on an injected clock, then groups suggest: one group per application, the DNS/AD server alone', async () => {
    const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
    const names = applicationMachines(estate);
    const id = (n: string) => `lab:${n}`;
    const machines: Machine[] = names.map((n) => {
      const g = guestMachine(estate, n);
      if (!g) throw new Error(`no guest ${n}`);
      return {
        id: id(n),
        source: 'lab',
        kind: 'vmware',
        name: n,
        moref: null,
        biosUuid: null,
        instanceId: null,
        cpuCores: 2,
        memoryMB: 4096,
        os: { name: g.osName, id: null },
        firmware: 'bios',
        powerState: 'poweredOn',
        host: null,
        cluster: null,
        datacenter: null,
        disks: [],
        nics: [],
        ipAddresses: g.ips,
      } as unknown as Machine;
    });
    await new InventoryStore(redis, prefix).save(
      {
        name: 'lab',
        kind: 'vcenter',
        endpoint: 'lab',
        about: {},
        machines: machines.length,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: [],
      },
      machines,
    );
    const T0 = Date.UTC(2026, 11, 1, 9);
    let now = T0;
    const byIp = new Map(names.flatMap((n) => (guestMachine(estate, n)?.ips ?? []).map((ip) => [ip, n] as const)));
    // The lab guest at an address, as a reader returns it: sockets with their owning process at the clock's time.
    const opener: GuestOpener = async (target) => {
      const name = byIp.get(target.host);
      if (!name) throw Object.assign(new Error(`${target.host}: connection refused`), { failure: 'refused' });
      const os = guestMachine(estate, name)?.os ?? 'linux';
      const reader: GuestReader = {
        os,
        software: async () => ({ os, applications: [], features: [], sqlInstances: [], notes: [] }),
        sockets: async () => {
          if (os === 'linux') {
            const r = parseSockets(estateSocketsText(estate, name, now));
            return { sockets: r.sockets, notes: r.notes };
          }
          const view = estateGuestView(estate, name);
          if (!view) throw new Error(`${name}: no Windows guest view`);
          const classes = guestClasses(view, now);
          return {
            sockets: joinSockets(classes.standard.get('MSFT_NetTCPConnection') ?? [], classes.cimv2.get('Win32_Process') ?? []),
            notes: [],
          };
        },
        close: async () => undefined,
      };
      return reader;
    };
    const config = parseConfig({
      redis: { url: REDIS_URL, prefix },
      dependencies: { enabled: true, pollIntervalSec: 300 },
      guestCredentials: [
        { name: 'lab-windows', os: 'windows', username: 'LAB\\collector', password: { env: 'LAB_GUEST_PW' } },
        { name: 'lab-linux', os: 'linux', username: 'collector', password: { env: 'LAB_GUEST_PW' }, hostKeys: { fingerprints: {} } },
      ],
    });
    process.env.LAB_GUEST_PW = 'lab-guest-password';
    const log = createLogger({ level: 'silent', pretty: false });
    const access = new GuestAccess(config, {
      log,
      store: new GuestAccessStore(redis, prefix),
      clock: () => now,
      openers: { windows: opener, linux: opener },
    });
    const pollers = new GuestPollers(config, {
      log,
      access,
      inventory: new InventoryStore(redis, prefix),
      software: new SoftwareStore(redis, prefix),
      dependencies: new DependencyStore(redis, prefix),
      clock: () => now,
    });
    for (let poll = 0; poll < 3; poll++) {
      now = T0 + poll * CONNECTION_SLOT_MS;
      const stats = await pollers.pollDependencies();
      expect(stats.unreachable).toBe(0);
      expect(stats.failed).toBe(0);
    }
    expect(pollers.dependencyStats.read).toBe(3 * names.length);

    writeFileSync(join(dir, 'collector.yaml'), `redis: { url: ${REDIS_URL}, prefix: ${prefix} }\n`);
    const r = await runCli([
      'groups',
      'suggest',
      '--config',
      join(dir, 'collector.yaml'),
      '--from',
      String(T0),
      '--to',
      String(T0 + 3_600_000),
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { groups: { machines: string[] }[]; standalone: string[] };
    const byFirst = (a: string[], b: string[]) => (a[0] ?? '').localeCompare(b[0] ?? '');
    const expected = applicationGroups(estate)
      .map((a) => a.machines.map(id).sort())
      .sort(byFirst);
    expect(s.groups.map((g) => g.machines).sort(byFirst)).toEqual(expected);
    const sharedOnly = [...new Set(estate.sharedServices.flatMap((x) => x.machines))].filter((m) => !expected.flat().includes(id(m)));
    expect(sharedOnly.length).toBeGreaterThan(0);
    // The export carries the processes the readers decoded (Windows: Win32_Process names; Linux: the non-root view).
    const d = await runCli([
      'dependencies',
      '--config',
      join(dir, 'collector.yaml'),
      '--from',
      String(T0),
      '--to',
      String(T0 + 3_600_000),
      '--format',
      'json',
    ]);
    const edges = JSON.parse(d.stdout).edges as { destinationPort: number; destinationProcess: string | null; polls: number }[];
    expect(edges.some((e) => e.destinationPort === 1433 && e.destinationProcess === 'sqlservr.exe' && e.polls === 3)).toBe(true);
    expect(edges.some((e) => e.destinationPort === 5432)).toBe(true);
    for (const m of sharedOnly) expect(s.standalone).toContain(id(m));
  }, 120_000);
});
