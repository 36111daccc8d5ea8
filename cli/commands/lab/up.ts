import type { Command } from 'commander';

// `collector lab up`: Redis (private if needed), the lab simulators, a config pointing at them and the
// service with collectors, workers and the web app, until Ctrl+C.
export function register(lab: Command): void {
  lab
    .command('up')
    .description(
      'start the whole lab: simulated vCenter and Hyper-V hosts, Redis if none answers, collectors, rollup workers and the web app',
    )
    .option('--estate <file>', 'estate YAML', 'lab/estates/sample.yaml')
    .option('--data-dir <dir>', 'where the lab keeps its config, secrets, Redis data and web app state', 'lab-data')
    .option('--port <n>', 'web app port (0: any free port)', '44368')
    .option('--web-host <addr>', 'web app listen address (0.0.0.0 to reach it from other machines)', '127.0.0.1')
    .option('--redis-url <url>', 'use this Redis when it answers (default: a private redis-server in the data dir)')
    .option('--extra-sources <file>', 'YAML list of more sources to add to the lab config (e.g. a real vCenter)')
    .option('--no-lab-sources', 'start the simulators but do not add them as sources (add them in the web app; the banner lists them)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', process.env.COLLECTOR_LOG_LEVEL ?? 'info')
    .action(async (opts) => {
      const { UserError } = await import('../../../common/errors.js');
      const { createLogger, setLogger } = await import('../../../common/log.js');
      const { runLabUp } = await import('../../run/lab-up.js');
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UserError(`--port ${opts.port} is not a port number.`, { fix: 'Use 1-65535, or 0 for any free port.' });
      const log = createLogger({ level: opts.logLevel });
      setLogger(log);
      const running = await runLabUp({
        estateFile: opts.estate,
        dataDir: opts.dataDir,
        redisUrl: opts.redisUrl,
        webHost: opts.webHost,
        webPort: port,
        extraSources: opts.extraSources,
        noLabSources: opts.labSources === false,
        log,
      });
      process.stdout.write(running.banner);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = () => {
          if (stopping) process.exit(1);
          stopping = true;
          process.stdout.write('Stopping the lab...\n');
          running.stop().then(resolve, resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      process.stdout.write('Lab stopped.\n');
      process.exit(0);
    });
}
