// `collector lab hyperv`: starts the simulator for an estate and prints where each host listens.
import { readFileSync } from 'node:fs';
import { reportFatal } from '../command-context.js';
import { UserError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { loadEstate } from '../../lab/estate.js';
import { startHypervLab } from '../../lab/hyperv/index.js';

export interface LabHypervOptions {
  estate: string;
  hosts?: string;
  users: string;
  deniedUsers?: string;
  passwordEnv: string;
  http: boolean;
  https: boolean;
  allowUnencrypted?: boolean;
  cert?: string;
  key?: string;
  enumerationTimeoutMs: string;
  logLevel: string;
}

const list = (s: string | undefined): string[] =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];

export async function runLabHyperv(opts: LabHypervOptions): Promise<void> {
  try {
    const log = createLogger({ level: opts.logLevel });
    const password = process.env[opts.passwordEnv];
    if (!password) {
      throw new UserError(`the lab accounts' password is not set: the environment variable ${opts.passwordEnv} is empty.`, {
        fix: `Set it, e.g. export ${opts.passwordEnv}='...' (the lab never takes passwords on the command line, where ps would show them).`,
      });
    }
    if (!opts.http && !opts.https)
      throw new UserError('both --no-http and --no-https were given: the hosts would not listen at all.', { fix: 'Drop one of them.' });
    if ((opts.cert && !opts.key) || (!opts.cert && opts.key))
      throw new UserError('--cert and --key go together.', { fix: 'Give both PEM files, or neither for a fresh self-signed certificate.' });
    const timeout = Number(opts.enumerationTimeoutMs);
    if (!Number.isInteger(timeout) || timeout < 500)
      throw new UserError(`--enumeration-timeout-ms ${opts.enumerationTimeoutMs} is not valid.`, {
        fix: 'Use whole milliseconds, at least 500 (Windows minimum).',
      });
    const estate = loadEstate(opts.estate);
    const users = Object.fromEntries([...list(opts.users), ...list(opts.deniedUsers)].map((u) => [u, password]));
    if (!Object.keys(users).length) throw new UserError('--users is empty.', { fix: 'Name at least one account, e.g. --users collector.' });
    const lab = await startHypervLab({
      estate,
      hosts: opts.hosts ? list(opts.hosts) : undefined,
      users,
      deniedUsers: list(opts.deniedUsers),
      http: opts.http,
      https: opts.https,
      allowUnencrypted: opts.allowUnencrypted,
      tls: opts.cert && opts.key ? { cert: readFileSync(opts.cert, 'utf8'), key: readFileSync(opts.key, 'utf8') } : undefined,
      enumerationTimeoutMs: timeout,
      log,
    }).catch((err: unknown) => {
      if (err instanceof Error && /no Hyper-V host named/.test(err.message))
        throw new UserError(`--hosts: ${err.message}.`, { fix: "Use names from the estate's hosts with platform: hyperv." });
      throw err;
    });
    if (!lab.endpoints.length)
      throw new UserError(`${opts.estate} has no host with platform: hyperv.`, {
        fix: 'Add Hyper-V hosts to the estate (see lab/estates/sample.yaml).',
      });
    const hostMap = lab.hostMap();
    process.stdout.write(
      `${JSON.stringify(
        {
          endpoints: lab.endpoints,
          certificateThumbprint: lab.certificateThumbprint,
          hostMap,
          // A source per standalone host or cluster, ready to paste into a collector config.
          sources: sourcesFor(
            lab.endpoints,
            hostMap,
            lab.certificateThumbprint,
            list(opts.users)[0] ?? 'collector',
            opts.passwordEnv,
            opts.https,
          ),
        },
        null,
        2,
      )}\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await lab.close();
  } catch (err) {
    reportFatal(err);
  }
}

function sourcesFor(
  endpoints: Array<{ host: string; cluster: string | null }>,
  hostMap: Record<string, unknown>,
  thumbprint: string,
  user: string,
  passwordEnv: string,
  https: boolean,
): Array<Record<string, unknown>> {
  const clusters = [...new Set(endpoints.map((e) => e.cluster).filter((c): c is string => !!c))];
  const standalone = endpoints.filter((e) => !e.cluster).map((e) => e.host);
  const base = {
    kind: 'hyperv',
    username: user,
    password: { env: passwordEnv },
    transport: https ? 'https' : 'http',
    ...(https ? { tls: { thumbprint } } : {}),
    hostMap,
  };
  return [
    ...clusters.map((c) => ({ name: `lab-${c.toLowerCase()}`, host: c, cluster: true, ...base })),
    ...standalone.map((h) => ({ name: `lab-${h.toLowerCase()}`, host: h, ...base })),
  ];
}
