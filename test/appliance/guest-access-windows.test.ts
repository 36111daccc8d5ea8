// Guest access with Windows guest credentials against the lab's Windows guests (WS-Man on 127.0.0.1): a vCenter
// VM is reached at its inventory IP through the credential's hostMap, the wrong credential, a closed port and an
// untrusted certificate are reported with their reasons, and an untrusted peer never sees an NTLM authentication.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestAccess } from '../../appliance/guests/access.js';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../config/load.js';
import { loadEstate, type Estate } from '../../lab/estate.js';
import {
  estateGuestView,
  startWindowsLab,
  windowsGuestsOfEstate,
  windowsServersOfEstate,
  type WindowsLab,
} from '../../lab/windows/index.js';
import { GuestAccessStore } from '../../queue/guest-access-store.js';
import { deleteByPrefix } from '../rollup/helpers.js';
import { machine } from './fixtures.js';

const log = createLogger({ level: 'silent' });
const redis = new Redis('redis://127.0.0.1:6379/13', { lazyConnect: false, maxRetriesPerRequest: 2 });
const prefix = `t-i12-winguests-${process.pid}-${randomBytes(3).toString('hex')}`;
process.env.AC_TEST_WIN_GUEST_RIGHT = 'Right-Passw0rd!';
process.env.AC_TEST_WIN_GUEST_WRONG = 'nope';
let estate: Estate;
let lab: WindowsLab;
let closedPort = 0;

beforeAll(async () => {
  estate = loadEstate('lab/estates/sample.yaml');
  lab = await startWindowsLab({
    servers: [...windowsServersOfEstate(estate), ...windowsGuestsOfEstate(estate)],
    seed: estate.seed,
    users: { 'LAB\\collector': 'Right-Passw0rd!' },
    log,
    guests: (name) => estateGuestView(estate, name),
  });
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
});

afterAll(async () => {
  await lab?.close();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
});

function access(creds: Array<{ name: string; password: string; thumbprint?: string; hostMap?: Record<string, string> }>) {
  const cfg = parseConfig({
    redis: { url: 'redis://127.0.0.1:6379/13', prefix },
    sources: [{ name: 'vc', kind: 'vcenter', url: 'https://127.0.0.1/sdk', username: 'u', password: { env: 'AC_TEST_WIN_GUEST_RIGHT' } }],
    guestCredentials: creds.map((c) => ({
      name: c.name,
      os: 'windows',
      username: 'LAB\\collector',
      password: { env: c.password },
      transport: 'https',
      httpsOnly: true,
      tls: { thumbprint: c.thumbprint ?? lab.certificateThumbprint },
      hostMap: c.hostMap ?? lab.guestHostMap(),
    })),
    dependencies: { enabled: true },
    software: { enabled: true },
  });
  return new GuestAccess(cfg, { log, store: new GuestAccessStore(redis, prefix), timeoutMs: 5000 });
}

const vm = (name: string) => {
  const v = estate.vms.find((x) => x.name === name);
  return machine('vc', `${name}-${randomBytes(2).toString('hex')}`, { ipAddresses: v?.ipAddresses ?? [] });
};

describe('guest access with Windows credentials', () => {
  it('reaches sql01 at its inventory IP with the right credential (after a wrong one) and reads its SQL Server instance', async () => {
    const a = access([
      { name: 'wrong', password: 'AC_TEST_WIN_GUEST_WRONG' },
      { name: 'right', password: 'AC_TEST_WIN_GUEST_RIGHT' },
    ]);
    const m = vm('sql01');
    const r = await a.reader(m);
    expect(r?.os).toBe('windows');
    const st = await new GuestAccessStore(redis, prefix).get(m.id);
    expect(st).toMatchObject({ credential: 'right', failure: null, ip: m.ipAddresses[0] });
    expect((await r?.software())?.sqlInstances.map((i) => i.name)).toEqual(['MSSQLSERVER']);
    await r?.close();
  });

  it('reports a wrong credential, a closed port and an untrusted certificate with their reasons', async () => {
    const store = new GuestAccessStore(redis, prefix);
    const wrong = vm('sql01');
    expect(await access([{ name: 'wrong', password: 'AC_TEST_WIN_GUEST_WRONG' }]).reader(wrong)).toBeNull();
    expect((await store.get(wrong.id))?.failure).toBe('wrong-credential');

    const ip = estate.vms.find((v) => v.name === 'sql01')?.ipAddresses[0] ?? '';
    const closed = vm('sql01');
    const hostMap = { [ip]: `127.0.0.1:${closedPort}` };
    expect(await access([{ name: 'right', password: 'AC_TEST_WIN_GUEST_RIGHT', hostMap }]).reader(closed)).toBeNull();
    expect((await store.get(closed.id))?.failure).toBe('port-closed');

    const before = lab.stats().sql01?.authentications ?? 0;
    const untrusted = vm('sql01');
    // A valid thumbprint of another certificate.
    const bad = lab.certificateThumbprint.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await access([{ name: 'right', password: 'AC_TEST_WIN_GUEST_RIGHT', thumbprint: bad }]).reader(untrusted)).toBeNull();
    expect((await store.get(untrusted.id))?.failure).toBe('host-key-unknown');
    expect(lab.stats().sql01?.authentications ?? 0).toBe(before);
  });
});
