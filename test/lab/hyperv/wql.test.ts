import { describe, expect, it } from 'vitest';
import { matches, parseWql, project, WqlError } from '../../../lab/hyperv/wql.js';

const vm = {
  Caption: 'Virtual Machine',
  Name: 'A1B2',
  ElementName: "o'brien\\box",
  EnabledState: '2',
  Notes: ['x'],
  OtherEnabledState: null,
};

describe('WQL subset', () => {
  it('parses SELECT * and projections, case-insensitively', () => {
    expect(parseWql('SELECT * FROM Msvm_ComputerSystem')).toEqual({ className: 'Msvm_ComputerSystem', properties: null, where: null });
    const q = parseWql('select Name, ElementName from msvm_computersystem where caption = "Virtual Machine"');
    expect(q.properties).toEqual(['Name', 'ElementName']);
    expect(q.className).toBe('msvm_computersystem');
    expect(matches(q.where, vm)).toBe(true);
  });

  it('evaluates AND / OR / NOT, parentheses, numbers and string comparisons like WMI', () => {
    const t = (w: string): boolean => matches(parseWql(`SELECT * FROM C WHERE ${w}`).where, vm);
    expect(t("Caption='virtual machine' AND EnabledState=2")).toBe(true);
    expect(t("Caption='Hosting Computer System' OR EnabledState = 3")).toBe(false);
    expect(t("NOT (Caption='Hosting Computer System') AND (EnabledState=3 OR Name='a1b2')")).toBe(true);
    expect(t('EnabledState >= 2 AND EnabledState < 3 AND EnabledState <> 4 AND EnabledState != 5')).toBe(true);
    expect(t("ElementName = 'o\\'brien\\\\box'")).toBe(true);
    expect(t("Caption LIKE 'Virtual%'")).toBe(true);
    expect(t("Caption LIKE 'Host%'")).toBe(false);
    expect(t('OtherEnabledState IS NULL AND Name IS NOT NULL')).toBe(true);
    // Arrays cannot be compared in WQL: never equal.
    expect(t("Notes = 'x'")).toBe(false);
  });

  it('refuses what WMI refuses with a reason', () => {
    expect(() => parseWql('SELECT FROM X')).toThrow(WqlError);
    expect(() => parseWql('SELECT * FROM X WHERE')).toThrow(/invalid WQL/);
    expect(() => parseWql("SELECT * FROM X WHERE a = 'open")).toThrow(/unterminated/);
    expect(() => parseWql('SELECT * FROM X JOIN Y')).toThrow(/unexpected "JOIN"/);
    expect(() => matches(parseWql('SELECT * FROM X WHERE Nope = 1').where, vm, 'X')).toThrow(/X has no property Nope/);
  });

  it('projects onto the class spelling and rejects unknown properties', () => {
    expect(project(vm, ['name', 'ELEMENTNAME'])).toEqual({ Name: 'A1B2', ElementName: "o'brien\\box" });
    expect(project(vm, null)).toBe(vm);
    expect(() => project(vm, ['Bogus'], 'Msvm_ComputerSystem')).toThrow(/Msvm_ComputerSystem has no property Bogus/);
  });
});
