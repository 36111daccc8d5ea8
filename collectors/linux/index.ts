// The Linux source collector (SSH): see docs/physical.md.
import type { Logger } from '../../common/log.js';
import type { LinuxSourceConfig } from '../../config/schema/physical.js';
import type { SourceCollector } from '../../model/index.js';
import { LinuxCollector, type LinuxCollectorOptions } from './collector.js';

export { LinuxCollector, type LinuxCollectorOptions };
export { INVENTORY_COMMAND, PERF_COMMAND } from './commands.js';

export function createLinuxCollector(cfg: LinuxSourceConfig, opts: { log: Logger } & Partial<LinuxCollectorOptions>): SourceCollector {
  return new LinuxCollector(cfg, { ...opts, log: opts.log.child({ source: cfg.name, kind: 'linux' }) });
}
