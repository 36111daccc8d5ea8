// Host key identity as OpenSSH prints it: `SHA256:` + base64 of the SHA-256 of the key blob, without padding
// (ssh-keygen -lf), and the known_hosts line that pins a key.
import { createHash } from 'node:crypto';

/** The key blob's algorithm name: the first SSH string of the blob ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Normalises a configured fingerprint for comparison: the "SHA256:" prefix kept, base64 padding dropped. */
export function normalizeFingerprint(text: string): string {
  const t = text.trim();
  const body = t.startsWith('SHA256:') ? t.slice(7) : t;
  return `SHA256:${body.replace(/=+$/, '')}`;
}

/** How known_hosts names a host: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The exact known_hosts line that pins this key for this host. */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${knownHostsName(host, port)} ${keyType(blob)} ${blob.toString('base64')}`;
}
