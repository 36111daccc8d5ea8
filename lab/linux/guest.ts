// What a simulated Linux guest answers to the guest reader's commands (issue 12): a package list from its OS
// family, and `ss -tanpH` with a listening service and connections to peer servers, as a non-root account sees
// them (its own processes named, sshd's not), deterministic per seed and server.
import type { EstateServer } from '../estate.js';
import { hash32 } from '../workload.js';
import { LAB_MARKER } from './commands.js';

const SERVICES = [
  { port: 80, name: 'nginx', exe: '/usr/sbin/nginx', args: 'nginx: worker process' },
  { port: 8080, name: 'java', exe: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java', args: 'java -jar /opt/app/app.jar' },
  { port: 5432, name: 'postgres', exe: '/usr/lib/postgresql/15/bin/postgres', args: 'postgres -D /var/lib/postgresql/15/main' },
  { port: 6379, name: 'redis-server', exe: '/usr/bin/redis-server', args: 'redis-server 0.0.0.0:6379' },
] as const;

/** The service a lab server listens on (by seed and name). */
export function labService(seed: number, server: string): (typeof SERVICES)[number] {
  return SERVICES[hash32(`${seed}|${server}|service`) % SERVICES.length] as (typeof SERVICES)[number];
}

function isRpm(s: EstateServer): boolean {
  return /red hat|rhel|centos|oracle|suse|rocky|alma|amazon|fedora/i.test(s.os.name);
}

/** About 400 packages: what a small server has installed. */
export function labSoftwareText(seed: number, s: EstateServer): string {
  const n = 380 + (hash32(`${seed}|${s.name}|pkgs`) % 40);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = `${1 + (hash32(`${seed}|${s.name}|${i}`) % 9)}.${i % 17}.${i % 5}`;
    rows.push(isRpm(s) ? `lab-pkg-${i}\t${v}-1.el9\tLab Vendor, Inc.` : `lab-pkg-${i}\t${v}-1\tLab Maintainers <lab@example.invalid>`);
  }
  const svc = labService(seed, s.name);
  rows.push(isRpm(s) ? `${svc.name}\t1.0-1.el9\tLab Vendor, Inc.` : `${svc.name}\t1.0-1\tLab Maintainers <lab@example.invalid>`);
  const body = `${rows.join('\n')}\n@@rc:0`;
  return isRpm(s)
    ? `${LAB_MARKER}dpkg\n@@absent\n${LAB_MARKER}rpm\n${body}\n${LAB_MARKER}snap\n@@absent\n${LAB_MARKER}end\n`
    : `${LAB_MARKER}dpkg\n${body}\n${LAB_MARKER}rpm\n@@absent\n${LAB_MARKER}snap\n@@absent\n${LAB_MARKER}end\n`;
}

/**
 * Sockets at time t: sshd and the service listening, the service's clients from two peers, and this server's
 * own connections to two peers' services (each present in most 5-minute polls, varying with t).
 */
export function labSocketsText(seed: number, s: EstateServer, peers: { name: string; ip: string }[], t: number): string {
  const ip = s.nics[0]?.ipAddresses.find((a) => !a.includes(':')) ?? '10.0.0.1';
  const svc = labService(seed, s.name);
  const pid = 1000 + (hash32(`${seed}|${s.name}|pid`) % 30000);
  const me = `users:(("${svc.name}",pid=${pid},fd=6))`;
  const lines = [
    'LISTEN 0      128          0.0.0.0:22         0.0.0.0:*',
    `LISTEN 0      511          0.0.0.0:${svc.port}       0.0.0.0:*    ${me}`,
  ];
  const others = peers.filter((p) => p.name !== s.name);
  const slot = Math.floor(t / 300_000);
  for (let k = 0; k < Math.min(2, others.length); k++) {
    const p = others[(hash32(`${seed}|${s.name}|peer|${k}`) + k) % others.length] as { name: string; ip: string };
    // Absent from one poll in eight: polls count below 12 in some hours.
    if (hash32(`${seed}|${s.name}|${p.name}|${slot}`) % 8 === 0) continue;
    const ps = labService(seed, p.name);
    const eph = 32768 + (hash32(`${s.name}|${p.name}|${slot}`) % 28000);
    lines.push(`ESTAB  0      0          ${ip}:${eph}     ${p.ip}:${ps.port}  ${me}`);
    lines.push(`ESTAB  0      0          ${ip}:${svc.port}     ${p.ip}:${eph + 1}`);
  }
  return [
    `${LAB_MARKER}uid`,
    '1000',
    `${LAB_MARKER}ss`,
    ...lines,
    '@@rc:0',
    `${LAB_MARKER}pid:${pid}`,
    svc.exe,
    svc.args.split(' ').join('\x1f'),
    `${LAB_MARKER}end`,
    '',
  ].join('\n');
}
