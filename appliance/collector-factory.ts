import { UserError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { SourceConfig } from '../config/load.js';
import type { SourceCollector } from '../model/index.js';

/** Builds the collector for a configured source; each kind's code is loaded only when used. */
export async function createCollector(cfg: SourceConfig, opts: { log: Logger }): Promise<SourceCollector> {
  if (cfg.kind === 'vcenter') {
    const { createVcenterCollector } = await import('../collectors/vcenter/index.js');
    return createVcenterCollector(cfg, opts);
  }
  if (cfg.kind === 'hyperv') {
    const { createHypervCollector } = await import('../collectors/hyperv/index.js');
    return createHypervCollector(cfg, opts);
  }
  if (cfg.kind === 'windows') {
    const { createWindowsCollector } = await import('../collectors/windows/index.js');
    return createWindowsCollector(cfg, opts);
  }
  if (cfg.kind === 'linux') {
    const { createLinuxCollector } = await import('../collectors/linux/index.js');
    return createLinuxCollector(cfg, opts);
  }
  // Every kind the schema knows is handled above; this guards configs written for a newer build.
  const unknown = cfg as { name: string; kind: string };
  throw new UserError(`source "${unknown.name}": kind ${unknown.kind} is not available in this build.`, {
    fix: 'Remove the source or upgrade the appliance.',
    code: 'SOURCE_KIND_UNAVAILABLE',
  });
}
