// Validation against the published JSON Schemas (schemas/*.json), for tests and for `assess --check`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { SCHEMA_DIR } from './paths.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export type SchemaName = 'assessment' | 'software' | 'dependencies';
let validators: Record<SchemaName, ValidateFunction> | undefined;

export function schemaValidators(): Record<SchemaName, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('date-time', ISO_DATE_TIME);
  const read = (f: string) => JSON.parse(readFileSync(join(SCHEMA_DIR(), f), 'utf8')) as object;
  ajv.addSchema(read('assessment.schema.json'), 'assessment.schema.json');
  ajv.addSchema(read('software.schema.json'), 'software.schema.json');
  ajv.addSchema(read('dependencies.schema.json'), 'dependencies.schema.json');
  const compiled = (name: string) => {
    const v = ajv.getSchema(name);
    if (!v) throw new Error(`${name}: the schema did not compile`);
    return v;
  };
  validators = {
    assessment: compiled('assessment.schema.json'),
    software: compiled('software.schema.json'),
    dependencies: compiled('dependencies.schema.json'),
  };
  return validators;
}

/** Human-readable schema errors ("/machines/0/sizing: must have required property 'status'"). */
export function schemaErrors(which: SchemaName, value: unknown): string[] {
  const v = schemaValidators()[which];
  if (v(value)) return [];
  return (v.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
  );
}
