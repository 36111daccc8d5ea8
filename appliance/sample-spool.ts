import { join, resolve } from 'node:path';
import type { Logger } from '../common/log.js';
import type { CollectorConfig } from '../config/load.js';
import { Spool } from '../queue/spool.js';
import { applianceDataDir } from './credential-store.js';

/**
 * The spool of a collecting process, or undefined when there is none: rollup.spoolMaxBytes 0, or neither
 * rollup.spoolDir nor a config file to place the default (<web.dataDir>/spool) next to. A relative
 * spoolDir is taken relative to the config file's folder, like web.dataDir.
 */
export function openSampleSpool(config: CollectorConfig, configFile: string | undefined, log: Logger): Spool | undefined {
  const r = config.rollup;
  if (r.spoolMaxBytes === 0) return undefined;
  let dir: string;
  if (r.spoolDir) dir = configFile ? applianceDataDir(configFile, r.spoolDir) : resolve(r.spoolDir);
  else if (configFile) dir = join(applianceDataDir(configFile, config.web.dataDir), 'spool');
  else return undefined;
  return Spool.open(dir, { maxBytes: r.spoolMaxBytes, log });
}
