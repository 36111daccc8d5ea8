import { readFileSync } from 'node:fs';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { UserError } from './errors.js';

/** The `tls:` block of a source: verification is on unless the administrator says otherwise. */
export interface TlsSettings {
  /** Skip verification entirely (knowingly). */
  insecure?: boolean;
  /** PEM file with the CA (or the self-signed certificate) to trust. */
  caFile?: string;
  /** SHA-256 thumbprint of the exact certificate to trust ("AB:CD:..."), pinning it. */
  thumbprint?: string;
}

export interface PresentedCertificate {
  subject: string;
  issuer: string;
  thumbprint: string;
  validFrom: string;
  validTo: string;
}

/** "ab cd:EF..." → "AB:CD:EF:..." so thumbprints from any tool compare equal. */
export function normalizeThumbprint(raw: string): string {
  const hex = raw.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

export function describeCertificate(cert: X509Certificate): PresentedCertificate {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    thumbprint: cert.fingerprint256,
    validFrom: cert.validFrom,
    validTo: cert.validTo,
  };
}

/**
 * Node TLS options for the settings. With a pinned thumbprint the chain is not checked by
 * OpenSSL (a self-signed vCenter certificate has no chain); checkPinnedPeer() must be called
 * on the connected socket, which the connectors below do.
 */
export function tlsOptions(settings: TlsSettings = {}, keyPath = 'tls'): ConnectionOptions {
  if (settings.insecure) return { rejectUnauthorized: false };
  if (settings.thumbprint) return { rejectUnauthorized: false };
  if (settings.caFile) {
    let ca: Buffer;
    try {
      ca = readFileSync(settings.caFile);
    } catch (err) {
      throw new UserError(`${keyPath}.caFile: cannot read ${settings.caFile} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
        fix: 'Point caFile at a readable PEM file holding the CA certificate, or use tls.thumbprint to pin the server certificate.',
        code: 'TLS_CA_UNREADABLE',
      });
    }
    return { rejectUnauthorized: true, ca };
  }
  return { rejectUnauthorized: true };
}

export class TlsTrustError extends UserError {
  readonly presented: PresentedCertificate | null;
  constructor(endpoint: string, reason: string, presented: PresentedCertificate | null) {
    const shown = presented
      ? ` The server presented: subject "${presented.subject}", issuer "${presented.issuer}", SHA-256 thumbprint ${presented.thumbprint}, valid ${presented.validFrom} to ${presented.validTo}.`
      : '';
    const pin = presented ? `tls: { thumbprint: "${presented.thumbprint}" }` : 'tls: { thumbprint: "<SHA-256 thumbprint>" }';
    super(`TLS verification failed for ${endpoint}: ${reason}.${shown}`, {
      fix: `If this is the right server, trust it with tls: { caFile: /path/to/ca.pem } (the CA that signed it), or pin this exact certificate with ${pin}; or, knowingly, skip verification with tls: { insecure: true }.`,
      code: 'TLS_UNTRUSTED',
    });
    this.name = 'TlsTrustError';
    this.presented = presented;
  }
}

/** Throws TlsTrustError unless the socket's certificate matches the pinned thumbprint. */
export function checkPinnedPeer(socket: TLSSocket, settings: TlsSettings, endpoint: string): void {
  if (!settings.thumbprint || settings.insecure) return;
  const cert = socket.getPeerX509Certificate();
  const presented = cert ? describeCertificate(cert) : null;
  if (!presented || normalizeThumbprint(presented.thumbprint) !== normalizeThumbprint(settings.thumbprint)) {
    throw new TlsTrustError(
      endpoint,
      `the certificate does not match the pinned thumbprint ${normalizeThumbprint(settings.thumbprint)}`,
      presented,
    );
  }
}

/** Opens a throw-away TLS connection without verification just to see which certificate a server presents. */
export function probeCertificate(host: string, port: number, timeoutMs = 10_000): Promise<PresentedCertificate | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername: isIp(host) ? undefined : host, rejectUnauthorized: false });
    const done = (value: PresentedCertificate | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      done(cert ? describeCertificate(cert) : null);
    });
    socket.once('error', () => done(null));
  });
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);

/** Finds a certificate-verification failure anywhere in an error's cause chain. */
export function findTlsVerificationError(err: unknown): (Error & { code?: string }) | null {
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur; i++) {
    if (cur instanceof TlsTrustError) return cur;
    const code = (cur as { code?: string }).code;
    if (code && TLS_ERROR_CODES.has(code)) return cur as Error & { code?: string };
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * Turns a verification failure into a TlsTrustError that shows the presented certificate
 * and how to trust it; returns null when the error is not about certificates.
 */
export async function explainTlsFailure(err: unknown, host: string, port: number): Promise<TlsTrustError | null> {
  const found = findTlsVerificationError(err);
  if (!found) return null;
  if (found instanceof TlsTrustError) return found;
  const presented = await probeCertificate(host, port);
  return new TlsTrustError(`${host}:${port}`, `${found.code ?? 'untrusted certificate'} (${found.message})`, presented);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
