// A private OpenSSH server for tests: Debian's /usr/sbin/sshd on 127.0.0.1 and a free port, its own config,
// host key, authorized_keys and pid file in a temp dir, for a throwaway user (not the system service).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const canRunSshd = existsSync(SSHD) && process.getuid?.() === 0;

export interface Sshd {
  port: number;
  dir: string;
  user: string;
  password: string;
  /** The user's private key (OpenSSH format, no passphrase) and its file. */
  userKeyFile: string;
  hostKeyPub: string;
  /** known_hosts line for this server: "[127.0.0.1]:port ssh-ed25519 AAAA...". */
  knownHostsLine: string;
  /** The host key's SHA256 fingerprint as ssh-keygen -lf prints it. */
  fingerprint: string;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function keygen(file: string, type = 'ed25519', passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'ac-sshd-'));
  // sshd reads authorized_keys as the user: the directory must be traversable.
  chmodSync(dir, 0o711);
  const user = `acssh${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
  // sshd (UsePAM no) refuses a locked account even for keys: a password unlocks it and serves the password tests.
  execFileSync('chpasswd', { input: `${user}:${password}\n` });
  const hostKeyFile = join(dir, 'host_ed25519');
  const hostKeyPub = keygen(hostKeyFile);
  const userKeyFile = join(dir, 'user_ed25519');
  const userPub = keygen(userKeyFile);
  mkdirSync(join(dir, 'ak'));
  writeFileSync(join(dir, 'ak', user), `${userPub}\n`);
  // Privilege separation needs this directory when sshd runs as root.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      `AuthorizedKeysFile ${join(dir, 'ak')}/%u`,
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${user}`,
      'LogLevel DEBUG1',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );
  let logText = '';
  const child: ChildProcess = spawn(SSHD, ['-f', cfg, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    logText += d.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sshd did not start: ${logText}`)), 10_000);
    const check = () => {
      if (logText.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(t);
        resolve();
      } else setTimeout(check, 50);
    };
    child.once('exit', (code) => reject(new Error(`sshd exited ${code}: ${logText}`)));
    check();
  });
  const blob = hostKeyPub.split(' ')[1] ?? '';
  const fingerprint =
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyFile}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return {
    port,
    dir,
    user,
    password,
    userKeyFile,
    hostKeyPub,
    knownHostsLine: `[127.0.0.1]:${port} ssh-ed25519 ${blob}`,
    fingerprint,
    log: () => logText,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      try {
        execFileSync('userdel', ['-r', user], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
