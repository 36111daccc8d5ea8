import { UserError } from '../../common/errors.js';
import { loadCommandContext, type CommonOptions } from '../command-context.js';

/** Shared by `collector run` and `collector worker`: build the service, show status, run until a signal. */
export async function runService(
  opts: CommonOptions & { concurrency?: number; status?: boolean },
  roles: { collect: boolean; rollup: boolean; web?: boolean; sink?: boolean },
): Promise<void> {
  const { config, log } = loadCommandContext(opts);
  if (opts.concurrency !== undefined && !(Number.isInteger(opts.concurrency) && opts.concurrency >= 1 && opts.concurrency <= 64)) {
    throw new UserError(`--concurrency: expected a whole number from 1 to 64 (got ${opts.concurrency}).`, { fix: 'e.g. --concurrency 4' });
  }
  if (!roles.collect && !roles.rollup)
    throw new UserError('--no-collect and --no-rollup together leave nothing to run.', { fix: 'Drop one of them.' });
  const { buildService, runUntilSignal } = await import('../../appliance/service.js');
  const { TerminalStatus, isInteractive } = await import('../../appliance/terminal-status.js');
  const svc = buildService(config, log, {
    ...roles,
    web: (roles.web ?? false) && config.web.enabled,
    sink: roles.sink ?? false,
    configFile: opts.config,
    concurrency: opts.concurrency,
  });
  const status = new TerminalStatus(svc, log, { interactive: opts.status !== false && isInteractive() });
  await runUntilSignal(svc, { onStarted: () => status.start(), onStopping: () => status.stop() });
  log.info('stopped');
  log.flush?.();
  process.exit(0);
}
