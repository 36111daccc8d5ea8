import { z } from 'zod';

// Messages follow one rule: say what is expected and how to fix it; the loader adds the key and the bad value.

export const secretRef = z.union(
  [
    z.object({ env: z.string().min(1) }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
    // Written by the appliance's web app: AES-256-GCM ciphertext (see config/secret-refs.ts).
    z.object({ encrypted: z.string().min(1) }).strict(),
  ],
  {
    error:
      'expected a secret reference, not the secret itself. Fix: write { env: VARIABLE_NAME } (read from the environment) or { file: /path/to/file } (first line of a file readable only by the service)',
  },
);
export type SecretRef = z.infer<typeof secretRef>;

const thumbprint = z.string().regex(/^([0-9A-Fa-f]{2}[: ]?){31}[0-9A-Fa-f]{2}$/, {
  error:
    'expected a SHA-256 thumbprint: 32 hex bytes such as "AB:CD:...". Fix: copy the SHA-256 fingerprint shown in the TLS error or by `openssl x509 -noout -fingerprint -sha256`',
});

export const tlsSettings = z
  .object({
    insecure: z.boolean({ error: 'expected true or false' }).optional(),
    caFile: z.string().min(1).optional(),
    thumbprint: thumbprint.optional(),
  })
  .strict()
  .default({});

export const sourceName = z.string({ error: 'expected a short name for the source' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
  error: 'expected letters, digits, ".", "_" or "-" (up to 63, starting with a letter or digit). Fix: rename the source, e.g. lab-vcenter',
});

/**
 * Caps on each answer read from a source's peer (issue 10): bytes and elements are checked while the answer
 * streams in, so a broken or hostile peer fails at the cap instead of exhausting the appliance's memory. A genuine
 * peer stays far below the defaults (a 500-object vim25 page is about 3 MB and 100,000 elements).
 */
export const peerLimits = z
  .object({
    /** Megabytes of one answer (vim25 response, WS-Man reply). */
    maxResponseMB: z.number().int().min(1).max(1024).default(64),
    /** XML elements in one answer, counted as they are read. */
    maxElements: z.number().int().min(10_000).max(50_000_000).default(2_000_000),
  })
  .strict()
  .default({ maxResponseMB: 64, maxElements: 2_000_000 });
export type PeerLimits = z.infer<typeof peerLimits>;
