// The Windows-server source (physical servers over WinRM/CIM): see docs/physical.md.
import type { Logger } from '../../common/log.js';
import type { WindowsSourceConfig } from '../../config/schema/physical.js';
import { WindowsCollector } from './collector.js';

export { WindowsAccessDeniedError, WINDOWS_REQUIRED_GROUPS } from './access.js';
export { WindowsCollector } from './collector.js';

export function createWindowsCollector(cfg: WindowsSourceConfig, opts: { log: Logger }): WindowsCollector {
  return new WindowsCollector(cfg, opts.log.child({ source: cfg.name, kind: 'windows' }));
}
