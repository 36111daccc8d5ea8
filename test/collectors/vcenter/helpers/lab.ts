import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ROOT } from '../../../helpers/cli.js';
import pino from 'pino';
import type { Logger } from '../../../../common/log.js';
import { vcenterSource, type VcenterSourceConfig } from '../../../../config/schema/vcenter.js';
import type { Sim } from './sim.js';

let envCounter = 0;

/** A vCenter source config for the simulator; the password goes through an env reference, as in production. */
export function simConfig(sim: Sim, overrides: Record<string, unknown> = {}): VcenterSourceConfig {
  const env = `VCSIM_TEST_PASSWORD_${process.pid}_${envCounter++}`;
  process.env[env] = sim.password;
  return vcenterSource.parse({
    name: 'lab-vc',
    kind: 'vcenter',
    url: sim.url,
    username: sim.username,
    password: { env },
    tls: { thumbprint: sim.thumbprint },
    ...overrides,
  });
}

/** A logger that keeps every line, so tests can check that secrets never reach the log. */
export function capturingLogger(): { log: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  });
  return { log: pino({ level: 'trace' }, stream), text: () => text };
}

/** FNV-1a 32-bit, as the simulator wrapper computes its perf values. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The raw value the simulator serves for a sample, or null when it serves -1 ("no data"). */
export function simRawValue(moref: string, counter: string, instance: string, tsSec: number): number | null {
  const v = fnv1a(`${moref}|${counter}|${instance}|${tsSec}`);
  if (v % 97 === 0) return null;
  const r =
    counter.startsWith('cpu.') || counter.startsWith('mem.')
      ? v % 10001
      : counter === 'virtualDisk.read.average' || counter === 'virtualDisk.write.average'
        ? v % 100000
        : counter.startsWith('virtualDisk.number')
          ? v % 5000
          : counter.startsWith('net.')
            ? v % 50000
            : v % 1000;
  // The simulator never serves 0 (govmomi's encoder would drop it from the series): see lab/govmomi/main.go.
  return r === 0 ? 1 : r;
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false, formats: { 'date-time': true } });
/** A validator for one of the published schemas (schemas/<name>.schema.json). */
export function schemaValidator(name: 'inventory' | 'sample') {
  return ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', `${name}.schema.json`), 'utf8')));
}
