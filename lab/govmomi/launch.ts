import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

// Starts the govmomi simulator wrapper (lab/govmomi/main.go, built by build.sh) for tests and benches.

const here = dirname(fileURLToPath(import.meta.url));
// Source (tsx/vitest) and compiled (dist/lab/govmomi) locations both resolve to the repo's lab/govmomi/bin.
export const SIM_BIN =
  [join(here, 'bin', 'vcsim-lab'), join(here, '..', '..', '..', 'lab', 'govmomi', 'bin', 'vcsim-lab')].find(existsSync) ??
  join(here, 'bin', 'vcsim-lab');

export interface SimInfo {
  url: string;
  host: string;
  port: number;
  username: string;
  password: string;
  thumbprint: string;
  certFile: string;
  datacenters: number;
  clusters: number;
  hosts: number;
  vms: number;
  templates: number;
  poweredOff: number;
}

export interface SimShape {
  datacenters?: number;
  clusters?: number;
  clusterHosts?: number;
  hosts?: number;
  vms?: number;
  poweredOff?: number;
  templates?: number;
  /** Datacenters placed inside folders (nested inventory paths). */
  folders?: number;
  delayMs?: number;
}

export interface Sim extends SimInfo {
  process: ChildProcess;
  /** POST a /lab control endpoint (clock, delay, stats); the lab's own certificate is not checked. */
  control(path: string): Promise<SimControlAnswer>;
  stop(): Promise<void>;
}

export function simAvailable(): boolean {
  return existsSync(SIM_BIN);
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** What a /lab control endpoint answers: /lab/stats the calls per vim25 method, /lab/clock the simulated time (ms). */
export interface SimControlAnswer {
  calls: Record<string, number>;
  now: number;
  [key: string]: unknown;
}

export async function simControl(host: string, port: number, path: string): Promise<SimControlAnswer> {
  const res = await request(`https://${host}:${port}${path}`, { method: 'POST', dispatcher: insecure });
  return (await res.body.json()) as SimControlAnswer;
}

/** Starts the simulator on 127.0.0.1:<ephemeral>; it exits when our end of its stdin closes. */
export async function startSim(shape: SimShape = {}, opts: { startTimeoutMs?: number } = {}): Promise<Sim> {
  const args = [
    `-datacenters=${shape.datacenters ?? 1}`,
    `-clusters=${shape.clusters ?? 1}`,
    `-cluster-hosts=${shape.clusterHosts ?? 2}`,
    `-hosts=${shape.hosts ?? 1}`,
    `-vms=${shape.vms ?? 2}`,
    `-powered-off=${shape.poweredOff ?? 0.2}`,
    `-templates=${shape.templates ?? 1}`,
    `-delay-ms=${shape.delayMs ?? 0}`,
    `-folders=${shape.folders ?? 0}`,
  ];
  const child = spawn(SIM_BIN, args, { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  if (process.env.VCSIM_LOG) child.stderr.pipe(process.stderr);
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const info = await new Promise<SimInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vcsim-lab did not start within ${timeoutMs / 1000} s: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as SimInfo);
      } catch (err) {
        reject(new Error(`vcsim-lab printed ${line}: ${err}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim-lab exited with ${code}: ${stderr}`));
    });
  });
  return {
    ...info,
    process: child,
    control: (path: string) => simControl(info.host, info.port, path),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
