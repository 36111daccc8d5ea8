import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from '../../common/atomic-file.js';
import { UserError } from '../../common/errors.js';
import { selfSignedCertificate } from '../../common/self-signed-certificate.js';

export interface ServerCertificate {
  cert: string;
  key: string;
  thumbprint: string;
  generated: boolean;
}

/**
 * The configured certificate, or a self-signed one made on first start and kept in the data directory
 * so its thumbprint stays the same.
 */
export async function ensureCertificate(opts: {
  dataDir: string;
  certFile?: string;
  keyFile?: string;
  names?: string[];
}): Promise<ServerCertificate> {
  if (opts.certFile && opts.keyFile) return load(opts.certFile, opts.keyFile, false);
  const certFile = join(opts.dataDir, 'web-cert.pem');
  const keyFile = join(opts.dataDir, 'web-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return load(certFile, keyFile, true);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const names = [...new Set([hostname(), 'localhost', ...(opts.names ?? [])])];
  const made = selfSignedCertificate({
    commonName: names[0] ?? 'localhost',
    dnsNames: names,
    ipAddresses: ['127.0.0.1', '::1'],
    days: 825,
  });
  writeFileAtomically(keyFile, made.key, { mode: 0o600 });
  writeFileAtomically(certFile, made.cert, { mode: 0o644 });
  return load(certFile, keyFile, true);
}

function load(certFile: string, keyFile: string, generated: boolean): ServerCertificate {
  try {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    return { cert, key, thumbprint: new X509Certificate(cert).fingerprint256, generated };
  } catch (err) {
    throw new UserError(
      `cannot read the web app certificate ${certFile} / key ${keyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      {
        fix: 'Point web.certFile and web.keyFile at readable PEM files, or remove both to use a generated certificate.',
        code: 'WEB_CERT',
      },
    );
  }
}
