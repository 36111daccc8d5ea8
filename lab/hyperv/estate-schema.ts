// schemas/estate.schema.json is generated from lab/estate.ts's zod schema (the one source of truth).
// Regenerate after changing the estate format: `node dist/lab/hyperv/estate-schema.js --write`
// (a test fails while the committed file is stale).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { estateSchema } from '../estate.js';

export function estateJsonSchema(): Record<string, unknown> {
  // "input": what a person writes in the YAML (fields with defaults are optional).
  const generated = z.toJSONSchema(estateSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://assessment-collector.local/schemas/estate.schema.json',
    title: 'assessment-collector lab estate',
    description:
      'Hosts (vCenter ESXi hosts and Hyper-V hosts, with clusters), VMs and their workloads, for the lab simulators (collector lab vcenter / collector lab hyperv) and the tests. Generated from lab/estate.ts; see lab/estates/sample.yaml.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export function estateJsonSchemaText(): string {
  return `${JSON.stringify(estateJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  writeFileSync(join(root, 'schemas', 'estate.schema.json'), estateJsonSchemaText());
}
