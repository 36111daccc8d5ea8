import { UserError } from '../../common/errors.js';
import type { SourceConfig } from '../../config/load.js';
import { publicUrl } from '../../collectors/vcenter/collector.js';

// Helpers shared by the `discover` and `collect` commands.

export function selectSources(all: SourceConfig[], names?: string[]): SourceConfig[] {
  if (names?.length) {
    const unknown = names.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) {
      throw new UserError(`no source named ${unknown.join(', ')} in the configuration.`, {
        fix: `Use one of: ${all.map((s) => s.name).join(', ') || '(none configured)'}.`,
        code: 'SOURCE_UNKNOWN',
      });
    }
    return all.filter((s) => names.includes(s.name));
  }
  const enabled = all.filter((s) => s.enabled !== false);
  if (enabled.length === 0)
    throw new UserError('the configuration has no enabled source.', {
      fix: 'Add a source under sources: (kind: vcenter, hyperv, linux or windows).',
      code: 'SOURCE_NONE',
    });
  return enabled;
}

/** Where a source is reached, never with credentials. */
export function sourceEndpoint(cfg: SourceConfig): string {
  if (cfg.kind === 'vcenter') return publicUrl(cfg.url);
  if (cfg.kind === 'linux' || cfg.kind === 'windows') return cfg.hosts.length === 1 ? (cfg.hosts[0] ?? '') : `${cfg.hosts.length} hosts`;
  return cfg.port ? `${cfg.host}:${cfg.port}` : cfg.host;
}

/** A one-line counter on a terminal (stderr); silent when stderr is not a TTY. */
export function progress(name: string, what: string): ((n: number) => void) & { done(): void } {
  let total = 0;
  const tty = process.stderr.isTTY === true;
  const fn = ((n: number) => {
    total += n;
    if (tty) process.stderr.write(`\r${name}: ${total} ${what}...`);
  }) as ((n: number) => void) & { done(): void };
  fn.done = () => {
    if (tty && total > 0) process.stderr.write('\r\x1b[K');
  };
  return fn;
}
