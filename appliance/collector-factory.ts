import type { Logger } from '../common/log.js';
import type { SourceConfig } from '../config/load.js';
import type { SourceCollector } from '../model/index.js';

/** Builds the collector for a configured source; each kind's code is loaded only when used. */
export async function createCollector(cfg: SourceConfig, opts: { log: Logger }): Promise<SourceCollector> {
  if (cfg.kind === 'vcenter') {
    const { createVcenterCollector } = await import('../collectors/vcenter/index.js');
    return createVcenterCollector(cfg, opts);
  }
  const { createHypervCollector } = await import('../collectors/hyperv/index.js');
  return createHypervCollector(cfg, opts);
}
