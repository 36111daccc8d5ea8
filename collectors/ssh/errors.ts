// Typed SSH failures carrying protocol facts only (host, port, fingerprint, exit code). The collector adds
// the `fix:` text that names its config keys. No error ever carries a credential or the private key.

export abstract class SshError extends Error {
  abstract readonly code: string;
  constructor(
    readonly host: string,
    readonly port: number,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = new.target.name;
  }
}

export type HostKeyProblem = 'unknown' | 'changed' | 'revoked';

/** The server's host key is not the pinned one: the connection was dropped before any credential was sent. */
export class SshHostKeyError extends SshError {
  readonly code = 'SSH_HOST_KEY';
  constructor(
    host: string,
    port: number,
    readonly problem: HostKeyProblem,
    readonly keyType: string,
    readonly fingerprint: string,
    /** The known_hosts line that would pin the offered key. */
    readonly knownHostsLine: string,
    /** What is pinned for the host instead (for changed keys), e.g. "ssh-ed25519 SHA256:... (known_hosts line 3)". */
    readonly pinned: string | null,
  ) {
    const what =
      problem === 'unknown'
        ? `offered an unknown ${keyType} host key ${fingerprint}; refused (no credential sent)`
        : problem === 'changed'
          ? `offered a ${keyType} host key ${fingerprint} that differs from the pinned one (${pinned ?? 'pinned key'}): the server was reinstalled or re-keyed, or someone is intercepting the connection; refused (no credential sent)`
          : `offered the ${keyType} host key ${fingerprint}, which is marked @revoked; refused (no credential sent)`;
    super(host, port, `SSH ${host}:${port} ${what}`);
  }
}

export class SshAuthError extends SshError {
  readonly code = 'SSH_AUTH';
  constructor(
    host: string,
    port: number,
    readonly username: string,
    readonly methods: string[],
  ) {
    super(host, port, `SSH ${host}:${port} refused the credentials of user ${username} (tried: ${methods.join(', ') || 'none'})`);
  }
}

export class SshConnectError extends SshError {
  readonly code = 'SSH_CONNECT';
  constructor(
    host: string,
    port: number,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(host, port, `SSH ${host}:${port} cannot be reached: ${reason}`, { cause });
  }
}

export class SshTimeoutError extends SshError {
  readonly code = 'SSH_TIMEOUT';
  constructor(
    host: string,
    port: number,
    readonly phase: 'handshake' | 'command',
    readonly ms: number,
  ) {
    super(
      host,
      port,
      `SSH ${host}:${port}: ${phase === 'handshake' ? 'no SSH handshake' : 'the command did not finish'} within ${Math.round(ms / 1000)} s`,
    );
  }
}

export class SshCommandError extends SshError {
  readonly code = 'SSH_COMMAND';
  constructor(
    host: string,
    port: number,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
  ) {
    super(
      host,
      port,
      `SSH ${host}:${port}: the command exited with ${exitCode === null ? `signal ${signal ?? '?'}` : `code ${exitCode}`}${stderr ? `: ${stderr.slice(0, 300)}` : ''}`,
    );
  }
}

export class SshOutputLimitError extends SshError {
  readonly code = 'SSH_OUTPUT_LIMIT';
  constructor(
    host: string,
    port: number,
    readonly limitBytes: number,
  ) {
    super(host, port, `SSH ${host}:${port}: the command wrote more than ${limitBytes} bytes; stopped reading`);
  }
}

export class SshPrivateKeyError extends SshError {
  readonly code = 'SSH_PRIVATE_KEY';
  constructor(host: string, port: number, reason: string) {
    super(host, port, `SSH ${host}:${port}: the private key cannot be used: ${reason}`);
  }
}

/** The host failed recently and is waiting out its back-off: reported at once, so it never delays other hosts. */
export class SshBackoffError extends SshError {
  readonly code = 'SSH_BACKOFF';
  constructor(
    host: string,
    port: number,
    readonly last: SshError,
    readonly retryAt: number,
  ) {
    const when = Number.isFinite(retryAt)
      ? `next attempt in ${Math.max(0, Math.round((retryAt - Date.now()) / 1000))} s`
      : 'not retried until the next discovery';
    super(host, port, `${last.message} (${when})`, { cause: last });
  }
}
