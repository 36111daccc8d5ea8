import type { Logger } from '../../common/log.js';
import type { VcenterSourceConfig } from '../../config/load.js';
import type { SourceCollector } from '../model.js';
import { VcenterCollector } from './collector.js';

/** The vCenter source: one long-lived vim25 session, PropertyCollector inventory, QueryPerf samples. */
export function createVcenterCollector(cfg: VcenterSourceConfig, opts: { log: Logger }): SourceCollector {
  return new VcenterCollector(cfg, opts);
}
