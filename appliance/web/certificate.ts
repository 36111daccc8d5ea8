import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../../common/errors.js';

const run = promisify(execFile);

export interface ServerCertificate {
  cert: string;
  key: string;
  thumbprint: string;
  generated: boolean;
}

/**
 * The configured certificate, or a self-signed one made on first start (node:crypto cannot sign
 * X.509, so OpenSSL does) and kept in the data directory so its thumbprint stays the same.
 */
export async function ensureCertificate(opts: { dataDir: string; certFile?: string; keyFile?: string; names?: string[] }): Promise<ServerCertificate> {
  if (opts.certFile && opts.keyFile) return load(opts.certFile, opts.keyFile, false);
  const certFile = join(opts.dataDir, 'web-cert.pem');
  const keyFile = join(opts.dataDir, 'web-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return load(certFile, keyFile, true);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const names = [...new Set([hostname(), 'localhost', ...(opts.names ?? [])])];
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '825',
      '-subj', `/CN=${names[0]}/O=assessment-collector`, '-addext', `subjectAltName=${san}`,
      '-addext', 'extendedKeyUsage=serverAuth', '-keyout', keyFile, '-out', certFile,
    ]);
  } catch (err) {
    throw new UserError(`cannot generate the web app's self-signed certificate with openssl (${(err as Error).message.split('\n')[0]}).`, {
      fix: 'Install openssl (apt-get install openssl), or set web.certFile and web.keyFile to a certificate you provide.',
      code: 'WEB_CERT',
    });
  }
  chmodSync(keyFile, 0o600);
  return load(certFile, keyFile, true);
}

function load(certFile: string, keyFile: string, generated: boolean): ServerCertificate {
  try {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    return { cert, key, thumbprint: new X509Certificate(cert).fingerprint256, generated };
  } catch (err) {
    throw new UserError(`cannot read the web app certificate ${certFile} / key ${keyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, {
      fix: 'Point web.certFile and web.keyFile at readable PEM files, or remove both to use a generated certificate.',
      code: 'WEB_CERT',
    });
  }
}
