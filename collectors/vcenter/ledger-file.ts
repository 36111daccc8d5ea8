import { readFileSync } from 'node:fs';
import { writeFileAtomically } from '../../common/atomic-file.js';
import { UserError } from '../../common/errors.js';
import { SampleLedger } from './ledger.js';

// High-water marks survive a restart in a small JSON file, written atomically (temp, fsync, rename),
// so a new process neither repeats nor skips samples that are still in vCenter's realtime window.

export function loadLedger(file: string): SampleLedger {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SampleLedger();
    throw new UserError(`cannot read the perf state file ${file} (${(err as NodeJS.ErrnoException).code}).`, {
      fix: 'Make perf.stateFile readable and writable by the service user, or point it elsewhere.',
      code: 'VCENTER_STATE_UNREADABLE',
    });
  }
  try {
    return SampleLedger.fromJSON(JSON.parse(text));
  } catch {
    // A damaged file costs at most a re-read of the last hour, never wrong data: start afresh.
    return new SampleLedger();
  }
}

export function saveLedger(file: string, ledger: SampleLedger): void {
  writeFileAtomically(file, JSON.stringify(ledger), { mode: 0o600 });
}
