// The one redaction step for everything that leaves the process: log lines (pino's streamWrite
// hook), CLI errors and summaries, web responses (an onSend hook), stored error text and exports.
// It knows the secret values themselves: config/secrets.ts registers every secret it resolves and
// the web app every password typed into a form, so a peer that echoes a password back (an HTML
// error page, a SOAP fault) cannot carry it out through an error message.

export const REDACTED = '[redacted]';

/** Shorter values would blank out ordinary words; such a password is no secret anyway. */
const MIN_SECRET_LENGTH = 4;
/** A base64 fragment this short matches too much ordinary text. */
const MIN_BASE64_CORE = 6;
/** Bounded: values are only added when a secret is resolved or typed in. */
const MAX_SECRETS = 256;

const secrets = new Set<string>();
let pattern: RegExp | null = null;

/** Adds a resolved secret value to the registry (idempotent). */
export function registerSecretValue(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  if (secrets.size >= MAX_SECRETS) {
    const oldest = secrets.values().next(); // the set is full, so never done
    if (!oldest.done) secrets.delete(oldest.value);
  }
  secrets.add(value);
  pattern = null;
}

/** For tests: forget every registered value. */
export function clearSecretValues(): void {
  secrets.clear();
  pattern = null;
}

/** Removes every registered secret value, in every encoding we know, plus well-known secret fields. */
export function redact(text: string): string {
  if (!text) return text;
  let out = text;
  if (secrets.size > 0) {
    pattern ??= buildPattern();
    out = out.replace(pattern, REDACTED);
  }
  return redactFields(out);
}

/**
 * For a snippet cut off at a byte limit (the first 200 bytes of an error page): the cut may fall inside
 * a secret, leaving a prefix that redact() cannot recognise. A tail that starts a known form is dropped.
 */
export function redactSnippet(text: string): string {
  let out = redact(text);
  if (secrets.size === 0) return out;
  for (const s of secrets) {
    for (const f of encodings(s)) {
      for (let k = Math.min(f.length - 1, out.length); k >= MIN_SECRET_LENGTH; k--) {
        if (out.endsWith(f.slice(0, k))) {
          out = `${out.slice(0, out.length - k)}${REDACTED}`;
          break;
        }
      }
    }
  }
  return out;
}

/** Applies redact() to a Buffer or string payload; anything else (streams) passes unchanged. */
export function redactPayload<T>(payload: T): T | string {
  if (typeof payload === 'string') return redact(payload);
  if (Buffer.isBuffer(payload) && secrets.size > 0) {
    const text = payload.toString('utf8');
    const clean = redact(text);
    return clean === text ? payload : clean;
  }
  return payload;
}

/** Secret-bearing fields recognised by shape, whatever their value (session cookies, auth headers, XML/JSON password fields). */
function redactFields(text: string): string {
  return (
    text
      .replace(/(vmware_soap_session=)("?)[^";\s]+/gi, `$1$2${REDACTED}`)
      .replace(/(Authorization:\s*(?:Basic|Bearer|Negotiate|NTLM)\s+)[A-Za-z0-9+/=._-]+/gi, `$1${REDACTED}`)
      .replace(/(<(?:\w+:)?password>)[^<]*(<\/(?:\w+:)?password>)/gi, `$1${REDACTED}$2`)
      .replace(/(&lt;(?:\w+:)?password&gt;)(?:(?!&lt;).)*(&lt;\/(?:\w+:)?password&gt;)/gi, `$1${REDACTED}$2`)
      .replace(/("(?:password|secret|token|access_token|client_secret)"\s*:\s*")(?:[^"\\]|\\.)*(")/gi, `$1${REDACTED}$2`)
      .replace(/(client_secret=)[^&\s]+/gi, `$1${REDACTED}`)
      // A SAS URI's signature is the credential to the blob.
      .replace(/([?&]sig=)[^&\s"']+/gi, `$1${REDACTED}`)
  );
}

function buildPattern(): RegExp {
  const forms = new Set<string>();
  for (const s of secrets) for (const f of encodings(s)) if (f.length >= MIN_SECRET_LENGTH) forms.add(f);
  // Longest first, so an encoded form is replaced whole rather than its plain prefix.
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(alternatives.join('|'), 'g');
}

/** The forms a secret takes on its way out: as typed, URL-, form-, HTML/XML-, JSON-encoded and base64. */
export function encodings(secret: string): string[] {
  const out = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    xmlNumeric(secret),
  ];
  for (const quote of ['&quot;', '&#34;']) {
    for (const apos of ['&#39;', '&apos;', '&#x27;']) {
      out.push(secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, quote).replace(/'/g, apos));
    }
  }
  out.push(...base64Cores(secret));
  return out;
}

/**
 * Inside a longer base64 text (Basic auth "user:password", a token) the secret's characters depend on
 * where it starts: for each of the three alignments keep the characters fed by the secret's bytes only.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const core = b64.slice(Math.ceil((k * 8) / 6), Math.floor(((k + bytes.length) * 8) / 6));
    if (core.length >= MIN_BASE64_CORE) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

function xmlNumeric(s: string): string {
  // XML numeric character references for every non-alphanumeric character (what some SOAP stacks emit).
  return s.replace(/[^A-Za-z0-9]/g, (c) => `&#${c.codePointAt(0)};`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
