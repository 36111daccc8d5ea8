// The one XML reader (common/xml/): every cap fails while the document streams in, with a typed error
// that names the limit; DTDs are refused; namespaces are resolved.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  SaxReader,
  TreeBuilder,
  XmlLimitError,
  XmlRejected,
  child,
  kids,
  parseXml,
  path,
  resolveQName,
} from '../../common/xml/reader.js';

function limitError(fn: () => unknown): XmlLimitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof XmlLimitError) return e;
    throw e;
  }
  throw new Error('expected an XmlLimitError');
}

describe('XML reader caps', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: 64 * 1024 * 1024, maxDepth: 64, maxElements: 2_000_000, maxTextLength: 16 * 1024 * 1024 });
  });

  it('bytes: refused before the chunk past the cap is parsed', () => {
    const e = limitError(() => parseXml(`<r>${'<a>x</a>'.repeat(200)}</r>`, { maxBytes: 1024 }));
    expect(e).toBeInstanceOf(XmlRejected);
    expect([e.limit, e.value, e.reason]).toEqual(['maxBytes', 1024, 'limit']);
    expect(e.message).toBe('the response is larger than 1 KB');
    // Counted in UTF-8 bytes, not characters: 600 three-byte characters are 1800 bytes.
    expect(limitError(() => parseXml(`<r>${'€'.repeat(600)}</r>`, { maxBytes: 1024 })).limit).toBe('maxBytes');
  });

  it('depth: the 65th level is refused', () => {
    expect(() => parseXml('<a>'.repeat(64) + '</a>'.repeat(64))).not.toThrow();
    const e = limitError(() => parseXml('<a>'.repeat(65) + '</a>'.repeat(65)));
    expect([e.limit, e.value]).toEqual(['maxDepth', 64]);
    expect(e.message).toBe('elements nest deeper than 64 levels');
  });

  it('elements: counted as they open, the error names the figure', () => {
    expect(() => parseXml(`<r>${'<a/>'.repeat(9)}</r>`, { maxElements: 10 })).not.toThrow();
    const e = limitError(() => parseXml(`<r>${'<a/>'.repeat(10)}</r>`, { maxElements: 10, subject: 'the vCenter answer' }));
    expect([e.limit, e.value]).toEqual(['maxElements', 10]);
    expect(e.message).toBe('the vCenter answer exceeded 10 elements');
    expect(limitError(() => parseXml(`<r>${'<a/>'.repeat(2_000_000)}</r>`)).message).toBe('the response exceeded 2,000,000 elements');
  });

  it('text: one long run fails while it streams, before its end tag arrives', () => {
    const reader = new SaxReader(new TreeBuilder(), { maxTextLength: 100_000 });
    reader.write('<r>');
    const chunk = 'x'.repeat(10_000);
    let written = 0;
    const e = limitError(() => {
      for (;;) {
        reader.write(chunk);
        written += chunk.length;
      }
    });
    expect([e.limit, e.value]).toEqual(['maxTextLength', 100_000]);
    expect(e.message).toBe('a text node of the response exceeded 100,000 characters');
    expect(written).toBeLessThanOrEqual(100_000);
    // The reader stays failed.
    expect(() => reader.write('</r>')).toThrow(XmlLimitError);
    // Runs are counted per text node: many short ones are fine.
    expect(() => parseXml(`<r>${'<a>12345</a>'.repeat(100)}</r>`, { maxTextLength: 10 })).not.toThrow();
    expect(limitError(() => parseXml('<r><a>12345678901</a></r>', { maxTextLength: 10 })).limit).toBe('maxTextLength');
  });
});

describe('XML reader hardening', () => {
  it('refuses a DOCTYPE (external entities, billion laughs) before any entity is read', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    const laughs = '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>';
    for (const doc of [xxe, laughs, '<!DOCTYPE r><r/>']) {
      const err = (() => {
        try {
          parseXml(doc);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(XmlRejected);
      expect((err as XmlRejected).reason).toBe('doctype');
      expect((err as Error).message).toMatch(/DOCTYPE/);
    }
  });

  it('knows only the predefined entities; malformed, empty and two-root documents are refused', () => {
    expect(parseXml('<r>&lt;&amp;&gt;&quot;&apos;&#65;</r>').text).toBe('<&>"\'A');
    expect(() => parseXml('<r>&foo;</r>')).toThrow(/malformed XML/);
    expect(() => parseXml('<r><a></r>')).toThrow(/malformed XML/);
    expect(() => parseXml('   ')).toThrow(/root element/);
    expect(() => parseXml('<a/><b/>')).toThrow(XmlRejected);
  });
});

describe('XML reader namespaces and nodes', () => {
  const doc = [
    '<s:Envelope xmlns:s="urn:soap" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:default">',
    '<s:Body><Item xsi:type="xsd:string" type="HostSystem" Name="n" xml:lang="en">host-1</Item>',
    '<s:Value>s:Sender</s:Value>',
    '<p:Inner xmlns:p="urn:inner" xmlns:s="urn:shadow"><s:Deep/></p:Inner><s:After/>',
    '<Plain xmlns=""/></s:Body></s:Envelope>',
  ].join('');

  it('resolves element namespaces, with declarations scoped to their element', () => {
    const env = parseXml(doc);
    expect([env.name, env.ns]).toEqual(['Envelope', 'urn:soap']);
    const body = child(env, 'Body');
    expect(kids(body).map((c) => [c.name, c.ns])).toEqual([
      ['Item', 'urn:default'],
      ['Value', 'urn:soap'],
      ['Inner', 'urn:inner'],
      ['After', 'urn:soap'],
      ['Plain', ''],
    ]);
    expect(path(body, 'Inner', 'Deep')?.ns).toBe('urn:shadow');
    expect(child(body, 'Item', 'urn:other')).toBeNull();
  });

  it('keeps xsi:type, the MoRef type and attributes by local name or {uri}local', () => {
    const item = path(parseXml(doc), 'Body', 'Item');
    expect(item).toMatchObject({ text: 'host-1', type: 'string', refType: 'HostSystem', children: null });
    expect(item?.attrs).toEqual({
      '{http://www.w3.org/2001/XMLSchema-instance}type': 'xsd:string',
      type: 'HostSystem',
      Name: 'n',
      '{http://www.w3.org/XML/1998/namespace}lang': 'en',
    });
  });

  it('resolves prefixed attributes in the scope of their element, redeclarations included', () => {
    const r = parseXml('<r xmlns:a="u1"><x a:t="1"/><y xmlns:a="u2" a:t="2"/><z a:t="3"/><a:w/></r>');
    expect(kids(r).map((c) => [c.name, c.ns, c.attrs])).toEqual([
      ['x', '', { '{u1}t': '1' }],
      ['y', '', { '{u2}t': '2' }],
      ['z', '', { '{u1}t': '3' }],
      ['w', 'u1', {}],
    ]);
    // An undeclared prefix resolves to no namespace rather than failing a whole answer.
    expect(parseXml('<q:r q:k="v"/>')).toMatchObject({ name: 'r', ns: '', attrs: { '{}k': 'v' } });
  });

  it('resolves QName values in the element scope (SOAP fault codes)', () => {
    const env = parseXml(doc);
    const value = path(env, 'Body', 'Value');
    expect(value && resolveQName(value, value.text)).toEqual({ ns: 'urn:soap', local: 'Sender' });
    const deep = path(env, 'Body', 'Inner', 'Deep');
    expect(deep && resolveQName(deep, 's:x')).toEqual({ ns: 'urn:shadow', local: 'x' });
    expect(deep?.parent?.name).toBe('Inner');
  });

  it('keeps leaf text whole and drops layout whitespace between children', () => {
    const r = parseXml('<r>\n  <a> x </a>\n  <b><![CDATA[<y>]]></b>\n</r>');
    expect(r.text).toBe('');
    expect(kids(r).map((c) => c.text)).toEqual([' x ', '<y>']);
  });

  it('detach: an item handed off when it closes is dropped from the tree', () => {
    const seen: string[] = [];
    const root = parseXml('<r><Items><i>1</i><i>2</i></Items><End/></r>', {
      detach: (n) => n.name === 'i' && seen.push(n.text) > 0,
    });
    expect(seen).toEqual(['1', '2']);
    expect(child(root, 'Items')?.children).toEqual([]);
  });

  it('streams across chunk boundaries, multi-byte characters split included', () => {
    const bytes = Buffer.from('<r a="é">€ and 𝄞</r>', 'utf8');
    const tree = new TreeBuilder();
    const reader = new SaxReader(tree);
    for (const b of bytes) reader.write(Uint8Array.of(b));
    reader.end();
    expect(tree.root?.text).toBe('€ and 𝄞');
    expect(tree.root?.attrs.a).toBe('é');
    expect(reader.bytes).toBe(bytes.length);
  });
});

describe('XML reader memory', () => {
  it('a flood of 5,000,000 <a/> streamed in fails at the element cap with the heap bounded', () => {
    const MB = 1024 * 1024;
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const tree = new TreeBuilder();
    const reader = new SaxReader(tree);
    const chunk = Buffer.from('<a/>'.repeat(16_384)); // 64 KB, as a socket delivers it
    let elementsSent = 0;
    const e = limitError(() => {
      reader.write('<flood>');
      while (elementsSent < 5_000_000) {
        reader.write(chunk);
        elementsSent += 16_384;
        if (elementsSent % (16_384 * 8) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(e.message).toBe('the response exceeded 2,000,000 elements');
    expect(elementsSent).toBeLessThan(2_100_000);
    // 2,000,000 nodes of ~100 bytes are held at the cap; without it the tree grew to gigabytes.
    expect((peak - before) / MB).toBeLessThan(300);
  });
});
