/**
 * Stateful RC4. OpenSSL 3 only offers RC4 through the legacy provider, which the appliance must
 * not depend on; NTLM sealing keeps one stream per direction for the whole session, so the state
 * (i, j, S) persists across update() calls.
 */
export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      // Indexes are masked to 0..255 (S has 256 entries): `?? 0` never applies; it satisfies the checker cheaply.
      const t = s[i] ?? 0;
      j = (j + t + (key[i % key.length] ?? 0)) & 0xff;
      s[i] = s[j] ?? 0;
      s[j] = t;
    }
  }

  /** Encrypts or decrypts (the same operation), advancing the key stream. */
  update(data: Uint8Array): Buffer {
    const s = this.#s;
    const out = Buffer.allocUnsafe(data.length);
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i] ?? 0;
      j = (j + si) & 0xff;
      const sj = s[j] ?? 0;
      s[i] = sj;
      s[j] = si;
      out[n] = (data[n] ?? 0) ^ (s[(si + sj) & 0xff] ?? 0);
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}

/** One-shot RC4 (NTLM's RC4K, used for the key exchange). */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
