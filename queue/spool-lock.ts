// The spool directory's lock file: one collecting process per spool, a stale lock (its process gone) taken over.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';

export function takeLock(dir: string): void {
  const file = join(dir, 'lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new UserError(`the sample spool ${dir} is in use by process ${pid}.`, {
        fix: 'Stop the other collecting process, or give each one its own rollup.spoolDir.',
        code: 'SPOOL_IN_USE',
      });
    }
  }
  writeFileSync(file, String(process.pid));
}

export function releaseLock(dir: string): void {
  try {
    unlinkSync(join(dir, 'lock'));
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
