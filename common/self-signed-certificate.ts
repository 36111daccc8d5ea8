// The one maker of self-signed certificates (the web app on first start, the lab's vCenter and Hyper-V hosts):
// node:crypto alone with a minimal DER writer, so nothing needs an openssl binary. RSA-2048, SHA-256,
// CN and SANs as given, basicConstraints CA:true (a self-signed certificate is its own trust anchor when pinned
// as a CA file), serverAuth, valid from yesterday. Like a fresh vCenter's certificate, nothing trusts it.
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

export interface CertificateSpec {
  commonName: string;
  organization?: string;
  /** Subject alternative names: host names and IP addresses (v4 or v6). */
  dnsNames?: string[];
  ipAddresses?: string[];
  days?: number;
}

export interface PemCertificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex as X509Certificate prints it. */
  thumbprint: string;
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const ctx = (n: number, body: Buffer) => tlv(0xa0 | n, body);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const nul = () => Buffer.from([0x05, 0x00]);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...chunk.map((c, i) => (i < chunk.length - 1 ? c | 0x80 : c)));
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  return tlv(0x02, (b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function utcTime(d: Date): Buffer {
  const s = `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = ip.includes('::') ? groups(tail) : [];
  const all = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(all.map((g) => Buffer.from([(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff])));
}

function distinguishedName(cn: string, org: string): Buffer {
  return seq(set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));
}

export function selfSignedCertificate(spec: CertificateSpec): PemCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), nul());
  const now = Date.now();
  const san = seq(
    ...(spec.dnsNames ?? []).map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
    ...(spec.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  );
  const extensions = ctx(
    3,
    seq(
      seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))),
      seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))),
      seq(oid('2.5.29.17'), octets(san)),
    ),
  );
  const subject = distinguishedName(spec.commonName, spec.organization ?? 'assessment-collector');
  const tbs = seq(
    ctx(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    sha256WithRsa,
    subject,
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + (spec.days ?? 365) * 86_400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const der = seq(tbs, sha256WithRsa, bits(sign('sha256', tbs, privateKey)));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  const cert = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprint: new X509Certificate(cert).fingerprint256,
  };
}

/** A certificate and key given by the caller, with the key checked against the certificate. */
export function describeCertificate(cert: string, key: string): PemCertificate {
  const x = new X509Certificate(cert);
  if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error('the TLS key does not belong to the certificate');
  return { cert, key, thumbprint: x.fingerprint256 };
}
