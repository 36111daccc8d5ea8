// Guest access against lab Linux guests (ssh2 servers on 127.0.0.1): credentials tried per machine, failure
// reasons (no IP, port closed, wrong credential, unknown or changed host key: no credential offered), back-off,
// and the pollers: unreachable guests are listed with their reason and never stop the others.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_BACKOFF, nextAttemptAt } from '../../appliance/guests/backoff.js';
import { GuestAccess, guestOsOf } from '../../appliance/guests/access.js';
import { GuestPollers } from '../../appliance/guests/pollers.js';
import { SOCKETS_COMMAND, SOFTWARE_COMMAND } from '../../collectors/linux/guest-commands.js';
import { createLogger } from '../../common/log.js';
import { parseConfig, type CollectorConfig } from '../../config/load.js';
import { buildEstate } from '../../lab/estate.js';
import { LAB_SOCKETS_COMMAND, LAB_SOFTWARE_COMMAND, startLinuxLab, type LinuxLab } from '../../lab/linux/index.js';
import type { Machine } from '../../model/index.js';
import { GuestAccessStore } from '../../queue/guest-access-store.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { deleteByPrefix } from '../rollup/helpers.js';
import { machine } from './fixtures.js';

const log = createLogger({ level: 'silent' });
const redis = new Redis('redis://127.0.0.1:6379/15', { lazyConnect: false, maxRetriesPerRequest: 2 });
const prefix = `t-i12-guests-${process.pid}-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'ac-guests-'));
process.env.AC_TEST_GUEST_PW = 'right';
process.env.AC_TEST_GUEST_BAD = 'wrong';

let lab: LinuxLab;
let hole: Server;
const held: Socket[] = [];
let holePort = 0;
const portOf = new Map<string, number>();

function config(creds: Array<{ name: string; password: string; known: string }>): CollectorConfig {
  return parseConfig({
    redis: { url: 'redis://127.0.0.1:6379/15', prefix },
    sources: [{ name: 'vc', kind: 'vcenter', url: 'https://127.0.0.1/sdk', username: 'u', password: { env: 'AC_TEST_GUEST_PW' } }],
    guestCredentials: creds.map((c) => ({
      name: c.name,
      os: 'linux',
      username: 'collector',
      password: { env: c.password },
      hostKeys: { file: c.known },
    })),
    dependencies: { enabled: true },
    software: { enabled: true },
  });
}

const vm = (name: string, over: Partial<Machine> = {}) =>
  machine('vc', name, { os: { name: 'Ubuntu Linux (64-bit)', id: 'ubuntu64Guest' }, ipAddresses: ['127.0.0.1'], ...over });

function access(cfg: CollectorConfig, clock: () => number, store = new GuestAccessStore(redis, prefix)) {
  return new GuestAccess(cfg, {
    log,
    store,
    clock,
    timeoutMs: 1500,
    targets: (m) => (m.ipAddresses.length ? [{ host: '127.0.0.1', port: portOf.get(m.name) ?? 1 }] : []),
  });
}

beforeAll(async () => {
  const estate = buildEstate({
    servers: [
      { name: 'web1', family: 'linux' },
      { name: 'db1', family: 'linux' },
      { name: 'gone', family: 'linux', down: true },
    ],
  });
  lab = await startLinuxLab({ estate, users: [{ username: 'collector', password: 'right' }] });
  for (const e of lab.endpoints) portOf.set(e.name, e.port);
  hole = createServer((s) => void held.push(s));
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
  holePort = (hole.address() as { port: number }).port;
  portOf.set('hole', holePort);
  writeFileSync(join(dir, 'known_hosts'), lab.knownHosts());
  // Pins only web1: db1 is unknown to this file.
  writeFileSync(join(dir, 'web1_only'), `${lab.endpoints.find((e) => e.name === 'web1')?.knownHostsLine}\n`);
  // db1's port pinned with web1's key: a changed key.
  const web1Line = lab.endpoints.find((e) => e.name === 'web1')?.knownHostsLine ?? '';
  writeFileSync(join(dir, 'db1_changed'), `${web1Line.replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${portOf.get('db1')}`)}\n`);
});

afterAll(async () => {
  for (const s of held) s.destroy();
  hole?.close();
  await lab?.close();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('guest access', () => {
  it('the lab answers exactly the guest reader commands', () => {
    expect(LAB_SOFTWARE_COMMAND).toBe(SOFTWARE_COMMAND);
    expect(LAB_SOCKETS_COMMAND).toBe(SOCKETS_COMMAND);
  });

  it('back-off: 15 min doubling to 24 h', () => {
    const mins = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => (nextAttemptAt(0, f) - 0) / 60_000);
    expect(mins).toEqual([15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
    expect(DEFAULT_GUEST_BACKOFF.maxMs).toBe(24 * 3_600_000);
  });

  it('tells the OS from the family or the name', () => {
    expect(guestOsOf(vm('a'))).toBe('linux');
    expect(guestOsOf(machine('vc', 'w'))).toBe('windows');
    expect(guestOsOf(vm('x', { os: { name: null, id: null } }))).toBeNull();
    expect(guestOsOf(vm('y', { os: { name: 'whatever', id: null, family: 'windows' } }))).toBe('windows');
  });

  it('tries credentials in turn, remembers the one that works, and reports a wrong one', async () => {
    const known = join(dir, 'known_hosts');
    let now = 1_000_000;
    const store = new GuestAccessStore(redis, prefix);
    const a = access(
      config([
        { name: 'bad', password: 'AC_TEST_GUEST_BAD', known },
        { name: 'good', password: 'AC_TEST_GUEST_PW', known },
      ]),
      () => now,
      store,
    );
    const web1 = vm('web1');
    const r = await a.reader(web1);
    expect(r).not.toBeNull();
    const st = await store.get(web1.id);
    expect(st).toMatchObject({ credential: 'good', failure: null, ip: '127.0.0.1', failures: 0, lastSuccess: now, nextAttempt: null });
    const sw = await r?.software();
    expect(sw?.applications.length).toBeGreaterThan(300);
    expect(sw?.notes).toEqual(expect.arrayContaining(['rpm: not installed', 'snap: not installed']));
    await a.closeAll();

    // Only the wrong one: wrong-credential, then no attempt until the back-off has passed.
    const b = access(config([{ name: 'bad', password: 'AC_TEST_GUEST_BAD', known }]), () => now, store);
    const db1 = vm('db1');
    expect(await b.reader(db1)).toBeNull();
    const f = await store.get(db1.id);
    expect(f).toMatchObject({ failure: 'wrong-credential', credential: null, failures: 1, nextAttempt: now + 15 * 60_000 });
    expect(f?.reason).toMatch(/refused the credentials of user collector/);
    const tried = b.attempts;
    now += 10 * 60_000;
    expect(await b.reader(db1)).toBeNull();
    expect(b.attempts).toBe(tried);
    now += 6 * 60_000;
    expect(await b.reader(db1)).toBeNull();
    expect(b.attempts).toBe(tried + 1);
    expect(await store.get(db1.id)).toMatchObject({ failures: 2, nextAttempt: now + 30 * 60_000 });
  });

  it('never offers a credential to a guest whose host key is unknown or changed', async () => {
    const store = new GuestAccessStore(redis, prefix);
    const db1 = vm('db1', { id: 'vmware:vc:db1-unknown' });
    const before = lab.stats().db1?.authAttempts ?? -1;
    const u = access(config([{ name: 'good', password: 'AC_TEST_GUEST_PW', known: join(dir, 'web1_only') }]), () => 5e6, store);
    expect(await u.reader(db1)).toBeNull();
    expect(await store.get(db1.id)).toMatchObject({ failure: 'host-key-unknown' });
    const c = access(config([{ name: 'good', password: 'AC_TEST_GUEST_PW', known: join(dir, 'db1_changed') }]), () => 5e6, store);
    const db1b = vm('db1', { id: 'vmware:vc:db1-changed' });
    expect(await c.reader(db1b)).toBeNull();
    expect(await store.get(db1b.id)).toMatchObject({ failure: 'host-key-changed' });
    // The server saw two TCP connections and not one user-auth request.
    expect(lab.stats().db1?.authAttempts).toBe(before);
  });

  it('lists unreachable guests with their reason; they never stop the others', async () => {
    const known = join(dir, 'known_hosts');
    const store = new GuestAccessStore(redis, prefix);
    const cfg = config([{ name: 'good', password: 'AC_TEST_GUEST_PW', known }]);
    const a = access(cfg, Date.now, store);
    const machines = [
      vm('web1'),
      vm('db1'),
      vm('gone'),
      vm('hole'),
      vm('noip', { ipAddresses: [] }),
      vm('off', { powerState: 'poweredOff' }),
    ];
    const software = new SoftwareStore(redis, `${prefix}:p`);
    const deps = new DependencyStore(redis, `${prefix}:p`);
    const pollers = new GuestPollers(cfg, {
      log,
      access: a,
      inventory: { machines: async () => machines },
      software,
      dependencies: deps,
      concurrency: 8,
      deadlineMs: 3000,
    });
    const t0 = Date.now();
    const s = await pollers.pollSoftware();
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(s).toMatchObject({ guests: 5, read: 2, unreachable: 3, failed: 0 });
    expect((await software.all()).map((i) => i.machine).sort()).toEqual(['vmware:vc:db1', 'vmware:vc:web1']);
    const d = await pollers.pollDependencies();
    // The failed ones are in back-off: not tried again, still listed.
    expect(d).toMatchObject({ guests: 5, read: 2, unreachable: 3 });
    const list = await store.list();
    const reasons = Object.fromEntries(list.map((x) => [x.machineName, x.failure]));
    expect(reasons).toMatchObject({ web1: null, db1: null, gone: 'port-closed', hole: 'timeout', noip: 'no-ip' });
    expect(list.find((x) => x.machineName === 'gone')?.reason).toMatch(/refused/);
    await a.closeAll();
  });
});
