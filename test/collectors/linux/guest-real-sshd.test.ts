// The guest reader and the pollers against a real OpenSSH (Debian's sshd on 127.0.0.1, a throwaway user) reading
// this very machine: a TCP server and a client that reconnects to it, both run by the test as that user (so
// `ss -p` names them without root), become an hourly edge with the right port and process names, which is absent
// from the hours after the client stops; the software inventory equals dpkg-query read by the test.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestAccess } from '../../../appliance/guests/access.js';
import { GuestPollers } from '../../../appliance/guests/pollers.js';
import { LinuxCollector } from '../../../collectors/linux/index.js';
import { createLogger } from '../../../common/log.js';
import { parseConfig } from '../../../config/load.js';
import { linuxSource } from '../../../config/schema/physical.js';
import type { Machine } from '../../../model/index.js';
import { GuestAccessStore } from '../../../queue/guest-access-store.js';
import { SoftwareStore } from '../../../queue/software-store.js';
import { DependencyStore, HOUR_MS } from '../../../rollup/dependency-store.js';
import { deleteByPrefix } from '../../rollup/helpers.js';
import { canRunSshd, freePort, startSshd, type Sshd } from '../ssh/sshd-fixture.js';

const log = createLogger({ level: 'silent' });
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const CLIENT = `
import socket, sys, time
port = int(sys.argv[1])
while True:
    s = socket.create_connection(("127.0.0.1", port))
    time.sleep(1.5)
    s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
    while s.recv(65536):
        pass
    s.close()
`;

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (sh('ss', ['-tlnH', `sport = :${port}`]).trim()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe.skipIf(!canRunSshd)('Linux guest over a real OpenSSH: dependencies and software of this machine', () => {
  let d: Sshd;
  let machine: Machine;
  let server: ChildProcess;
  let client: ChildProcess;
  let httpPort = 0;
  const redis = new Redis('redis://127.0.0.1:6379/15', { maxRetriesPerRequest: 2 });
  const prefix = `t-i12-real-${process.pid}-${randomBytes(3).toString('hex')}`;
  let cfg: ReturnType<typeof parseConfig>;

  beforeAll(async () => {
    d = await startSshd();
    const kh = join(d.dir, 'known_hosts');
    writeFileSync(kh, `${d.knownHostsLine}\n`);
    const src = {
      name: 'real-linux',
      kind: 'linux',
      hosts: [`127.0.0.1:${d.port}`],
      username: d.user,
      privateKey: { file: d.userKeyFile },
      hostKeys: { file: kh },
      timeoutSec: 20,
      software: { enabled: true, intervalHours: 24 },
      dependencies: { enabled: true, pollIntervalSec: 300 },
    };
    cfg = parseConfig({ redis: { url: 'redis://127.0.0.1:6379/15', prefix }, sources: [src] });
    const c = new LinuxCollector(linuxSource.parse(src), { log });
    try {
      machine = (await c.discover()).machines[0] as Machine;
    } finally {
      await c.close();
    }
    const uid = Number(sh('id', ['-u', d.user]).trim());
    const gid = Number(sh('id', ['-g', d.user]).trim());
    httpPort = await freePort();
    server = spawn('/usr/bin/python3', ['-m', 'http.server', String(httpPort), '--bind', '127.0.0.1'], {
      uid,
      gid,
      cwd: '/tmp',
      stdio: 'ignore',
    });
    await waitListening(httpPort);
    // Another executable name than the server's, so source and destination processes are told apart.
    client = spawn('/usr/bin/python3.11', ['-c', CLIENT, String(httpPort)], { uid, gid, cwd: '/tmp', stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
  }, 60_000);

  afterAll(async () => {
    client?.kill('SIGKILL');
    server?.kill('SIGKILL');
    await d?.stop();
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it('the client -> server edge appears with its port and process names, and is absent from the hours after it stops', async () => {
    const comm = (pid: number | undefined) => sh('ps', ['-o', 'comm=', '-p', String(pid)]).trim();
    const serverName = comm(server.pid);
    const clientName = comm(client.pid);
    expect(serverName).not.toBe(clientName);
    const H0 = Date.UTC(2026, 11, 6, 10);
    let now = H0;
    const store = new GuestAccessStore(redis, prefix);
    const access = new GuestAccess(cfg, { log, store, clock: () => now, timeoutMs: 20_000 });
    const deps = new DependencyStore(redis, prefix);
    const pollers = new GuestPollers(cfg, {
      log,
      access,
      inventory: { machines: async () => [machine] },
      software: new SoftwareStore(redis, prefix),
      dependencies: deps,
      clock: () => now,
    });
    try {
      for (let i = 0; i < 3; i++) {
        now = H0 + i * 300_000;
        expect(await pollers.pollDependencies()).toMatchObject({ read: i + 1, unreachable: 0, failed: 0 });
      }
      expect(await store.get(machine.id)).toMatchObject({ credential: 'source:real-linux', failure: null });
      const first = (await deps.edges(H0, H0 + HOUR_MS)).filter((e) => e.destinationPort === httpPort);
      expect(first).toEqual([
        {
          hour: H0,
          sourceMachine: machine.id,
          sourceIp: '127.0.0.1',
          sourceProcess: clientName,
          sourceApplication: null,
          destinationMachine: machine.id,
          destinationIp: '127.0.0.1',
          destinationPort: httpPort,
          destinationProcess: serverName,
          destinationApplication: null,
          firstSeen: H0,
          lastSeen: H0 + 600_000,
          polls: 3,
        },
      ]);
      // The client stops; the next hour's polls no longer see it (the server still listens).
      client.kill('SIGKILL');
      await new Promise((r) => client.once('exit', r));
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 3; i++) {
        now = H0 + HOUR_MS + i * 300_000;
        await pollers.pollDependencies();
      }
      expect(pollers.dependencyStats).toMatchObject({ read: 6, failed: 0 });
      const later = (await deps.edges(H0 + HOUR_MS, H0 + 2 * HOUR_MS)).filter((e) => e.destinationPort === httpPort);
      expect(later).toEqual([]);
      // The earlier hour keeps its edge.
      expect((await deps.edges(H0, H0 + 2 * HOUR_MS)).filter((e) => e.destinationPort === httpPort)).toHaveLength(1);
    } finally {
      await access.closeAll();
    }
  }, 60_000);

  it('software equals dpkg-query read by the test, package by package, and notes say what is absent and what root would add', async () => {
    const access = new GuestAccess(cfg, { log, store: new GuestAccessStore(redis, prefix), timeoutMs: 20_000 });
    const software = new SoftwareStore(redis, prefix);
    const pollers = new GuestPollers(cfg, {
      log,
      access,
      inventory: { machines: async () => [machine] },
      software,
      dependencies: new DependencyStore(redis, prefix),
    });
    try {
      expect(await pollers.pollSoftware()).toMatchObject({ read: 1 });
      const inv = await software.get(machine.id);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
      const expected = sh('dpkg-query', ['-W', '-f', '${Package} ${Version}\n']).split('\n').filter(Boolean).sort();
      const got = (inv?.applications ?? [])
        .filter((a) => a.source === 'dpkg')
        .map((a) => `${a.name} ${a.version ?? ''}`)
        .sort();
      expect(got.length).toBeGreaterThan(50);
      expect(got).toEqual(expected);
      expect(inv?.os).toBe('linux');
      expect(inv?.notes).toEqual(expect.arrayContaining(['rpm: not installed', 'snap: not installed']));
      const reader = await access.reader(machine);
      const s = await reader?.sockets();
      expect(s?.notes.join('\n')).toContain("root would add process names for other users' sockets");
      // A socket of another user (sshd itself, root's) is listed without a process.
      expect(s?.sockets.some((x) => x.state === 'listen' && x.localPort === d.port && x.process === null)).toBe(true);
    } finally {
      await access.closeAll();
    }
  }, 60_000);
});
