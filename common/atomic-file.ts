import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The one atomic file writer (config, ledger and state files, the admin account): readers and a crash mid-write
 * see the old file or the new one, never half of one. The data is fsync'd before the rename and the folder after
 * it, so a power cut right after the call returns keeps the new file. A new file is private (0600) by default,
 * since it may reference secrets; an existing file keeps its mode.
 */
export function writeFileAtomically(file: string, text: string | Uint8Array, opts: { mode?: number } = {}): void {
  let mode = opts.mode ?? 0o600;
  try {
    if (opts.mode === undefined) mode = statSync(file).mode & 0o777;
  } catch {
    /* a new file */
  }
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  syncFolder(dir);
}

function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on a directory; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
