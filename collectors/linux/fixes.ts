// The collector's edge: SSH protocol errors become administrator errors whose fix names this source's keys.
import { errorMessage, UserError } from '../../common/errors.js';
import type { LinuxSourceConfig } from '../../config/schema/physical.js';
import {
  SshAuthError,
  SshBackoffError,
  SshConnectError,
  SshHostKeyError,
  SshOutputLimitError,
  SshPrivateKeyError,
  SshTimeoutError,
} from '../ssh/index.js';

export function fixFor(err: unknown, cfg: LinuxSourceConfig): string | undefined {
  const k = `sources.${cfg.name}`;
  const e = err instanceof SshBackoffError ? err.last : err;
  if (e instanceof SshHostKeyError) {
    const where = 'file' in cfg.hostKeys ? `${cfg.hostKeys.file}` : null;
    const check = `First compare ${e.fingerprint} with the server's own key (on the server: ssh-keygen -lf /etc/ssh/ssh_host_${e.keyType.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub).`;
    if (e.problem === 'changed')
      return `${check} Only if the server was really re-keyed, replace its pinned key: ${where ? `in ${where} put the line "${e.knownHostsLine}" in place of the old one` : `set ${k}.hostKeys.fingerprints["${e.host}"] to "${e.fingerprint}"`}.`;
    if (e.problem === 'revoked') return `The key is revoked in ${where ?? 'the known_hosts file'}; re-key the server and pin the new key.`;
    return `${check} Then pin it: ${where ? `append the line "${e.knownHostsLine}" to ${where}` : `add "${e.host}": "${e.fingerprint}" under ${k}.hostKeys.fingerprints`}.`;
  }
  if (e instanceof SshAuthError)
    return `Check ${k}.username and ${k}.privateKey${cfg.password ? ` / ${k}.password` : ''}; for a key, its public half must be in ~${e.username}/.ssh/authorized_keys on the server. Not retried until the next discovery (inventoryIntervalSec), to avoid a lockout.`;
  if (e instanceof SshPrivateKeyError) return `Check ${k}.privateKey (an OpenSSH or PEM private key) and ${k}.privateKeyPassphrase.`;
  if (e instanceof SshTimeoutError)
    return e.phase === 'handshake'
      ? `Check that the host answers SSH on that port, or raise ${k}.timeoutSec.`
      : `The server is slow to answer; raise ${k}.timeoutSec if this persists.`;
  if (e instanceof SshOutputLimitError)
    return 'The server printed far more than expected for a fixed command; check its shell start-up files (e.g. ~/.bashrc printing text).';
  if (e instanceof SshConnectError) {
    if (/host key could not be checked/.test(e.message)) return `Check ${k}.hostKeys.file: it must be readable by the service.`;
    return `Check the address in ${k}.hosts (host or host:port, port 22 unless given) and that sshd runs there and the firewall allows it.`;
  }
  return undefined;
}

export function toUserError(err: unknown, cfg: LinuxSourceConfig): Error {
  if (err instanceof UserError) return err;
  const fix = fixFor(err, cfg);
  const code = (err as { code?: unknown }).code;
  return new UserError(`source "${cfg.name}": ${errorMessage(err)}`, {
    fix,
    code: typeof code === 'string' ? code : 'SSH_ERROR',
    cause: err,
  });
}
