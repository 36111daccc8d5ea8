// The product as an administrator runs it: `collector lab hyperv` serves the estate, the printed
// sources go into a config, `collector discover` writes the inventory JSON (schemas/inventory.schema.json).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../../model/index.js';
import { loadEstate } from '../../../lab/estate.js';
import { HypervWorld } from '../../../lab/hyperv/world.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { expectedMachine } from '../../lab/hyperv/direct.js';

const PASSWORD = 'Cli-Passw0rd!';
let lab: ChildProcess;
let info: {
  endpoints: Array<{ host: string; httpPort: number; httpsPort: number }>;
  sources: Array<Record<string, unknown>>;
  certificateThumbprint: string;
};
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hv-cli-'));
  lab = spawn(process.execPath, [CLI, 'lab', 'hyperv', '--estate', 'lab/estates/sample.yaml', '--users', 'collector'], {
    env: { ...process.env, LAB_HYPERV_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab did not start: ${text}`)), 60_000);
    lab.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      try {
        resolve(JSON.parse(text));
        clearTimeout(timer);
      } catch {
        /* not complete yet */
      }
    });
    lab.once('exit', (code) => reject(new Error(`lab exited with ${code}`)));
  });
});

afterAll(async () => {
  if (lab && lab.exitCode === null) {
    const done = new Promise((r) => lab.once('exit', r));
    lab.kill('SIGTERM');
    await done;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('collector lab hyperv + collector discover', () => {
  it('prints every Hyper-V host with its ports and ready-made sources, and refuses to start without a password', async () => {
    expect(info.endpoints.map((e) => e.host)).toEqual(['hv01', 'hv02', 'hv03']);
    expect(info.endpoints.every((e) => e.httpPort > 0 && e.httpsPort > 0)).toBe(true);
    expect(info.sources.map((s) => s.name)).toEqual(['lab-hvclu01', 'lab-hv03']);
    expect(JSON.stringify(info)).not.toContain(PASSWORD);
    const noPw = await runCli(['lab', 'hyperv', '--estate', 'lab/estates/sample.yaml'], { env: { LAB_HYPERV_PASSWORD: '' } });
    expect(noPw.code).toBe(2);
    expect(noPw.stderr).toMatch(/LAB_HYPERV_PASSWORD is empty[\s\S]*fix:/);
  });

  it('discovers the lab from the printed sources; the inventory JSON validates and equals the estate', async () => {
    const cfg = join(dir, 'collector.yaml');
    writeFileSync(cfg, stringify({ sources: info.sources }));
    const out = join(dir, 'inventory.json');
    const r = await runCli(['discover', '--config', cfg, '--out', out], { env: { LAB_HYPERV_PASSWORD: PASSWORD }, timeoutMs: 120_000 });
    expect(r.stderr).toMatch(/lab-hvclu01: 9 machine\(s\)/);
    expect(r.code).toBe(0);
    const inventory = JSON.parse(readFileSync(out, 'utf8')) as { machines: Machine[]; sources: Array<{ errors: string[] }> };
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync('schemas/inventory.schema.json', 'utf8')));
    expect(validate(inventory), JSON.stringify(validate.errors)).toBe(true);
    const world = new HypervWorld(loadEstate('lab/estates/sample.yaml'));
    const want = [
      ...['hv01', 'hv02'].flatMap((h) => world.vmsOn(h).map((v) => expectedMachine(v, 'lab-hvclu01', 'HVCLU01'))),
      ...world.vmsOn('hv03').map((v) => expectedMachine(v, 'lab-hv03', null)),
    ];
    const sort = (l: Machine[]): Machine[] => [...l].sort((a, b) => a.id.localeCompare(b.id));
    expect(sort(inventory.machines)).toEqual(sort(want));
    expect(inventory.sources.every((s) => s.errors.length === 0)).toBe(true);
  });
});
