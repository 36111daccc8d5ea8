// One long-lived connection per host, reopened on demand with exponential back-off. A host in back-off
// fails at once (SshBackoffError), so a dead or black-holed host costs one handshake timeout per back-off
// period and never holds up the others. Refused credentials back off to the maximum at once: retrying a
// wrong password every 30 s would lock the account out.
import ssh2 from 'ssh2';
import type { Secret } from '../../common/secret-value.js';
import { SshConnection, type ExecOptions, type ExecResult, type SshCredentials } from './connection.js';
import { SshAuthError, SshBackoffError, SshConnectError, SshError, SshHostKeyError, SshPrivateKeyError } from './errors.js';
import type { HostAddress, HostKeyPolicy } from './host-keys.js';

export interface SessionOptions {
  readyTimeoutMs: number;
  keepaliveIntervalMs?: number;
  /** First retry delay after a failure; doubles per failure up to backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Splits "host", "host:port" and "[v6]:port" (port 22 unless given). */
export function parseHostAddress(label: string, defaultPort = 22): HostAddress {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(label);
  if (v6?.[1]) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort, label };
  const m = /^([^:]+):(\d+)$/.exec(label);
  if (m?.[1] && m[2]) return { host: m[1], port: Number(m[2]), label };
  return { host: label, port: defaultPort, label };
}

/** Parses a private key once, so a bad key or passphrase is reported as such (ssh2 would skip it silently). */
export function checkPrivateKey(addr: HostAddress, key: Secret, passphrase?: Secret): void {
  const parsed = ssh2.utils.parseKey(key.reveal(), passphrase?.reveal());
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt/i.test(parsed.message);
    throw new SshPrivateKeyError(
      addr.host,
      addr.port,
      encrypted
        ? passphrase
          ? 'the passphrase does not decrypt it'
          : 'it is encrypted and no passphrase is configured'
        : 'it is not an OpenSSH or PEM private key',
    );
  }
}

export class SshHostSession {
  private conn: SshConnection | null = null;
  private opening: Promise<SshConnection> | null = null;
  private failures = 0;
  private retryAt = 0;
  private lastError: SshError | null = null;
  /** Handshakes made (1 for a connection that never dropped). */
  connects = 0;

  constructor(
    readonly addr: HostAddress,
    private readonly policy: HostKeyPolicy,
    private readonly creds: () => SshCredentials,
    private readonly opts: SessionOptions,
  ) {}

  get connected(): boolean {
    return this.conn?.isOpen === true;
  }

  get commands(): number {
    return this.conn?.commands ?? 0;
  }

  /** Clears the back-off (a deliberate retry, e.g. the next inventory after refused credentials). */
  resetBackoff(): void {
    this.retryAt = 0;
  }

  private backoff(err: SshError): void {
    const base = this.opts.backoffBaseMs ?? 5_000;
    const max = this.opts.backoffMaxMs ?? 300_000;
    this.failures++;
    this.lastError = err;
    // Refused credentials, an unpinned or changed host key, an unusable private key: retrying cannot help
    // (and retrying a wrong password may lock the account): held until resetBackoff(), i.e. the next discovery.
    if (err instanceof SshAuthError || err instanceof SshHostKeyError || err instanceof SshPrivateKeyError) {
      this.retryAt = Number.POSITIVE_INFINITY;
      return;
    }
    // Up to 20 % jitter so hosts that failed together do not retry together.
    this.retryAt = Date.now() + Math.min(max, base * 2 ** (this.failures - 1)) * (1 + Math.random() * 0.2);
  }

  private async connection(): Promise<SshConnection> {
    if (this.conn?.isOpen) return this.conn;
    if (this.opening) return this.opening;
    if (this.lastError && Date.now() < this.retryAt)
      throw new SshBackoffError(this.addr.host, this.addr.port, this.lastError, this.retryAt);
    this.opening = (async () => {
      try {
        const creds = this.creds();
        if (creds.privateKey) checkPrivateKey(this.addr, creds.privateKey, creds.passphrase);
        const c = await SshConnection.open(this.addr, this.policy, creds, {
          readyTimeoutMs: this.opts.readyTimeoutMs,
          keepaliveIntervalMs: this.opts.keepaliveIntervalMs,
        });
        this.connects++;
        this.failures = 0;
        this.lastError = null;
        this.conn = c;
        c.onClose(() => {
          if (this.conn === c) this.conn = null;
        });
        return c;
      } catch (err) {
        const e = err instanceof SshError ? err : new SshConnectError(this.addr.host, this.addr.port, (err as Error).message, err);
        this.backoff(e);
        throw e;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  /** Runs a fixed command, connecting first if needed. A broken connection is dropped and reopened next time. */
  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const c = await this.connection();
    try {
      return await c.exec(command, opts);
    } catch (err) {
      // A timeout or a channel failure may mean a half-dead connection: start afresh next time.
      if (err instanceof SshConnectError || !c.isOpen) {
        c.close();
        if (this.conn === c) this.conn = null;
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.conn = null;
  }
}
