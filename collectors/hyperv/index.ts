// The Hyper-V source collector (WinRM/CIM): see docs/hyperv.md.
import type { Logger } from '../../common/log.js';
import type { HypervSourceConfig } from '../../config/schema/hyperv.js';
import type { SourceCollector } from '../../model/index.js';
import { HypervCollector } from './collector.js';

export function createHypervCollector(cfg: HypervSourceConfig, opts: { log: Logger }): SourceCollector {
  return new HypervCollector(cfg, opts.log.child({ source: cfg.name, kind: 'hyperv' }));
}
