// SSH protocol layer (ssh2): host key policies, one long-lived connection per host, bounded commands.
// Imports only common/; used by the Linux collector and, later, guest access.
export { SshConnection, type ExecOptions, type ExecResult, type SshCredentials } from './connection.js';
export * from './errors.js';
export { keyType, knownHostsLine, knownHostsName, normalizeFingerprint, sha256Fingerprint } from './fingerprint.js';
export { FingerprintPolicy, KnownHostsPolicy, type HostAddress, type HostKeyPolicy, type HostKeyVerdict } from './host-keys.js';
export { entriesFor, parseKnownHosts, type KnownHosts } from './known-hosts.js';
export { checkPrivateKey, parseHostAddress, SshHostSession, type SessionOptions } from './session.js';
