// Independent peers (VMware's simulator and SDK, pywinrm, wsl, Chromium, sshd) prove the product
// against code it did not write. A test that needs one asks requirePeer(): under CI a missing peer
// fails the file (a green run must mean every test ran); locally the tests skip with a line saying
// what is missing and how to install it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { SIM_BIN } from '../../lab/govmomi/launch.js';
import { ROOT } from './cli.js';

export interface Peer {
  /** What is missing, as an admin would look for it (program and Debian package). */
  name: string;
  available: () => boolean;
  /** The command that installs it. */
  install: string;
}

/** The peers run the system interpreter (Debian's python3-* packages live there), not whatever is first on PATH. */
export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = '/usr/bin/chromium';
export const SSHD = '/usr/sbin/sshd';
const SYSTEM_DEPS = 'bash scripts/system-deps.sh test';

const pythonImports = (module: string) =>
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 }).status === 0;
const onPath = (cmd: string) => (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));

export const PEERS = {
  govmomiSim: {
    name: `govmomi's vCenter simulator (${relative(ROOT, SIM_BIN)})`,
    available: () => existsSync(SIM_BIN),
    install: `${SYSTEM_DEPS} && bash lab/govmomi/build.sh`,
  },
  pyvmomi: { name: "VMware's pyVmomi (Debian python3-pyvmomi)", available: () => pythonImports('pyVmomi'), install: SYSTEM_DEPS },
  pywinrm: { name: 'pywinrm (Debian python3-winrm)', available: () => pythonImports('winrm'), install: SYSTEM_DEPS },
  wslenum: { name: "Dell's wsl client (wslenum, Debian wsl)", available: () => onPath('wslenum'), install: SYSTEM_DEPS },
  chromium: { name: `Chromium (${CHROMIUM}, Debian chromium)`, available: () => existsSync(CHROMIUM), install: SYSTEM_DEPS },
  sshd: { name: `OpenSSH's server (${SSHD}, Debian openssh-server)`, available: () => existsSync(SSHD), install: SYSTEM_DEPS },
} satisfies Record<string, Peer>;

/** CI sets CI=true (GitHub, GitLab and most runners do); "false" or "0" mean a local run. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/**
 * false when every peer is there. Otherwise, under CI, throws (the file fails, naming the peer and
 * its install command); locally, prints that line and returns it, for `describe.skipIf(...)`.
 */
export function requirePeer(...peers: Peer[]): string | false {
  const missing = peers.filter((p) => !p.available());
  if (missing.length === 0) return false;
  const what = missing.map((p) => p.name).join(' and ');
  const install = [...new Set(missing.map((p) => p.install))].join('; ');
  if (inCi()) throw new Error(`missing peer: ${what}. CI runs every test, so install it: ${install}`);
  const reason = `skipped: ${what} is missing (install it with: ${install})`;
  process.stderr.write(`${reason}\n`);
  return reason;
}
