// What a simulated Linux server answers: procfs text whose counters integrate the estate workload
// (lab/workload.ts) slot by slot since the lab started, so rates between two readings equal the workload
// of the 30-s slots in between; and the inventory sections from the estate's description of the server.
import type { EstateServer, WorkloadKey, WorkloadSeries } from '../estate.js';
import { hash32, workloadValue } from '../workload.js';
import { LAB_MARKER } from './commands.js';

export const SLOT_SEC = 30;
const TWO64 = 2n ** 64n;

/** The workload key of a server series: hash32("seed|server|series|instance"); instance is "" or the disk/NIC name. */
export function serverSeriesKey(seed: number, server: string, series: WorkloadKey, instance = ''): number {
  return hash32(`${seed}|${server}|${series}|${instance}`);
}

/** Integral of a series over [from, t) in centi-unit milliseconds (value x 100 x ms), advanced incrementally. */
class Integrator {
  private at: number;
  private cum = 0n;
  constructor(
    private readonly spec: WorkloadSeries,
    private readonly key: number,
    private readonly percent: boolean,
    private readonly from: number,
  ) {
    this.at = from;
  }
  value(t: number): bigint {
    if (t <= this.from) return 0n;
    if (t < this.at) {
      // A clock moved backwards (tests): start over.
      this.at = this.from;
      this.cum = 0n;
    }
    const slotMs = SLOT_SEC * 1000;
    const centi = (slotStart: number) => BigInt(Math.round(workloadValue(this.spec, this.key, slotStart, SLOT_SEC, this.percent) * 100));
    for (;;) {
      const slotStart = Math.floor(this.at / slotMs) * slotMs;
      const slotEnd = slotStart + slotMs;
      if (slotEnd > t) break;
      this.cum += centi(slotStart) * BigInt(slotEnd - this.at);
      this.at = slotEnd;
    }
    return this.cum + centi(Math.floor(this.at / slotMs) * slotMs) * BigInt(t - this.at);
  }
}

function osId(name: string): string {
  const n = name.toLowerCase();
  if (n.includes('red hat')) return 'rhel';
  if (n.includes('suse')) return 'sles';
  if (n.includes('oracle')) return 'ol';
  if (n.includes('amazon')) return 'amzn';
  return n.split(/\s+/)[0]?.replace(/[^a-z0-9]/g, '') || 'linux';
}

export class SimLinuxServer {
  readonly bootMs: number;
  private readonly integ = new Map<string, Integrator>();
  private readonly offsets = new Map<string, bigint>();

  constructor(
    readonly seed: number,
    readonly server: EstateServer,
    /** When the lab started: counters integrate the workload from here. */
    readonly startMs: number,
  ) {
    // Booted 1 to 48 hours before the lab started, on a whole second (so uptime deltas are exact).
    this.bootMs = Math.floor(startMs / 1000) * 1000 - (1 + (hash32(`${seed}|${server.name}|boot`) % 48)) * 3_600_000;
  }

  private series(series: WorkloadKey, instance: string, percent: boolean): Integrator {
    const id = `${series}|${instance}`;
    let i = this.integ.get(id);
    if (!i) {
      i = new Integrator(
        this.server.workload[series],
        serverSeriesKey(this.seed, this.server.name, series, instance),
        percent,
        this.startMs,
      );
      this.integ.set(id, i);
    }
    return i;
  }

  /** Counter = offset (what accrued before the lab started) + integral of the rate; wraps at 2^64. */
  private counter(series: WorkloadKey, instance: string, t: number, divisor: bigint): bigint {
    const id = `${series}|${instance}`;
    let off = this.offsets.get(id);
    if (off === undefined) {
      off = BigInt(hash32(`${this.seed}|${this.server.name}|${id}|offset`)) * 1024n;
      // Every third server's first NIC starts just below 2^64, so its received-bytes counter wraps in the lab.
      if (series === 'netReceivedBytesPerSec' && instance === this.server.nics[0]?.name && this.server.index % 3 === 2)
        off = TWO64 - 2n ** 30n;
      this.offsets.set(id, off);
    }
    return (off + this.series(series, instance, false).value(t) / 100_000n / divisor) % TWO64;
  }

  /** The workload's value for the slot holding t (what a reading at t reports for instantaneous metrics). */
  valueAt(series: WorkloadKey, instance: string, t: number): number {
    const slotMs = SLOT_SEC * 1000;
    return workloadValue(
      this.server.workload[series],
      serverSeriesKey(this.seed, this.server.name, series, instance),
      Math.floor(t / slotMs) * slotMs,
      SLOT_SEC,
      series === 'cpu' || series === 'memory',
    );
  }

  perfText(t: number): string {
    const s = this.server;
    const cpus = BigInt(s.cpus);
    const centis = BigInt(Math.floor((t - this.bootMs) / 10));
    const total = centis * cpus; // USER_HZ = 100: one tick per 10 ms per CPU
    const before = ((BigInt(this.startMs - this.bootMs) / 10n) * cpus) / 5n; // 20 % busy before the lab started
    // cpu integral: centi-percent x ms -> ticks: / 100 (centi) / 100 (percent) / 10 (ms per tick), per CPU.
    const busy = before + (this.series('cpu', '', true).value(t) * cpus) / 100_000n;
    const idle = total - busy;
    const user = (busy * 3n) / 4n;
    const system = busy - user;
    const perCpu = (v: bigint, i: number) => v / cpus + (BigInt(i) < v % cpus ? 1n : 0n);
    const statLines = [`cpu  ${user} 0 ${system} ${idle} 0 0 0 0 0 0`];
    for (let i = 0; i < s.cpus; i++) statLines.push(`cpu${i} ${perCpu(user, i)} 0 ${perCpu(system, i)} ${perCpu(idle, i)} 0 0 0 0 0 0`);
    statLines.push(
      `intr ${busy * 7n} 0`,
      `ctxt ${busy * 13n}`,
      `btime ${Math.floor(this.bootMs / 1000)}`,
      `processes ${1000 + Number(busy % 100000n)}`,
      'procs_running 1',
      'procs_blocked 0',
      'softirq 0 0 0 0 0 0 0 0 0 0 0',
    );

    const memTotal = s.memoryMB * 1024;
    const used = this.valueAt('memory', '', t);
    const avail = Math.round(memTotal * (1 - used / 100));
    const meminfo = [
      `MemTotal:       ${memTotal} kB`,
      `MemFree:        ${Math.round(avail * 0.4)} kB`,
      `MemAvailable:   ${avail} kB`,
      `Buffers:        ${Math.round(avail * 0.05)} kB`,
      `Cached:         ${Math.round(avail * 0.5)} kB`,
      'SwapCached:            0 kB',
      `SwapTotal:      ${2 * 1024 * 1024} kB`,
      `SwapFree:       ${2 * 1024 * 1024} kB`,
    ];

    const disk = (major: number, minor: number, name: string, r: bigint, rs: bigint, w: bigint, ws: bigint) =>
      `${String(major).padStart(4)} ${String(minor).padStart(7)} ${name} ${r} 0 ${rs} ${r / 2n} ${w} 0 ${ws} ${w / 2n} 0 ${(r + w) / 3n} ${(r + w) / 2n} 0 0 0 0 0 0`;
    const diskLines: string[] = [];
    s.disks.forEach((d, i) => {
      const r = this.counter('diskReadOpsPerSec', d.name, t, 1n);
      const rs = this.counter('diskReadBytesPerSec', d.name, t, 512n);
      const w = this.counter('diskWriteOpsPerSec', d.name, t, 1n);
      const ws = this.counter('diskWriteBytesPerSec', d.name, t, 512n);
      diskLines.push(disk(8, i * 16, d.name, r, rs, w, ws));
      // Partitions count their I/O again (the kernel accounts both): the collector must not add them up.
      diskLines.push(disk(8, i * 16 + 1, `${d.name}1`, 40n, 320n, 2n, 16n));
      diskLines.push(disk(8, i * 16 + 2, `${d.name}2`, r, rs, w, ws));
      if (i === 0) diskLines.push(disk(253, 0, 'dm-0', r, rs, w, ws));
    });
    diskLines.push(disk(7, 0, 'loop0', 57n, 2280n, 0n, 0n), disk(11, 0, 'sr0', 0n, 0n, 0n, 0n));

    const net = (name: string, rx: bigint, tx: bigint) =>
      `${name.padStart(6)}: ${rx} ${rx / 1000n} 0 0 0 0 0 0 ${tx} ${tx / 1000n} 0 0 0 0 0 0`;
    const loBytes = BigInt(Math.floor((t - this.bootMs) / 1000)) * 300n;
    const netLines = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      net('lo', loBytes, loBytes),
      ...s.nics.map((n) =>
        net(n.name, this.counter('netReceivedBytesPerSec', n.name, t, 1n), this.counter('netTransmittedBytesPerSec', n.name, t, 1n)),
      ),
      net('docker0', 123456n, 654321n),
    ];
    const uptime = Number(centis) / 100;
    const sec = (name: string, body: string[]) => `${LAB_MARKER}${name}\n${body.join('\n')}\n`;
    return (
      sec('uptime', [`${uptime.toFixed(2)} ${((Number(idle) / 100) | 0).toFixed(2)}`]) +
      sec('stat', statLines) +
      sec('meminfo', meminfo) +
      sec('diskstats', diskLines) +
      sec('net-dev', netLines) +
      `${LAB_MARKER}end\n`
    );
  }

  inventoryText(): string {
    const s = this.server;
    const os = s.os;
    const id = osId(os.name);
    const sec = (name: string, body: string) => `${LAB_MARKER}${name}\n${body}\n`;
    const lsblk = {
      blockdevices: [
        ...s.disks.map((d) => ({ name: d.name, size: d.capacityBytes, model: d.model, type: 'disk', rota: !/ssd|nvme/i.test(d.model) })),
        { name: 'sr0', size: 1073741312, model: 'QEMU DVD-ROM', type: 'rom', rota: true },
        { name: 'loop0', size: 67108864, model: null, type: 'loop', rota: false },
      ],
    };
    const ip = [
      {
        ifindex: 1,
        ifname: 'lo',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        mtu: 65536,
        operstate: 'UNKNOWN',
        link_type: 'loopback',
        address: '00:00:00:00:00:00',
        broadcast: '00:00:00:00:00:00',
        addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }],
      },
      ...s.nics.map((n, i) => ({
        ifindex: 2 + i,
        ifname: n.name,
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu: 1500,
        operstate: 'UP',
        link_type: 'ether',
        address: n.mac,
        broadcast: 'ff:ff:ff:ff:ff:ff',
        addr_info: n.ipAddresses.map((a) =>
          a.includes(':')
            ? { family: 'inet6', local: a, prefixlen: 64, scope: 'global' }
            : { family: 'inet', local: a, prefixlen: 24, scope: 'global', label: n.name },
        ),
      })),
      {
        ifindex: 2 + s.nics.length,
        ifname: 'docker0',
        flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
        mtu: 1500,
        operstate: 'DOWN',
        link_type: 'ether',
        address: '02:42:ac:11:00:01',
        addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16, scope: 'global', label: 'docker0' }],
      },
    ];
    const boot = s.disks[0]?.name ?? 'sda';
    const root = { blockdevices: [{ name: `${boot}2`, type: 'part', children: [{ name: boot, type: 'disk' }] }] };
    // product_uuid readable (as with a udev rule granting it); product_serial root-only on every other server.
    const serial = s.index % 2 === 0 ? s.biosSerial : 'cat: /sys/class/dmi/id/product_serial: Permission denied';
    return (
      sec(
        'os-release',
        [
          `NAME="${os.name.replace(/\s+[\d.]+.*$/, '')}"`,
          `VERSION="${os.version}"`,
          `ID=${id}`,
          `VERSION_ID="${os.version}"`,
          `PRETTY_NAME="${os.name}"`,
        ].join('\n'),
      ) +
      sec('uname', s.architecture) +
      sec('nproc', String(s.cpus)) +
      sec('meminfo', `MemTotal:       ${s.memoryMB * 1024} kB`) +
      sec('firmware', s.firmware) +
      sec('product_uuid', s.biosUuid) +
      sec('product_serial', serial) +
      sec('machine-id', s.machineId) +
      sec('hostname', s.fqdn) +
      sec('lsblk', JSON.stringify(lsblk, null, 3)) +
      sec('ip', JSON.stringify(ip)) +
      sec('virtual-net', 'docker0\nlo') +
      sec('root-disk', JSON.stringify(root, null, 3)) +
      `${LAB_MARKER}end\n`
    );
  }
}
