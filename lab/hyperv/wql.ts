// The WQL subset the simulator answers: SELECT * | a, b FROM Class [WHERE condition], where a
// condition combines comparisons (=, <>, !=, <, >, <=, >=, LIKE, IS [NOT] NULL) with AND, OR, NOT
// and parentheses. WMI semantics kept: keywords, class and property names and string comparisons
// are case-insensitive; string literals use '...' or "..." with backslash escapes.

/** Why a query was refused; the backend turns it into the WS-Man fault Windows sends. */
export class WqlError extends Error {
  constructor(
    readonly kind: 'InvalidQuery' | 'InvalidClass' | 'InvalidProperty',
    message: string,
  ) {
    super(message);
    this.name = 'WqlError';
  }
}

export type WqlLiteral = string | number | boolean | null;

export type WqlCondition =
  | { op: 'and' | 'or'; left: WqlCondition; right: WqlCondition }
  | { op: 'not'; inner: WqlCondition }
  | { op: 'cmp'; property: string; cmp: '=' | '<>' | '<' | '>' | '<=' | '>=' | 'like'; value: WqlLiteral }
  | { op: 'isnull'; property: string; negate: boolean };

export interface WqlQuery {
  className: string;
  /** null for SELECT * (full class rendering); otherwise the projected properties as written. */
  properties: string[] | null;
  where: WqlCondition | null;
}

type Token = { t: 'word' | 'str' | 'num' | 'sym'; v: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new WqlError('InvalidQuery', `unterminated string literal in WQL: ${text}`);
        const d = text.charAt(i);
        if (d === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'str', v });
    } else if (/[0-9-]/.test(c) && /[0-9]/.test(text[i + (c === '-' ? 1 : 0)] ?? '')) {
      const v = /^-?[0-9]+(\.[0-9]+)?/.exec(text.slice(i))?.[0] ?? c; // the test above guarantees a match
      out.push({ t: 'num', v });
      i += v.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const v = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0] ?? c;
      out.push({ t: 'word', v });
      i += v.length;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '<>' || two === '!=' || two === '<=' || two === '>=') {
        out.push({ t: 'sym', v: two === '!=' ? '<>' : two });
        i += 2;
      } else if ('=<>(),*'.includes(c)) {
        out.push({ t: 'sym', v: c });
        i++;
      } else {
        throw new WqlError('InvalidQuery', `unexpected character "${c}" in WQL: ${text}`);
      }
    }
  }
  return out;
}

/** Parses the subset; anything else is refused as Windows refuses a bad query. */
export function parseWql(text: string): WqlQuery {
  const toks = tokenize(text);
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const isWord = (w: string): boolean => peek()?.t === 'word' && peek()?.v.toUpperCase() === w;
  const fail = (what: string): never => {
    throw new WqlError('InvalidQuery', `invalid WQL (${what}): ${text}`);
  };
  const expectWord = (w: string): void => {
    if (!isWord(w)) fail(`expected ${w}`);
    p++;
  };
  const ident = (): string => {
    const tok = peek();
    if (tok?.t !== 'word') return fail('expected a name');
    p++;
    return tok.v;
  };

  expectWord('SELECT');
  let properties: string[] | null;
  if (peek()?.t === 'sym' && peek()?.v === '*') {
    p++;
    properties = null;
  } else {
    properties = [ident()];
    while (peek()?.t === 'sym' && peek()?.v === ',') {
      p++;
      properties.push(ident());
    }
  }
  expectWord('FROM');
  const className = ident();

  const literal = (): WqlLiteral => {
    const tok = peek();
    if (!tok) return fail('expected a value');
    p++;
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'num') return Number(tok.v);
    if (tok.t === 'word') {
      const u = tok.v.toUpperCase();
      if (u === 'TRUE') return true;
      if (u === 'FALSE') return false;
      if (u === 'NULL') return null;
    }
    return fail(`unexpected "${tok.v}"`);
  };
  const primary = (): WqlCondition => {
    if (isWord('NOT')) {
      p++;
      return { op: 'not', inner: primary() };
    }
    if (peek()?.t === 'sym' && peek()?.v === '(') {
      p++;
      const inner = orExpr();
      if (!(peek()?.t === 'sym' && peek()?.v === ')')) fail('expected )');
      p++;
      return inner;
    }
    const property = ident();
    if (isWord('IS')) {
      p++;
      let negate = false;
      if (isWord('NOT')) {
        p++;
        negate = true;
      }
      expectWord('NULL');
      return { op: 'isnull', property, negate };
    }
    if (isWord('LIKE')) {
      p++;
      return { op: 'cmp', property, cmp: 'like', value: literal() };
    }
    const tok = peek();
    if (tok?.t !== 'sym' || !['=', '<>', '<', '>', '<=', '>='].includes(tok.v)) return fail(`expected a comparison after ${property}`);
    p++;
    return { op: 'cmp', property, cmp: tok.v as '=', value: literal() };
  };
  const andExpr = (): WqlCondition => {
    let left = primary();
    while (isWord('AND')) {
      p++;
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): WqlCondition => {
    let left = andExpr();
    while (isWord('OR')) {
      p++;
      left = { op: 'or', left, right: andExpr() };
    }
    return left;
  };

  let where: WqlCondition | null = null;
  if (isWord('WHERE')) {
    p++;
    where = orExpr();
  }
  const extra = toks[p];
  if (extra) fail(`unexpected "${extra.v}"`);
  return { className, properties, where };
}

/** The property values the evaluator sees: CIM values as the data layer holds them. */
export type WqlValue = unknown;

function lookup(props: Record<string, WqlValue>, name: string): { found: boolean; value: WqlValue } {
  if (name in props) return { found: true, value: props[name] };
  const lower = name.toLowerCase();
  for (const k of Object.keys(props)) if (k.toLowerCase() === lower) return { found: true, value: props[k] };
  return { found: false, value: undefined };
}

function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

function compare(actual: WqlValue, cmp: string, literal: WqlLiteral): boolean {
  if (actual === null || actual === undefined || literal === null) return false;
  if (Array.isArray(actual) || typeof actual === 'object') return false; // WQL cannot compare arrays or embedded objects
  const a = String(actual);
  let order: number;
  if (cmp === 'like') return likeToRegExp(String(literal)).test(a);
  if (typeof literal === 'number') {
    const n = Number(a);
    if (Number.isNaN(n)) return false;
    order = n === literal ? 0 : n < literal ? -1 : 1;
  } else if (typeof literal === 'boolean') {
    order = a.toLowerCase() === String(literal) ? 0 : 1;
    if (cmp !== '=' && cmp !== '<>') return false;
  } else {
    const x = a.toLowerCase();
    const y = literal.toLowerCase();
    order = x === y ? 0 : x < y ? -1 : 1;
  }
  switch (cmp) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    default:
      return order >= 0;
  }
}

/** Evaluates a WHERE condition; a property the class does not have is an invalid query, as in WMI. */
export function matches(cond: WqlCondition | null, props: Record<string, WqlValue>, className = 'the class'): boolean {
  if (!cond) return true;
  switch (cond.op) {
    case 'and':
      return matches(cond.left, props, className) && matches(cond.right, props, className);
    case 'or':
      return matches(cond.left, props, className) || matches(cond.right, props, className);
    case 'not':
      return !matches(cond.inner, props, className);
    case 'isnull': {
      const { found, value } = lookup(props, cond.property);
      if (!found) throw new WqlError('InvalidProperty', `${className} has no property ${cond.property}`);
      const isNull = value === null || value === undefined || (Array.isArray(value) && value.length === 0);
      return cond.negate ? !isNull : isNull;
    }
    case 'cmp': {
      const { found, value } = lookup(props, cond.property);
      if (!found) throw new WqlError('InvalidProperty', `${className} has no property ${cond.property}`);
      return compare(value, cond.cmp, cond.value);
    }
  }
}

/**
 * Projects an instance onto the selected properties, spelled as the class spells them (WMI
 * returns its own spelling). Unknown properties are an invalid query.
 */
export function project<V>(props: Record<string, V>, selected: string[] | null, className = 'the class'): Record<string, V> {
  if (!selected) return props;
  const out: Record<string, V> = {};
  for (const name of selected) {
    const lower = name.toLowerCase();
    const hit = Object.entries(props).find(([k]) => k.toLowerCase() === lower);
    if (!hit) throw new WqlError('InvalidProperty', `${className} has no property ${name}`);
    out[hit[0]] = hit[1];
  }
  return out;
}
