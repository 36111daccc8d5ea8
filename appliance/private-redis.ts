import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { freePort } from '../common/free-port.js';

export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.once('error', () => done(false));
  });
}

/**
 * Debian's redis-server as a child process on loopback, its data (append-only file) in `dir`, for the
 * lab when no Redis is configured or reachable. It dies with the parent: stop() on shutdown, and a
 * SIGTERM from the exit handler if the parent exits without it.
 */
export async function startPrivateRedis(opts: { dir: string; port?: number; binary?: string }): Promise<PrivateRedis> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const port = opts.port ?? (await freePort());
  const log = join(opts.dir, 'redis.log');
  let child: ChildProcess;
  try {
    child = spawn(
      opts.binary ?? 'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        opts.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        log,
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
  } catch (err) {
    throw notInstalled(err);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  for (let i = 0; i < 100; i++) {
    const early = await Promise.race([
      exited.then((c) => `exited with code ${c}`),
      spawnError.then((e) => e),
      new Promise<null>((r) => setTimeout(() => r(null), 100)),
    ]);
    if (early instanceof Error) throw notInstalled(early);
    if (early) {
      let tail = '';
      try {
        tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
      } catch {
        /* no log yet */
      }
      throw new UserError(`the private redis-server ${early} (port ${port}). ${tail}`, {
        fix: `See ${log}; pick another port, or pass --redis-url to use an existing Redis.`,
        code: 'LAB_REDIS',
      });
    }
    if (await ping(port)) {
      // A child that answers has a pid; without one it could not be stopped, so refuse it.
      if (child.pid === undefined)
        throw new UserError(`the private redis-server on port ${port} has no process id.`, { fix: `See ${log}.`, code: 'LAB_REDIS' });
      return {
        url: `redis://127.0.0.1:${port}/0`,
        port,
        pid: child.pid,
        stop: async () => {
          process.removeListener('exit', killOnExit);
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
  }
  child.kill('SIGKILL');
  throw new UserError(`the private redis-server on port ${port} did not answer within 10 s.`, { fix: `See ${log}.`, code: 'LAB_REDIS' });
}

function notInstalled(err: unknown): UserError {
  return new UserError(`cannot start redis-server (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, {
    fix: 'Install it (bash scripts/system-deps.sh run, or apt-get install redis-server), or pass --redis-url to use an existing Redis.',
    code: 'LAB_REDIS',
  });
}

/** True when a Redis answers PING at the URL's host and port (no AUTH; a lab check only). */
export async function redisAnswers(url: string): Promise<boolean> {
  try {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return true; // remote: let the client report problems
    return await ping(Number(u.port || 6379));
  } catch {
    return false;
  }
}
