import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { ROOT } from '../../helpers/cli.js';

export const SIM_BIN = join(ROOT, 'lab', 'govmomi', 'bin', 'vcsim-lab');

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
  delayMs?: number;
}

export interface Sim extends SimInfo {
  process: ChildProcess;
  /** GET/POST a /lab control endpoint (certificate not checked: it is the lab's own). */
  control(path: string): Promise<any>;
  stop(): Promise<void>;
}

export function simAvailable(): boolean {
  return existsSync(SIM_BIN);
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** Starts govmomi's simulator (our wrapper) on 127.0.0.1:<ephemeral>; it exits when our stdin closes. */
export async function startSim(shape: SimShape = {}): Promise<Sim> {
  const args = [
    `-datacenters=${shape.datacenters ?? 1}`,
    `-clusters=${shape.clusters ?? 1}`,
    `-cluster-hosts=${shape.clusterHosts ?? 2}`,
    `-hosts=${shape.hosts ?? 1}`,
    `-vms=${shape.vms ?? 2}`,
    `-powered-off=${shape.poweredOff ?? 0.2}`,
    `-templates=${shape.templates ?? 1}`,
    `-delay-ms=${shape.delayMs ?? 0}`,
  ];
  const child = spawn(SIM_BIN, args, { stdio: ["pipe", "pipe", "pipe"] });
  if (process.env.VCSIM_LOG) child.stderr!.pipe(process.stderr);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const info = await new Promise<SimInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vcsim-lab did not start within 120 s: ${stderr}`)), 120_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
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
  const base = `https://${info.host}:${info.port}`;
  return {
    ...info,
    process: child,
    async control(path: string) {
      const res = await request(base + path, { method: 'POST', dispatcher: insecure });
      return res.body.json();
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
