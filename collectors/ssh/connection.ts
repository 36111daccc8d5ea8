// One SSH connection to one host (ssh2 client): the host key is checked in hostVerifier during key exchange,
// so a refused key ends the handshake before user authentication starts; commands run one channel each,
// with a deadline and a cap on the bytes read.
import { Client, type AuthenticationType, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Secret } from '../../common/secret-value.js';
import {
  SshAuthError,
  SshCommandError,
  SshConnectError,
  type SshError,
  SshHostKeyError,
  SshOutputLimitError,
  SshTimeoutError,
} from './errors.js';
import type { HostAddress, HostKeyPolicy, HostKeyVerdict } from './host-keys.js';

export interface SshCredentials {
  username: string;
  /** An OpenSSH/PEM private key (already parsed or raw text) and its passphrase. */
  privateKey?: Secret;
  passphrase?: Secret;
  password?: Secret;
}

export interface ConnectOptions {
  readyTimeoutMs: number;
  /** SSH keepalives keep NAT/firewall state alive on a connection idle between polls. */
  keepaliveIntervalMs?: number;
}

export interface ExecOptions {
  timeoutMs: number;
  maxBytes: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

// AES-GCM runs in OpenSSL through node:crypto; ssh2's chacha20-poly1305 falls back to JavaScript without its
// optional native addon, which costs CPU at hundreds of hosts.
const CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com'] as const;

function socketReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (no SSH server listening on that port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${err.code})`;
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return err.code ?? err.message;
  }
}

export class SshConnection {
  private readonly client = new Client();
  private closed = false;
  /** Commands run over this connection (diagnostics and the benchmark). */
  commands = 0;

  private constructor(readonly addr: HostAddress) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Opens, verifies the host key, authenticates. Rejects with a typed SshError. */
  static open(addr: HostAddress, policy: HostKeyPolicy, creds: SshCredentials, opts: ConnectOptions): Promise<SshConnection> {
    const conn = new SshConnection(addr);
    return new Promise<SshConnection>((resolve, reject) => {
      let verdict: HostKeyVerdict | null = null;
      let policyError: unknown = null;
      let settled = false;
      const methods: AuthenticationType[] = [];
      const fail = (err: SshError) => {
        if (settled) return;
        settled = true;
        conn.closed = true;
        conn.client.end();
        reject(err);
      };
      const c = conn.client;
      c.on('ready', () => {
        if (settled) return;
        settled = true;
        resolve(conn);
      });
      c.on('close', () => {
        conn.closed = true;
        fail(new SshConnectError(addr.host, addr.port, 'the server closed the connection during the handshake'));
      });
      c.on('error', (err: Error & { level?: string; code?: string }) => {
        if (verdict && !verdict.ok) {
          fail(
            new SshHostKeyError(
              addr.host,
              addr.port,
              verdict.problem,
              verdict.keyType,
              verdict.fingerprint,
              verdict.knownHostsLine,
              verdict.pinned,
            ),
          );
        } else if (policyError) {
          fail(
            new SshConnectError(addr.host, addr.port, `the host key could not be checked: ${(policyError as Error).message}`, policyError),
          );
        } else if (err.level === 'client-authentication') {
          fail(new SshAuthError(addr.host, addr.port, creds.username, methods));
        } else if (err.level === 'client-timeout') {
          fail(new SshTimeoutError(addr.host, addr.port, 'handshake', opts.readyTimeoutMs));
        } else if (err.level === 'client-socket') {
          fail(new SshConnectError(addr.host, addr.port, socketReason(err as NodeJS.ErrnoException), err));
        } else {
          fail(new SshConnectError(addr.host, addr.port, err.message, err));
        }
      });
      // Only the configured methods, key first: the password is never offered when a key is configured and accepted.
      const auth: Array<Record<string, unknown>> = [];
      if (creds.privateKey)
        auth.push({ type: 'publickey', username: creds.username, key: creds.privateKey.reveal(), passphrase: creds.passphrase?.reveal() });
      if (creds.password) auth.push({ type: 'password', username: creds.username, password: creds.password.reveal() });
      let next = 0;
      const pinned = policy.pinnedTypes(addr).flatMap((t) => HOST_KEY_ALGOS[t] ?? []);
      const cfg: ConnectConfig = {
        host: addr.host,
        port: addr.port,
        username: creds.username,
        readyTimeout: opts.readyTimeoutMs,
        keepaliveInterval: opts.keepaliveIntervalMs ?? 60_000,
        keepaliveCountMax: 3,
        tryKeyboard: false,
        algorithms: {
          cipher: { prepend: [...CIPHERS], append: [], remove: [] },
          ...(pinned.length ? { serverHostKey: { prepend: pinned as never[], append: [], remove: [] } } : {}),
        },
        hostVerifier: (key: Buffer): boolean => {
          try {
            verdict = policy.verify(addr, key);
          } catch (err) {
            policyError = err;
            return false;
          }
          return verdict.ok;
        },
        authHandler: (_left, _partial, cb) => {
          const m = auth[next++];
          if (!m) return cb(false as never);
          methods.push(m.type as AuthenticationType);
          return cb(m as never);
        },
      };
      try {
        c.connect(cfg);
      } catch (err) {
        // ssh2 parses keys given in the connect config synchronously; ours are parsed per attempt (below it).
        fail(new SshConnectError(addr.host, addr.port, (err as Error).message, err));
      }
    });
  }

  /** Runs one fixed command; resolves with its output whatever the exit code (the caller decides). */
  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const { host, port } = this.addr;
    if (this.closed) return Promise.reject(new SshConnectError(host, port, 'the connection is closed'));
    this.commands++;
    return new Promise<ExecResult>((resolve, reject) => {
      let stream: ClientChannel | null = null;
      let done = false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let bytes = 0;
      const finish = (e: Error | null, r?: ExecResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (e) {
          // Ask the server to end the command, then drop the channel: the connection itself stays usable.
          try {
            stream?.signal('KILL');
          } catch {
            /* older servers ignore signal requests */
          }
          stream?.close();
          reject(e);
        } else if (r) resolve(r);
      };
      const timer = setTimeout(() => finish(new SshTimeoutError(host, port, 'command', opts.timeoutMs)), opts.timeoutMs);
      const take = (into: Buffer[]) => (chunk: Buffer) => {
        if (done) return;
        bytes += chunk.length;
        if (bytes > opts.maxBytes) return finish(new SshOutputLimitError(host, port, opts.maxBytes));
        into.push(chunk);
      };
      try {
        this.client.exec(command, (e, s) => {
          if (e) return finish(new SshConnectError(host, port, `cannot open a session channel: ${e.message}`, e));
          stream = s;
          s.on('data', take(out));
          s.stderr.on('data', take(err));
          s.on('close', (code: number | null, signal?: string) => {
            const stderr = Buffer.concat(err).toString('utf8');
            const result = { stdout: Buffer.concat(out).toString('utf8'), stderr, exitCode: typeof code === 'number' ? code : null };
            if (result.exitCode === null && signal) return finish(new SshCommandError(host, port, null, signal, stderr));
            finish(null, result);
          });
        });
      } catch (e) {
        finish(new SshConnectError(host, port, (e as Error).message, e));
      }
    });
  }

  /** Registers a callback for when the connection drops (server restart, network, keepalive timeout). */
  onClose(fn: () => void): void {
    this.client.on('close', fn);
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}
