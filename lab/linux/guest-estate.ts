// The Linux guests of an estate with applications (issue 12): the guest reader's commands answered from
// lab/guest-world.ts, so that packages and `ss -tanpH` connections follow the estate's applications and shared
// services. The account is not root (uid 1000): sockets of root's base processes (sshd, systemd) show no process,
// the applications' processes do (the lab's collector account is in their groups). Estates without applications
// keep the synthetic answers of guest.ts.
import type { Estate, EstateServer, EstateVm } from '../estate.js';
import { guestMachine, guestProcesses, guestSockets, guestSoftware, type GuestProcessWorld } from '../guest-world.js';
import { LAB_MARKER } from './commands.js';

export function hasApplications(estate: Estate): boolean {
  return estate.applications.length > 0 || estate.sharedServices.length > 0;
}

/** dpkg-query / rpm / snap sections of the software command for one machine (VM or server name). */
export function estateSoftwareText(estate: Estate, name: string): string {
  const m = guestMachine(estate, name);
  const sw = guestSoftware(estate, name);
  const rows = sw.applications.map((a) => `${a.name}\t${a.version ?? ''}\t${a.publisher ?? ''}`);
  const body = `${rows.join('\n')}\n@@rc:0`;
  const dpkg = m?.packageManager === 'dpkg' ? body : '@@absent';
  const rpm = m?.packageManager === 'rpm' ? body : '@@absent';
  let snap = '@@absent';
  if (sw.snaps.length > 0) {
    const w = (s: string, n: number) => s.padEnd(n);
    const lines = [`${w('Name', 8)}${w('Version', 15)}${w('Rev', 7)}${w('Tracking', 16)}${w('Publisher', 12)}Notes`];
    for (const s of sw.snaps)
      lines.push(
        `${w(s.name, 8)}${w(s.version, 15)}${w(String(s.rev), 7)}${w('latest/stable', 16)}${w(`${s.publisher}✓`, 12)}${s.name === 'snapd' ? 'snapd' : s.name.startsWith('core') ? 'base' : '-'}`,
      );
    snap = `${lines.join('\n')}\n@@rc:0`;
  }
  return `${LAB_MARKER}dpkg\n${dpkg}\n${LAB_MARKER}rpm\n${rpm}\n${LAB_MARKER}snap\n${snap}\n${LAB_MARKER}end\n`;
}

/** Root's processes, which `ss -p` does not name for another account. */
function ownedByRoot(p: GuestProcessWorld): boolean {
  return p.pid === 1 || p.name === 'sshd' || p.name === 'systemd';
}

function addr(ip: string, port: number | '*'): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The sockets command's output at time t: `ss -tanpH` (ESTAB and LISTEN, plus a TIME-WAIT) and /proc for each visible pid. */
export function estateSocketsText(estate: Estate, name: string, t: number): string {
  const procs = new Map(guestProcesses(estate, name).map((p) => [p.pid, p]));
  const visible = new Set<number>();
  const lines: string[] = [];
  let fd = 10;
  for (const s of guestSockets(estate, name, t)) {
    const p = procs.get(s.pid);
    let users = '';
    if (p && !ownedByRoot(p)) {
      visible.add(p.pid);
      users = ` users:(("${p.name}",pid=${p.pid},fd=${fd++}))`;
    }
    if (s.state === 'listen')
      lines.push(`LISTEN 0      4096   ${addr(s.localIp, s.localPort).padEnd(22)} ${addr(s.remoteIp, '*').padEnd(22)}${users}`);
    else lines.push(`ESTAB  0      0      ${addr(s.localIp, s.localPort).padEnd(22)} ${addr(s.remoteIp, s.remotePort).padEnd(22)}${users}`);
  }
  const firstEstab = lines.find((l) => l.startsWith('ESTAB'));
  // A closed connection lingering: readers must keep only ESTAB and LISTEN.
  if (firstEstab) lines.push(firstEstab.replace(/^ESTAB /, 'TIME-WAIT').replace(/ users:.*$/, ''));
  const out = [`${LAB_MARKER}uid`, '1000', `${LAB_MARKER}ss`, ...lines, '@@rc:0'];
  for (const pid of [...visible].sort((a, b) => a - b)) {
    const p = procs.get(pid);
    if (!p) continue;
    out.push(`${LAB_MARKER}pid:${pid}`, p.path ?? '', [p.path ?? p.name, ...p.args.split(/\s+/).filter((a) => a !== '')].join('\x1f'));
  }
  out.push(`${LAB_MARKER}end`, '');
  return out.join('\n');
}

/**
 * The estate's powered-on Linux VMs that no server already is (sameAs), as Linux guests the lab serves over SSH:
 * server-shaped (so the SSH lab serves their inventory and perf too) with the VM's inventory IP addresses.
 */
export function linuxGuestsOfEstate(estate: Estate): EstateServer[] {
  const twins = new Set(estate.servers.map((s) => s.sameAs).filter((n): n is string => n !== null));
  const linuxVm = (v: EstateVm) => v.powerState === 'poweredOn' && !v.template && !/windows/i.test(v.os.name) && !twins.has(v.name);
  return estate.vms.filter(linuxVm).map((v, i) => ({
    name: v.name,
    family: 'linux',
    cpus: v.cpus,
    memoryMB: v.memoryMB,
    firmware: v.firmware,
    os: { name: v.os.name, version: v.os.version ?? '' },
    architecture: 'x86_64',
    disks: v.disks.map((d, j) => ({
      index: j,
      name: `sd${String.fromCharCode(97 + (j % 26))}`,
      sizeGB: d.sizeGB,
      capacityBytes: d.capacityBytes,
      model: 'Virtual disk',
    })),
    nics: v.nics.map((n, j) => ({ index: j, name: `eth${j}`, mac: n.mac, ipAddresses: j === 0 ? v.ipAddresses : [] })),
    ipAddresses: v.ipAddresses,
    fqdn: v.fqdn ?? `${v.name}.lab.local`,
    biosUuid: v.biosUuid.toLowerCase(),
    biosSerial: `VMware-${v.biosUuid.replace(/-/g, '').slice(0, 16)}`,
    machineId: v.instanceUuid.replace(/-/g, '').toLowerCase(),
    workload: v.workload,
    sameAs: v.name,
    down: false,
    index: estate.servers.length + i,
  }));
}
