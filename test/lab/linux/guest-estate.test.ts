// The lab's Linux guests answer the Linux guest reader from the sample estate's applications: its packages are
// the base set of the distribution plus its tiers' software, its sockets are lab/guest-world.ts's at the lab's
// time, seen as a non-root account sees them (root's sshd without a process). Linux VMs are served as guests too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLinuxGuest } from '../../../collectors/linux/guest-reader.js';
import { createLogger } from '../../../common/log.js';
import { Secret } from '../../../common/secret-value.js';
import { loadEstate, type Estate } from '../../../lab/estate.js';
import { guestProcesses, guestSockets, guestSoftware } from '../../../lab/guest-world.js';
import { startLinuxLab, type LinuxLab } from '../../../lab/linux/index.js';

const log = createLogger({ level: 'silent' });
let now = Date.UTC(2026, 11, 6, 11, 0, 0);
let estate: Estate;
let lab: LinuxLab;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'linux-guests-'));
  estate = loadEstate('lab/estates/sample.yaml');
  lab = await startLinuxLab({ estate, users: [{ username: 'collector', password: 'pw' }], clock: () => now, log, vmGuests: true });
  writeFileSync(join(dir, 'known_hosts'), lab.knownHosts());
});

afterAll(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function reader(name: string) {
  const ep = lab.endpoints.find((e) => e.name === name);
  if (!ep) throw new Error(`no lab endpoint ${name}`);
  return await openLinuxGuest(
    { host: '127.0.0.1', port: ep.port },
    { name: 'lab', username: 'collector', hostKeys: { file: join(dir, 'known_hosts') } },
    { log, timeoutMs: 10_000, credentials: { username: 'collector', password: new Secret('pw') } },
  );
}

describe('Linux guests of the sample estate', () => {
  it('serves the Linux VMs that are not servers as guests, at their inventory IPs', () => {
    const hv = estate.vms.find((v) => v.name === 'hv:app 02');
    expect(lab.endpoints.map((e) => e.name)).toEqual(expect.arrayContaining(['lnx-web01', 'lnx-db01', 'lnx-app01', 'hv:app 02']));
    expect(lab.endpoints.find((e) => e.name === 'hv:app 02')?.sim.server.ipAddresses).toEqual(hv?.ipAddresses);
  });

  for (const [name, source] of [
    ['lnx-db01', 'rpm'],
    ['lnx-web01', 'dpkg'],
    ['hv:app 02', 'dpkg'],
  ] as const) {
    it(`${name}: packages and sockets equal the estate's, item by item`, async () => {
      const r = await reader(name);
      try {
        const sw = await r.software();
        const truth = guestSoftware(estate, name);
        expect(sw.applications.filter((a) => a.source !== 'snap')).toEqual(
          truth.applications.map((a) => ({ name: a.name, version: a.version, publisher: a.publisher, source })),
        );
        expect(sw.applications.filter((a) => a.source === 'snap').map((a) => a.name)).toEqual(truth.snaps.map((s) => s.name));
        const { sockets } = await r.sockets();
        const procs = new Map(guestProcesses(estate, name).map((p) => [p.pid, p]));
        const expected = guestSockets(estate, name, now).map((s) => {
          const p = procs.get(s.pid);
          const visible = p && p.pid !== 1 && p.name !== 'sshd' && p.name !== 'systemd';
          return {
            state: s.state,
            localIp: s.localIp,
            localPort: s.localPort,
            remoteIp: s.remoteIp,
            remotePort: s.remotePort,
            process: visible ? { pid: p.pid, name: p.name, path: p.path, args: [p.path, p.args].filter((x) => x).join(' ') } : null,
          };
        });
        expect(sockets).toEqual(expected);
      } finally {
        await r.close();
      }
    });
  }

  it('lnx-app01 (VM app01): java calls postgres on lnx-db01; the ephemeral port moves with the 5-minute slot', async () => {
    const r = await reader('lnx-app01');
    try {
      const db = estate.servers.find((s) => s.name === 'lnx-db01')?.ipAddresses[0];
      const first = (await r.sockets()).sockets.filter((s) => s.state === 'established' && s.remotePort === 5432);
      expect(first.map((s) => [s.process?.name, s.remoteIp])).toEqual([['java', db]]);
      now += 300_000;
      const second = (await r.sockets()).sockets.filter((s) => s.state === 'established' && s.remotePort === 5432);
      expect(second[0]?.localPort).not.toBe(first[0]?.localPort);
    } finally {
      await r.close();
    }
  });
});
