// One failing host never delays the others: a black-holed host (accepts TCP, never speaks SSH) costs one
// handshake timeout and then fails at once while it backs off; a refused host fails at once; the good
// host's samples arrive without waiting for either. Refused credentials are held until the next discovery.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/log.js';
import { LinuxCollector } from '../../../collectors/linux/index.js';
import { linuxSource } from '../../../config/schema/physical.js';
import { buildEstate } from '../../../lab/estate.js';
import { newClientKey, startLinuxLab, type LinuxLab } from '../../../lab/linux/index.js';

const log = createLogger({ level: 'silent' });

describe('failing hosts do not delay the others', () => {
  let lab: LinuxLab;
  let hole: Server;
  const sockets: Socket[] = [];
  let holePort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'ac-fail-'));
  const key = newClientKey();

  beforeAll(async () => {
    const estate = buildEstate({
      servers: [
        { name: 'good', family: 'linux' },
        { name: 'off', family: 'linux', down: true },
      ],
    });
    lab = await startLinuxLab({ estate, users: [{ username: 'collector', publicKey: key.blob, password: 'right' }] });
    hole = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    holePort = (hole.address() as { port: number }).port;
    writeFileSync(join(dir, 'known_hosts'), lab.knownHosts());
    writeFileSync(join(dir, 'id'), key.pem, { mode: 0o600 });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hole.close(r));
    await lab.close();
  });

  it('the good host answers at once; the black hole times out once, then fails fast in back-off', async () => {
    const [good, off] = lab.endpoints;
    const cfg = linuxSource.parse({
      name: 'lnx',
      kind: 'linux',
      hosts: [`127.0.0.1:${holePort}`, off?.address, good?.address],
      username: 'collector',
      privateKey: { file: join(dir, 'id') },
      hostKeys: { file: join(dir, 'known_hosts') },
      timeoutSec: 5,
    });
    const c = new LinuxCollector(cfg, { log });
    try {
      const t0 = Date.now();
      const inv = await c.discover();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(4_500); // the black hole's handshake timeout
      expect(inv.machines.map((m) => m.name)).toEqual(['good']);
      expect(inv.source.errors.join('\n')).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${holePort}: inventory failed: .*no SSH handshake within 5 s`),
      );
      expect(inv.source.errors.join('\n')).toMatch(/connection refused/);

      let firstBatchAt = 0;
      const t1 = Date.now();
      const p1 = await c.poll(() => {
        firstBatchAt ||= Date.now() - t1;
      });
      expect(Date.now() - t1).toBeLessThan(1_000); // both failing hosts are in back-off: they fail at once
      expect(p1.errors.join('\n')).toMatch(/next attempt in \d+ s/);
      await new Promise((r) => setTimeout(r, 1_100));
      const t2 = Date.now();
      const p2 = await c.poll(() => {
        firstBatchAt = Date.now() - t2;
      });
      expect(p2.samples).toBeGreaterThan(0);
      expect(firstBatchAt).toBeLessThan(1_000);
    } finally {
      await c.close();
    }
  });

  it('refused credentials are not retried on polls, only by the next discovery', async () => {
    const [good] = lab.endpoints;
    process.env.AC_TEST_LINUX_PW = 'wrong';
    const cfg = linuxSource.parse({
      name: 'lnx',
      kind: 'linux',
      hosts: [good?.address],
      username: 'collector',
      password: { env: 'AC_TEST_LINUX_PW' },
      hostKeys: { file: join(dir, 'known_hosts') },
    });
    const c = new LinuxCollector(cfg, { log });
    try {
      await expect(c.discover()).rejects.toMatchObject({ code: 'SSH_AUTH' });
      const failures = Object.values(lab.stats())[0]?.authFailures ?? 0;
      await expect(c.poll(() => undefined)).rejects.toThrow(/not retried until the next discovery/);
      expect(Object.values(lab.stats())[0]?.authFailures).toBe(failures); // no new attempt reached the server
      process.env.AC_TEST_LINUX_PW = 'right';
      expect((await c.discover()).machines).toHaveLength(1);
    } finally {
      delete process.env.AC_TEST_LINUX_PW;
      await c.close();
    }
  });
});
