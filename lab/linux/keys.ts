// ECDSA P-256 keys for the lab's SSH servers and client, in the SEC1 PEM form ssh2 reads. Host keys are
// derived from the estate seed and the server name, so a restarted lab keeps its host keys.
import { createECDH, createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';

export interface LabKey {
  /** SEC1 PEM private key. */
  pem: string;
  /** The public key as an OpenSSH line body: "ecdsa-sha2-nistp256 AAAA...". */
  publicLine: string;
  /** The public key blob (SSH wire format). */
  blob: Buffer;
}

const sshString = (b: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};

function fromPrivateScalar(d: Buffer): LabKey {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey(); // 0x04 || X || Y
  const b64u = (b: Buffer) => b.toString('base64url');
  const key = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64u(d), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)) },
    format: 'jwk',
  });
  const blob = Buffer.concat([sshString(Buffer.from('ecdsa-sha2-nistp256')), sshString(Buffer.from('nistp256')), sshString(pub)]);
  return {
    pem: key.export({ format: 'pem', type: 'sec1' }).toString(),
    publicLine: `ecdsa-sha2-nistp256 ${blob.toString('base64')}`,
    blob,
  };
}

/** A deterministic host key for one lab server. */
export function labHostKey(seed: number, name: string): LabKey {
  // A SHA-256 digest is below the P-256 group order with overwhelming probability; re-hash in the rare case it is not.
  let d = createHash('sha256').update(`lab-ssh-host-key|${seed}|${name}`).digest();
  for (let i = 0; ; i++) {
    try {
      return fromPrivateScalar(d);
    } catch (err) {
      if (i > 4) throw err;
      d = createHash('sha256').update(d).digest();
    }
  }
}

/** A fresh client key (the lab account's key). */
export function newClientKey(): LabKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  return fromPrivateScalar(Buffer.from(jwk.d ?? '', 'base64url'));
}

/** Public half of a SEC1 PEM key made by newClientKey (to rebuild a LabKey read back from a file). */
export function clientKeyFromPem(pem: string): LabKey {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  return fromPrivateScalar(Buffer.from(jwk.d ?? '', 'base64url'));
}
