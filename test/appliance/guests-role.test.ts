// The guests role of `collector run`: started with the inventory in Redis, it reads software and connection
// snapshots of the enabled machines on its own; per-source settings override the global ones.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencyTickSec, guestSettingsOf, softwareEnabled } from '../../appliance/guests/pollers.js';
import { GuestsRole } from '../../appliance/guests/role.js';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../config/load.js';
import { buildEstate } from '../../lab/estate.js';
import { startLinuxLab } from '../../lab/linux/index.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { deleteByPrefix } from '../rollup/helpers.js';
import { machine, summary } from './fixtures.js';

const redis = new Redis('redis://127.0.0.1:6379/15', { maxRetriesPerRequest: 2 });
const prefix = `t-i12-role-${process.pid}-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'ac-role-'));
process.env.AC_TEST_ROLE_PW = 'pw';
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const vc = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'vcenter',
  url: 'https://127.0.0.1/sdk',
  username: 'u',
  password: { env: 'AC_TEST_ROLE_PW' },
  ...extra,
});

describe('guest settings', () => {
  it('per source over global; the dependency tick is the shortest enabled interval', () => {
    const cfg = parseConfig({
      sources: [vc('a'), vc('b', { dependencies: { enabled: true, pollIntervalSec: 120 } }), vc('c', { software: { enabled: false } })],
      dependencies: { enabled: true, pollIntervalSec: 600 },
      software: { enabled: true, intervalHours: 12 },
    });
    expect(guestSettingsOf(cfg, 'a')).toEqual({
      software: { enabled: true, intervalHours: 12 },
      dependencies: { enabled: true, pollIntervalSec: 600 },
    });
    expect(guestSettingsOf(cfg, 'b').dependencies.pollIntervalSec).toBe(120);
    expect(guestSettingsOf(cfg, 'c').software.enabled).toBe(false);
    expect(dependencyTickSec(cfg)).toBe(120);
    const off = parseConfig({ sources: [vc('a')] });
    expect(dependencyTickSec(off)).toBeNull();
    expect(softwareEnabled(off)).toBe(false);
  });
});

describe('the guests role', () => {
  it('reads the enabled machines of the inventory on its own and stops cleanly', async () => {
    const lab = await startLinuxLab({
      estate: buildEstate({ servers: [{ name: 'app1', family: 'linux' }] }),
      users: [{ username: 'c', password: 'pw' }],
    });
    try {
      writeFileSync(join(dir, 'kh'), lab.knownHosts());
      const port = lab.endpoints[0]?.port ?? 0;
      const cfg = parseConfig({
        redis: { url: 'redis://127.0.0.1:6379/15', prefix },
        sources: [vc('vc')],
        guestCredentials: [
          { name: 'l', os: 'linux', username: 'c', password: { env: 'AC_TEST_ROLE_PW' }, hostKeys: { file: join(dir, 'kh') } },
        ],
        dependencies: { enabled: true },
        software: { enabled: true },
      });
      const app1 = machine('vc', 'app1', { os: { name: 'Ubuntu Linux (64-bit)', id: 'ubuntu64Guest' }, ipAddresses: ['10.9.9.9'] });
      await new InventoryStore(redis, prefix).save(summary('vc', 1), [app1]);
      const role = new GuestsRole(cfg, {
        log: createLogger({ level: 'silent' }),
        redis,
        startDelayMs: 0,
        access: { targets: () => [{ host: '127.0.0.1', port }] },
      });
      await role.start();
      for (let i = 0; i < 100 && !((await role.software.get(app1.id)) && role.pollers.dependencyStats.read > 0); i++)
        await new Promise((r) => setTimeout(r, 100));
      await role.stop();
      expect((await role.software.get(app1.id))?.applications.length).toBeGreaterThan(300);
      expect(role.pollers.dependencyStats).toMatchObject({ read: 1, failed: 0 });
      expect(await role.accessStore.list()).toEqual([expect.objectContaining({ machine: app1.id, credential: 'l', failure: null })]);
      expect(role.access.isOpen(app1.id)).toBe(false);
    } finally {
      await lab.close();
    }
  });
});
