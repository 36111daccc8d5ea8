// `collector lab vcenter`: parses the command's options, starts the lab and runs until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { UserError } from '../../common/errors.js';
import { createLogger, setLogger } from '../../common/log.js';
import { reportFatal } from '../command-context.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab } from '../../lab/vcenter/index.js';

export interface LabVcenterCliOptions {
  estate: string;
  vcenter: string;
  port: string;
  user: string;
  passwordEnv: string;
  cert?: string;
  key?: string;
  delayMs: string;
  sessionIdleSec: string;
  maxObjects?: string;
  perfLatencySec: string;
  logLevel: string;
}

function count(value: string, option: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UserError(`${option} ${value} is not a whole number of at least ${min}.`, {
      fix: `Pass e.g. ${option} ${Math.max(min, 1)}.`,
    });
  return n;
}

function readPem(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${option}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
      fix: `Point ${option} at a readable PEM file.`,
    });
  }
}

export async function runLabVcenter(opts: LabVcenterCliOptions): Promise<void> {
  try {
    const log = createLogger({ level: opts.logLevel });
    setLogger(log);
    const password = process.env[opts.passwordEnv];
    if (!password) {
      throw new UserError(`the environment variable ${opts.passwordEnv} holding the lab user's password is not set.`, {
        fix: `export ${opts.passwordEnv}='a password of your choice' (or name another variable with --password-env).`,
      });
    }
    if (Boolean(opts.cert) !== Boolean(opts.key))
      throw new UserError('--cert and --key go together.', { fix: 'Pass both, or neither for a self-signed certificate.' });
    const port = count(opts.port, '--port');
    if (port > 65535) throw new UserError(`--port ${port} is not a TCP port.`, { fix: 'Pass 1-65535, or 0 for any free port.' });
    const lab = await startVcenterLab({
      estate: loadEstate(opts.estate),
      vcenter: opts.vcenter,
      users: [{ username: opts.user, password }],
      port,
      tls: opts.cert && opts.key ? { cert: readPem(opts.cert, '--cert'), key: readPem(opts.key, '--key') } : undefined,
      delayMs: count(opts.delayMs, '--delay-ms'),
      sessionIdleSec: count(opts.sessionIdleSec, '--session-idle-sec', 1),
      maxObjectsCap: opts.maxObjects ? count(opts.maxObjects, '--max-objects', 1) : undefined,
      perfLatencySec: count(opts.perfLatencySec, '--perf-latency-sec'),
      log,
    });
    process.stdout.write(
      `lab vCenter ${lab.about.name} (${lab.about.vms} VMs on ${lab.about.hosts} hosts) at ${lab.url}\n` +
        `certificate SHA-256 thumbprint: ${lab.thumbprint}\n` +
        `log in as ${opts.user} with the password in $${opts.passwordEnv}\n` +
        `source config: { name: lab-${lab.about.name}, kind: vcenter, url: "${lab.url}", username: "${opts.user}", password: { env: ${opts.passwordEnv} }, tls: { thumbprint: "${lab.thumbprint}" } }\n` +
        'press Ctrl+C to stop\n',
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await lab.close();
    process.stdout.write('lab vCenter stopped\n');
  } catch (err) {
    reportFatal(err);
  }
}
