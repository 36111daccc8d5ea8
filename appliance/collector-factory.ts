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
  if (cfg.kind === 'linux') {
    const { createLinuxCollector } = await import('../collectors/linux/index.js');
    return createLinuxCollector(cfg, opts);
  }
  // Windows servers: the collector arrives with issue 11 (collectors/windows over WinRM).
  throw new UserError(`source "${cfg.name}": kind ${cfg.kind} is not available in this build.`, {
    fix: 'Remove the source or upgrade the appliance.',
    code: 'SOURCE_KIND_UNAVAILABLE',
  });
}
