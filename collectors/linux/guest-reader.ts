// The Linux guest reader (issue 12): one SSH connection to a guest with one credential, reused by the software
// and dependency pollers. The host key is verified during key exchange (collectors/ssh), so a guest whose key is
// not pinned never receives the credential. Fixed commands only (guest-commands.ts), each with a deadline and a
// byte cap.
import type { Logger } from '../../common/log.js';
import type { GuestReader } from '../../model/guest.js';
import type { LinuxSourceConfig } from '../../config/schema/physical.js';
import {
  FingerprintPolicy,
  KnownHostsPolicy,
  SshConnection,
  type HostAddress,
  type HostKeyPolicy,
  type SshCredentials,
} from '../ssh/index.js';
import { checkPrivateKey } from '../ssh/index.js';
import { resolveCredentials, type LinuxCredentialConfig } from './credentials.js';
import { SOCKETS_COMMAND, SOFTWARE_COMMAND } from './guest-commands.js';
import { parseSockets, parseSoftware } from './guest-parse.js';

/** A guest credential (os: linux) or a Linux source's own: name, user, secret references and the pinned host keys. */
export type LinuxGuestCredential = LinuxCredentialConfig & {
  hostKeys?: LinuxSourceConfig['hostKeys'];
  /** Where a guest IP or name really answers ("address[:port]"), for guests behind NAT or the lab's on 127.0.0.1. */
  hostMap?: Record<string, string | { address: string }>;
};

/** The address to dial for a target: the credential's hostMap entry (case-insensitive) when there is one. */
function mapped(target: { host: string; port?: number }, hostMap: LinuxGuestCredential['hostMap']): { host: string; port?: number } {
  const key = Object.keys(hostMap ?? {}).find((k) => k.toLowerCase() === target.host.toLowerCase());
  const to = key === undefined ? undefined : hostMap?.[key];
  if (to === undefined) return target;
  if (typeof to !== 'string') return { host: to.address, port: target.port };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(to);
  return { host: (m?.[1] ?? to).replace(/^\[|\]$/g, ''), port: m?.[2] ? Number(m[2]) : target.port };
}

export interface LinuxGuestOptions {
  log: Logger;
  /** Handshake deadline, and each command's. */
  timeoutMs: number;
  /** "guestCredentials" (default) or "sources": names the config list in errors. */
  where?: string;
  /** Resolved credentials (tests, the benchmark); otherwise resolved from the references in `cred`. */
  credentials?: SshCredentials;
  /** A host key policy shared across guests (one parsed known_hosts for 1,000 guests). */
  policy?: HostKeyPolicy;
}

/** Package lists of a server with thousands of packages stay far below this. */
const SOFTWARE_MAX_BYTES = 16 * 1024 * 1024;
/** ss output and /proc lines of a busy server (tens of thousands of sockets). */
const SOCKETS_MAX_BYTES = 16 * 1024 * 1024;

const policies = new Map<string, HostKeyPolicy>();

/** The host key policy of a credential, shared by every guest it is tried on (the known_hosts file is parsed once). */
export function hostKeyPolicyOf(cred: Pick<LinuxGuestCredential, 'hostKeys'>): HostKeyPolicy | null {
  const hk = cred.hostKeys;
  if (!hk) return null;
  if ('file' in hk) {
    let p = policies.get(hk.file);
    if (!p) {
      p = new KnownHostsPolicy(hk.file);
      policies.set(hk.file, p);
    }
    return p;
  }
  return new FingerprintPolicy(hk.fingerprints);
}

class LinuxGuest implements GuestReader {
  readonly os = 'linux' as const;
  constructor(
    private conn: SshConnection,
    private readonly reopen: () => Promise<SshConnection>,
    private readonly timeoutMs: number,
  ) {}

  private async run(command: string, maxBytes: number): Promise<string> {
    if (!this.conn.isOpen) this.conn = await this.reopen();
    const r = await this.conn.exec(command, { timeoutMs: this.timeoutMs, maxBytes });
    return r.stdout;
  }

  async software() {
    const { applications, notes } = parseSoftware(await this.run(SOFTWARE_COMMAND, SOFTWARE_MAX_BYTES));
    return { os: 'linux' as const, applications, features: [], sqlInstances: [], notes };
  }

  async sockets() {
    const { sockets, notes } = parseSockets(await this.run(SOCKETS_COMMAND, SOCKETS_MAX_BYTES));
    return { sockets, notes };
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}

/**
 * Connects and authenticates (throws the SSH layer's typed errors: SshHostKeyError before any credential is
 * sent, SshAuthError, SshConnectError, SshTimeoutError). A dropped connection is reopened on the next read.
 */
export async function openLinuxGuest(
  target: { host: string; port?: number },
  cred: LinuxGuestCredential,
  opts: LinuxGuestOptions,
): Promise<GuestReader> {
  const dial = mapped(target, cred.hostMap);
  const port = dial.port ?? 22;
  const addr: HostAddress = { host: dial.host, port, label: port === 22 ? dial.host : `${dial.host}:${port}` };
  const policy = opts.policy ?? hostKeyPolicyOf(cred);
  // No pinned keys, no credential: the schema requires hostKeys for linux guest credentials; this is the backstop.
  if (!policy)
    throw new Error(`${opts.where ?? 'guestCredentials'}.${cred.name}: no hostKeys; credentials are never sent to an unverified host`);
  const creds = opts.credentials ?? resolveCredentials(cred, opts.where ?? 'guestCredentials');
  if (creds.privateKey) checkPrivateKey(addr, creds.privateKey, creds.passphrase);
  const open = () => SshConnection.open(addr, policy, creds, { readyTimeoutMs: opts.timeoutMs, keepaliveIntervalMs: 60_000 });
  const conn = await open();
  opts.log.debug({ host: target.host, port, credential: cred.name }, 'linux guest connected');
  return new LinuxGuest(conn, open, opts.timeoutMs);
}
