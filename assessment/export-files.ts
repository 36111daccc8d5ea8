// Writes exports to disk: JSON as is, the CSV as one file per 20,000 servers (FILE, FILE-2.csv, ...).
import { writeFile } from 'node:fs/promises';
import type { Assessment } from './build.js';
import { toAzureMigrateCsv } from './csv.js';

export interface WrittenExport {
  files: { path: string; servers: number }[];
  warnings: string[];
}

export function partPath(out: string, part: number): string {
  if (part === 1) return out;
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(out)!;
  return `${m[1]}-${part}${m[2] ?? ''}`;
}

export async function writeExport(a: Assessment, format: 'azure-migrate-csv' | 'json', out: string): Promise<WrittenExport> {
  if (format === 'json') {
    if (out === '-') process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
    else await writeFile(out, `${JSON.stringify(a, null, 2)}\n`);
    return { files: [{ path: out, servers: a.machines.length }], warnings: [] };
  }
  const { files, warnings } = toAzureMigrateCsv(a.machines);
  if (out === '-' && files.length > 1) warnings.push('stdout holds only the first file: give --out FILE to get every part');
  const written: WrittenExport['files'] = [];
  for (const f of files) {
    const path = partPath(out, f.part);
    if (path === '-') process.stdout.write(f.text);
    else await writeFile(path, f.text);
    written.push({ path, servers: f.servers });
    if (out === '-') break;
  }
  return { files: written, warnings };
}
