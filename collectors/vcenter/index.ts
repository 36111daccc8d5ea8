import type { VcenterSourceConfig } from '../../config/load.js';
import type { SourceCollector } from '../../model/index.js';
import { VcenterCollector, type VcenterCollectorOptions } from './collector.js';
export { VcenterCollector, type VcenterCollectorOptions };

/** The vCenter source: one long-lived vim25 session, PropertyCollector inventory, QueryPerf samples. */
export function createVcenterCollector(cfg: VcenterSourceConfig, opts: VcenterCollectorOptions): SourceCollector {
  return new VcenterCollector(cfg, opts);
}
