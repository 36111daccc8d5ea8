// Parsers of the Linux guest reader's output (guest-commands.ts): package lists and `ss -tanpH` with /proc.
import type { GuestProcess, InstalledApplication, TcpSocket } from '../../model/guest.js';
import { splitSections } from './commands.js';

interface ToolSection {
  /** null when the tool is absent. */
  lines: string[] | null;
  rc: number | null;
}

function toolSection(text: string | undefined): ToolSection {
  if (text === undefined) return { lines: [], rc: null };
  const lines = text.split('\n');
  if (lines.length === 1 && lines[0]?.trim() === '@@absent') return { lines: null, rc: null };
  let rc: number | null = null;
  const last = lines[lines.length - 1] ?? '';
  if (last.startsWith('@@rc:')) {
    rc = Number(last.slice(5));
    lines.pop();
  }
  return { lines: lines.filter((l) => l.trim() !== ''), rc };
}

/** "Name\tVersion\tPublisher" lines (dpkg-query and rpm as formatted by SOFTWARE_COMMAND). */
export function parseTabbedPackages(lines: string[], source: 'dpkg' | 'rpm'): InstalledApplication[] {
  const out: InstalledApplication[] = [];
  for (const line of lines) {
    const f = line.split('\t');
    if (f.length < 2 || !f[0]) continue;
    const version = (f[1] ?? '').trim();
    const publisher = (f[2] ?? '').trim();
    out.push({
      name: f[0].trim(),
      version: version && version !== '(none)-(none)' ? version : null,
      publisher: publisher && publisher !== '(none)' ? publisher : null,
      source,
    });
  }
  return out;
}

/** `snap list`: "Name Version Rev Tracking Publisher Notes" columns; publisher marks (✓, **, *) are dropped. */
export function parseSnapList(lines: string[]): InstalledApplication[] {
  const out: InstalledApplication[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[0] === 'Name') continue;
    const publisher = (f[4] ?? '').replace(/[✓✪*]+$/u, '');
    out.push({ name: f[0] as string, version: f[1] ?? null, publisher: publisher && publisher !== '-' ? publisher : null, source: 'snap' });
  }
  return out;
}

function noteFor(tool: string, s: ToolSection): string | null {
  if (s.lines === null) return `${tool}: not installed`;
  if (s.rc !== null && s.rc !== 0) {
    const err = s.lines.find((l) => !l.includes('\t')) ?? '';
    return `${tool}: exited with code ${s.rc}${err ? `: ${err.slice(0, 200)}` : ''}`;
  }
  return null;
}

export function parseSoftware(text: string): { applications: InstalledApplication[]; notes: string[] } {
  const sec = splitSections(text);
  const notes: string[] = [];
  const applications: InstalledApplication[] = [];
  const dpkg = toolSection(sec.get('dpkg'));
  const rpm = toolSection(sec.get('rpm'));
  const snap = toolSection(sec.get('snap'));
  if (dpkg.lines) applications.push(...parseTabbedPackages(dpkg.lines, 'dpkg'));
  if (rpm.lines) applications.push(...parseTabbedPackages(rpm.lines, 'rpm'));
  // "No snaps are installed yet." is not a failure.
  if (snap.lines && snap.rc === 0) applications.push(...parseSnapList(snap.lines));
  for (const [tool, s] of [
    ['dpkg', dpkg],
    ['rpm', rpm],
    ['snap', snap],
  ] as const) {
    const n = noteFor(tool, s);
    if (n) notes.push(n);
  }
  if (!sec.has('end')) notes.push('the output was cut short (no end marker)');
  return { applications, notes };
}

/** "127.0.0.1:80", "[::1]:22", "*:80", "127.0.0.53%lo:53", "[::ffff:10.0.0.1]:443" -> ip and port. */
export function parseSsAddress(text: string): { ip: string; port: number } | null {
  const i = text.lastIndexOf(':');
  if (i <= 0) return null;
  let host = text.slice(0, i);
  const portText = text.slice(i + 1);
  const port = portText === '*' ? 0 : Number(portText);
  if (!Number.isInteger(port)) return null;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  if (host === '*') host = '0.0.0.0';
  // An IPv4 peer of a dual-stack socket: resolved like any IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped?.[1]) host = mapped[1];
  return { ip: host.toLowerCase(), port };
}

/** users:(("name",pid=1,fd=3),(...)) -> the first process (name and pid). */
export function parseSsUsers(text: string): { name: string; pid: number } | null {
  const m = /\(\("(.*?)",pid=(\d+)/.exec(text);
  return m?.[1] !== undefined && m[2] ? { name: m[1], pid: Number(m[2]) } : null;
}

/** The unit separator the command puts between arguments (their NULs). */
const US = String.fromCharCode(0x1f);

export interface ProcInfo {
  path: string | null;
  args: string | null;
}

/** `ss -tanpH` lines: ESTAB and LISTEN only (TIME-WAIT and the like are not dependencies). */
export function parseSs(lines: string[], procs: Map<number, ProcInfo> = new Map()): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    const state = f[0] === 'ESTAB' ? 'established' : f[0] === 'LISTEN' ? 'listen' : null;
    if (!state || f.length < 5) continue;
    const local = parseSsAddress(f[3] ?? '');
    const remote = parseSsAddress(f[4] ?? '');
    if (!local || !remote) continue;
    const user = parseSsUsers(f.slice(5).join(' '));
    let process: GuestProcess | null = null;
    if (user) {
      const p = procs.get(user.pid);
      process = { pid: user.pid, name: user.name, path: p?.path ?? null, args: p?.args ?? null };
    }
    out.push({
      state,
      localIp: local.ip,
      localPort: local.port,
      remoteIp: state === 'listen' ? (local.ip.includes(':') ? '::' : '0.0.0.0') : remote.ip,
      remotePort: state === 'listen' ? 0 : remote.port,
      process,
    });
  }
  return out;
}

export function parseSockets(text: string): { sockets: TcpSocket[]; notes: string[]; root: boolean } {
  const sec = splitSections(text);
  const notes: string[] = [];
  const root = (sec.get('uid') ?? '').trim() === '0';
  const procs = new Map<number, ProcInfo>();
  for (const [name, body] of sec) {
    if (!name.startsWith('pid:')) continue;
    const [exe = '', cmdline = ''] = body.split('\n');
    // cmdline arguments are separated by \x1f (their NULs, translated by the command); shown space-separated.
    const args = cmdline
      .split(US)
      .filter((a) => a !== '')
      .join(' ')
      .trim();
    procs.set(Number(name.slice(4)), { path: exe.trim() || null, args: args || null });
  }
  const ss = toolSection(sec.get('ss'));
  let sockets: TcpSocket[] = [];
  if (ss.lines === null) notes.push('ss: not installed (iproute2); no connections read');
  else {
    if (ss.rc !== null && ss.rc !== 0) notes.push(`ss: exited with code ${ss.rc}${ss.lines[0] ? `: ${ss.lines[0].slice(0, 200)}` : ''}`);
    sockets = parseSs(ss.lines, procs);
  }
  if (!root) {
    const hidden = sockets.filter((s) => s.process === null).length;
    notes.push(
      `not root: process names, paths and arguments are shown for this account's own sockets only (${hidden} of ${sockets.length} sockets without a process); root would add process names for other users' sockets`,
    );
  }
  const noPath = [...procs.values()].filter((p) => p.path === null).length;
  if (noPath > 0) notes.push(`${noPath} process(es) whose executable path /proc does not show to this account`);
  if (!sec.has('end')) notes.push('the output was cut short (no end marker)');
  return { sockets, notes, root };
}
