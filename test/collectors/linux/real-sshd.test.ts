// The Linux collector against a real OpenSSH (Debian's sshd on 127.0.0.1) reading this very machine:
// inventory equals independent readings field by field; samples under a load the test controls agree with
// what the test did and with /proc read independently. Tolerances are stated at each assertion.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/log.js';
import { linuxSource } from '../../../config/schema/physical.js';
import { LinuxCollector } from '../../../collectors/linux/index.js';
import { parseOsRelease } from '../../../collectors/linux/inventory.js';
import type { Machine, Sample } from '../../../model/index.js';
import { canRunSshd, startSshd, type Sshd } from '../ssh/sshd-fixture.js';

const log = createLogger({ level: 'silent' });
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

function collector(d: Sshd, extra: Record<string, unknown> = {}): LinuxCollector {
  const khFile = join(d.dir, 'known_hosts');
  if (!existsSync(khFile)) writeFileSync(khFile, `${d.knownHostsLine}\n`);
  const cfg = linuxSource.parse({
    name: 'real-linux',
    kind: 'linux',
    hosts: [`127.0.0.1:${d.port}`],
    username: d.user,
    privateKey: { file: d.userKeyFile },
    hostKeys: { file: khFile },
    timeoutSec: 20,
    ...extra,
  });
  return new LinuxCollector(cfg, { log });
}

/** Independent counters, read by the test itself. */
function procNow() {
  const stat = readFileSync('/proc/stat', 'utf8');
  const cpu = (stat.split('\n').find((l) => l.startsWith('cpu ')) ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const disk = new Map<string, number[]>();
  for (const l of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f[2]) disk.set(f[2], f.slice(3).map(Number));
  }
  const net = new Map<string, { rx: number; tx: number }>();
  for (const l of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
    const [name, rest] = l.split(':');
    const f = (rest ?? '').trim().split(/\s+/).map(Number);
    if (name) net.set(name.trim(), { rx: f[0] ?? 0, tx: f[8] ?? 0 });
  }
  return { uptime: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]), total, idle, disk, net };
}

const value = (samples: Sample[], metric: string, instance = '') =>
  samples.find((s) => s.metric === metric && s.instance === instance)?.value;

describe.skipIf(!canRunSshd)('Linux collector over a real OpenSSH, reading this machine', () => {
  let d: Sshd;
  let inv: Machine;

  beforeAll(async () => {
    d = await startSshd();
    const c = collector(d);
    try {
      const r = await c.discover();
      expect(r.source.errors).toEqual([]);
      expect(r.machines).toHaveLength(1);
      inv = r.machines[0] as Machine;
    } finally {
      await c.close();
    }
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('inventory: identity, OS, CPU, memory, firmware equal independent readings', () => {
    const osr = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
    expect(inv.kind).toBe('physical');
    expect(inv.os).toEqual({
      name: osr.PRETTY_NAME,
      id: osr.ID,
      version: osr.VERSION_ID ?? null,
      architecture: sh('uname', ['-m']).trim() === 'x86_64' ? 'x64' : null,
      family: 'linux',
    });
    expect(inv.cpuCores).toBe(Number(sh('nproc', ['--all']).trim()));
    const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    expect(inv.memoryMB).toBe(Math.round(memKb / 1024));
    expect(inv.firmware).toBe(existsSync('/sys/firmware/efi') ? 'uefi' : 'bios');
    const fqdn = sh('hostname', ['-f']).trim();
    expect(inv.name).toBe(fqdn.split('.')[0]);
    expect(inv.fqdn).toBe(fqdn.includes('.') ? fqdn : null);
    // Identity: the SMBIOS UUID when this machine has one (readable without root), else /etc/machine-id, said so.
    if (existsSync('/sys/class/dmi/id/product_uuid')) {
      const uuid = readFileSync('/sys/class/dmi/id/product_uuid', 'utf8').trim().toLowerCase();
      expect(inv.id).toBe(`physical:bios:${uuid}`);
      expect(inv.biosUuid).toBe(uuid);
    } else {
      const mid = readFileSync('/etc/machine-id', 'utf8').trim();
      expect(inv.id).toBe(`physical:machine-id:${mid}`);
      expect(inv.biosUuid).toBeNull();
      expect(inv.unavailable?.biosUuid).toMatch(/not present.*machine-id/);
    }
    // product_serial is root-only (0400) where it exists; the throwaway user is not root.
    expect(inv.biosSerial).toBeNull();
    expect(inv.unavailable?.biosSerial).toMatch(existsSync('/sys/class/dmi/id/product_serial') ? /needs root/ : /not present/);
    expect(inv.seenBy).toEqual(['real-linux']);
  });

  it('inventory: whole disks equal lsblk -J -b (type disk, RAM disks excluded), and the boot disk holds /', () => {
    const doc = JSON.parse(sh('lsblk', ['-J', '-b', '-d', '-o', 'NAME,SIZE,MODEL,TYPE'])) as {
      blockdevices: Array<{ name: string; size: number; model: string | null; type: string }>;
    };
    const expected = doc.blockdevices
      .filter((b) => b.type === 'disk' && !/^(zram|ram)\d+$/.test(b.name))
      .map((b) => ({ id: b.name, label: b.name, capacityBytes: Number(b.size), model: b.model?.trim() || null }));
    expect(inv.disks).toEqual(expected);
    const rootSrc = sh('findmnt', ['-n', '-v', '-o', 'SOURCE', '/']).trim();
    const parents = JSON.stringify(JSON.parse(sh('lsblk', ['-J', '-s', '-o', 'NAME,TYPE', rootSrc])));
    const rootDisk = /"name":\s*"([^"]+)",\s*"type":\s*"disk"/.exec(parents)?.[1] ?? null;
    expect(inv.bootDisk).toBe(rootDisk);
  });

  it('inventory: NICs equal ip -j addr without loopback and /sys/devices/virtual/net', () => {
    const links = JSON.parse(sh('ip', ['-j', 'addr'])) as Array<{
      ifname: string;
      link_type: string;
      address: string;
      addr_info: Array<{ local: string }>;
    }>;
    const virtual = new Set(sh('ls', ['-1', '/sys/devices/virtual/net']).split('\n').filter(Boolean));
    const expected = links
      .filter((l) => l.link_type !== 'loopback' && !virtual.has(l.ifname))
      .map((l) => ({
        id: l.ifname,
        label: l.ifname,
        mac: l.link_type === 'ether' ? l.address.toLowerCase() : null,
        ipAddresses: l.addr_info.map((a) => a.local),
      }));
    expect(inv.nics).toEqual(expected);
    expect(inv.ipAddresses).toEqual([...new Set(expected.flatMap((n) => n.ipAddresses))]);
  });

  it('samples under a known load agree with the load and with /proc read independently', async () => {
    // lo is loopback (excluded by default): include it by name to measure the bytes the test sends.
    const c = collector(d, { includeNics: ['lo'] });
    const got: Sample[] = [];
    const file = join(d.dir, 'written.bin');
    try {
      const first = await c.poll((b) => void got.push(...b));
      expect(first.samples).toBe(0); // the first reading only primes
      const a = procNow();

      // 1. CPU: a busy loop in a child process for a known 2 s of CPU time.
      const busyMs = 2000;
      await new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, [
          '-e',
          `const e=process.cpuUsage();while(true){const u=process.cpuUsage(e);if(u.user+u.system>=${busyMs * 1000})break}`,
        ]);
        p.once('exit', () => resolve());
        p.once('error', reject);
      });
      // 2. Disk: 64 MiB written to a file on the root disk, fsync'd.
      const diskBytes = 64 * 1024 * 1024;
      const fd = openSync(file, 'w');
      const chunk = Buffer.alloc(1024 * 1024, 0x5a);
      for (let i = 0; i < diskBytes / chunk.length; i++) writeSync(fd, chunk);
      fsyncSync(fd);
      closeSync(fd);
      // 3. Network: 32 MiB over loopback TCP.
      const netBytes = 32 * 1024 * 1024;
      await new Promise<void>((resolve, reject) => {
        let received = 0;
        const srv = createServer((sock) => {
          sock.on('data', (b: Buffer) => {
            received += b.length;
            if (received >= netBytes) {
              sock.end();
              srv.close(() => resolve());
            }
          });
        });
        srv.listen(0, '127.0.0.1', () => {
          const port = (srv.address() as { port: number }).port;
          const s = connect(port, '127.0.0.1', () => {
            const buf = Buffer.alloc(1024 * 1024, 1);
            for (let i = 0; i < netBytes / buf.length; i++) s.write(buf);
            s.end();
          });
          s.on('error', reject);
        });
      });
      await new Promise((r) => setTimeout(r, 1500));
      const b = procNow();
      const second = await c.poll((batch) => void got.push(...batch));
      expect(second.errors).toEqual([]);
      const dt = b.uptime - a.uptime;
      const cores = Number(sh('nproc', ['--all']).trim());

      // CPU: at least the busy loop's share (others on this shared machine only add), and within 5 points of
      // the test's own /proc/stat delta (the windows differ by the poll's round trip only).
      const cpu = value(got, 'cpu.usage.percent');
      expect(cpu).toBeDefined();
      const independentCpu = (100 * (b.total - a.total - (b.idle - a.idle))) / (b.total - a.total);
      expect(cpu ?? 0).toBeGreaterThanOrEqual((busyMs / 1000 / (dt * cores)) * 100 * 0.9);
      expect(Math.abs((cpu ?? 0) - independentCpu)).toBeLessThan(5);

      // Memory: MemTotal - MemAvailable, an instantaneous value; within 3 points of a reading right after.
      const mi = readFileSync('/proc/meminfo', 'utf8');
      const memTotal = Number(/MemTotal:\s+(\d+)/.exec(mi)?.[1]);
      const memAvail = Number(/MemAvailable:\s+(\d+)/.exec(mi)?.[1]);
      expect(Math.abs((value(got, 'memory.usage.percent') ?? -100) - (100 * (memTotal - memAvail)) / memTotal)).toBeLessThan(3);

      // Disk: written bytes >= what the test wrote (journal and others add), and within 10 % + 16 MiB of the
      // independent /proc/diskstats delta (sectors x 512).
      const boot = inv.bootDisk ?? '';
      const wRate = value(got, 'disk.write.bytesPerSec', boot) ?? 0;
      const ds = (b.disk.get(boot)?.[6] ?? 0) - (a.disk.get(boot)?.[6] ?? 0);
      expect(wRate * dt).toBeGreaterThanOrEqual(diskBytes * 0.95);
      expect(Math.abs(wRate * dt - ds * 512)).toBeLessThan(ds * 512 * 0.1 + 16 * 1024 * 1024);
      expect(value(got, 'disk.write.opsPerSec', boot) ?? 0).toBeGreaterThan(0);
      expect(value(got, 'disk.read.bytesPerSec', boot)).toBeDefined();

      // Network over lo: each byte is both sent and received there; >= what the test sent, and within
      // 10 % + 4 MiB of the independent /proc/net/dev delta (the collector's own SSH traffic is on lo too, and
      // this machine is shared: others' loopback traffic in the few ms where the two windows differ).
      const rx = (value(got, 'net.received.bytesPerSec', 'lo') ?? 0) * dt;
      const tx = (value(got, 'net.transmitted.bytesPerSec', 'lo') ?? 0) * dt;
      const lo = {
        rx: (b.net.get('lo')?.rx ?? 0) - (a.net.get('lo')?.rx ?? 0),
        tx: (b.net.get('lo')?.tx ?? 0) - (a.net.get('lo')?.tx ?? 0),
      };
      expect(rx).toBeGreaterThanOrEqual(netBytes * 0.98);
      expect(tx).toBeGreaterThanOrEqual(netBytes * 0.98);
      expect(Math.abs(rx - lo.rx)).toBeLessThan(lo.rx * 0.1 + 4 * 1024 * 1024);
      expect(Math.abs(tx - lo.tx)).toBeLessThan(lo.tx * 0.1 + 4 * 1024 * 1024);

      // Only whole disks and reported NICs: never partitions, dm, loop.
      const instances = new Set(got.filter((s) => s.metric.startsWith('disk.')).map((s) => s.instance));
      expect([...instances].sort()).toEqual(inv.disks.map((x) => x.id).sort());
      for (const s of got) expect(s.machine).toBe(inv.id);
      // One connection served both polls.
      expect(c.sessions[0]?.connects).toBe(1);
    } finally {
      await c.close();
      rmSync(file, { force: true });
    }
  });
});
