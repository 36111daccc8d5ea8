// Limits on what a config file may cost to read: a YAML alias bomb ("billion laughs") or a huge file
// becomes an error:/fix: (exit 2), never a stack trace or an out-of-memory.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Document } from 'yaml';
import { UserError } from '../common/errors.js';

/** A real config is a few KB; 4 MB leaves room for thousands of sources. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Aliases a config may resolve: anchors are fine for sharing settings, not for exponential expansion. */
export const MAX_ALIAS_COUNT = 100;

/** Refuses a file over the byte cap before reading it. */
export function checkConfigSize(path: string, size = statSync(path).size): void {
  if (size <= MAX_CONFIG_BYTES) return;
  throw new UserError(
    `${path}: the config file is ${(size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_CONFIG_BYTES / 1024 / 1024} MB limit.`,
    {
      fix: 'Check that --config names the YAML config (not a log or an export); a config is a few KB.',
      code: 'CONFIG_TOO_LARGE',
    },
  );
}

/** The document as plain data, with aliases bounded (yaml throws a ReferenceError past the count). */
export function documentToJS(doc: Document, path: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new UserError(`${path}: the YAML expands too many aliases (*name references; ${err.message.split('\n')[0]}).`, {
      fix: `Write the values out instead of nesting aliases; a config may resolve at most ${MAX_ALIAS_COUNT} aliases.`,
      code: 'CONFIG_YAML',
    });
  }
}

/**
 * A caFile that exists must hold at least one PEM certificate: Node would otherwise accept it, trust
 * nothing (or, worse, fall back to defaults elsewhere) and fail later with a confusing TLS error.
 * A missing file is reported when the source connects (tls.ts), like before.
 */
export function checkCaFile(file: string, key: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const valid = pems.some((pem) => {
    try {
      new X509Certificate(pem);
      return true;
    } catch {
      return false;
    }
  });
  if (valid) return;
  throw new UserError(`${key}: ${file} holds no PEM certificate.`, {
    fix: 'Point caFile at the CA certificate in PEM form ("-----BEGIN CERTIFICATE-----"), e.g. exported from the vCenter or your PKI; or pin the server certificate with tls.thumbprint.',
    code: 'TLS_CA_INVALID',
  });
}

/** Every tls.caFile in a parsed config, with its config path. */
export function caFilesOf(config: { sources: Array<object>; sink?: { tls?: { caFile?: string } } }): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  config.sources.forEach((s, i) => {
    // Linux (SSH) sources have no TLS settings.
    const caFile = 'tls' in s ? (s.tls as { caFile?: string } | undefined)?.caFile : undefined;
    if (caFile) out.push([`sources[${i}].tls.caFile`, caFile]);
  });
  if (config.sink?.tls?.caFile) out.push(['sink.tls.caFile', config.sink.tls.caFile]);
  return out;
}
