import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { estateJsonSchemaText } from '../../../lab/hyperv/estate-schema.js';

describe('schemas/estate.schema.json', () => {
  it('is current with lab/estate.ts (regenerate: node dist/lab/hyperv/estate-schema.js --write)', () => {
    expect(readFileSync('schemas/estate.schema.json', 'utf8')).toBe(estateJsonSchemaText());
  });

  it('accepts the sample estate and rejects a misspelt key and a bad platform', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync('schemas/estate.schema.json', 'utf8')));
    expect(validate(parse(readFileSync('lab/estates/sample.yaml', 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ hosts: [{ name: 'hv01', platform: 'hyperv', clustr: 'X' }] })).toBe(false);
    expect(validate({ hosts: [{ name: 'hv01', platform: 'xen' }] })).toBe(false);
    expect(validate({ vms: [{ name: 'a', host: 'hv01', generation: 3 }] })).toBe(false);
  });
});
