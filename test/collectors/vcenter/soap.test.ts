import { describe, expect, it } from 'vitest';
import { XmlRejected, parseXml, path, textOf } from '../../../common/xml/reader.js';
import { el, envelope, escapeXml } from '../../../collectors/vcenter/soap/xml.js';

describe('vim25 XML wire', () => {
  it('escapes every text value in envelopes', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const xml = envelope('Login', { type: 'SessionManager', value: 'SessionManager' }, el('userName', 'x') + el('password', 'p<&>"'));
    const root = parseXml(xml);
    expect(textOf(path(root, 'Body.Login'), 'password')).toBe('p<&>"');
  });

  it('reads xsi:type and managed object reference types, without prefixes', () => {
    const root = parseXml(
      '<s:Envelope xmlns:s="x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body><R><returnval><val xsi:type="ArrayOfVirtualDevice"><VirtualDevice xsi:type="VirtualDisk"><key>2000</key></VirtualDevice></val><obj type="VirtualMachine">vm-1</obj></returnval></R></s:Body></s:Envelope>',
    );
    const rv = path(root, 'Body.R.returnval')!;
    expect(path(rv, 'val')!.type).toBe('ArrayOfVirtualDevice');
    expect(path(rv, 'val.VirtualDevice')!.type).toBe('VirtualDisk');
    expect(path(rv, 'obj')!.refType).toBe('VirtualMachine');
    expect(path(rv, 'obj')!.text).toBe('vm-1');
  });

  it('refuses a DOCTYPE (external entities, billion laughs)', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(() => parseXml(xxe)).toThrow(XmlRejected);
    expect(() => parseXml(xxe)).toThrow(/DOCTYPE/);
    const laughs = '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>';
    expect(() => parseXml(laughs)).toThrow(/DOCTYPE/);
  });

  it('refuses undefined entities, malformed, too deep and too large documents', () => {
    expect(() => parseXml('<r>&foo;</r>')).toThrow(XmlRejected);
    expect(() => parseXml('<r><a></r>')).toThrow(/malformed/);
    expect(() => parseXml('<a>'.repeat(100) + '</a>'.repeat(100))).toThrow(/deeper than 64/);
    expect(() => parseXml(`<r>${'x'.repeat(2000)}</r>`, { maxBytes: 1000, maxDepth: 64 })).toThrow(/larger than/);
  });
});
