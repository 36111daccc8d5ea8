// Guest access as people read it (issue 12): which credential works, or why none does, per machine.
import type { GuestAccessStatus } from '../../queue/guest-access-store.js';
import { h, table, type Html } from './html.js';

const REASON: Record<string, string> = {
  'no-ip': 'no IP address known',
  'port-closed': 'port closed',
  refused: 'connection refused',
  'wrong-credential': 'no credential accepted',
  'host-key-unknown': 'host key not pinned (credential not sent)',
  'host-key-changed': 'host key changed (credential not sent)',
  timeout: 'timed out',
  error: 'error',
};

export function guestAccessText(s: GuestAccessStatus | null): string {
  if (!s) return 'not tried yet';
  if (!s.failure) return `reachable at ${s.ip ?? '?'} with credential ${s.credential ?? '?'}`;
  const next = s.nextAttempt ? `, next try ${new Date(s.nextAttempt).toISOString()}` : '';
  return `${REASON[s.failure] ?? s.failure}${s.reason ? `: ${s.reason}` : ''} (${s.failures} attempt(s)${next})`;
}

/** The Health page's table: unreachable guests first, each with its reason. */
export function guestAccessTable(list: GuestAccessStatus[]): Html {
  const sorted = [...list].sort(
    (a, b) => Number(b.failure !== null) - Number(a.failure !== null) || a.machineName.localeCompare(b.machineName),
  );
  const ok = list.filter((s) => !s.failure).length;
  return h`<p>${ok} of ${list.length} guest(s) reachable.</p>${table(
    ['Machine', 'State', 'Address', 'Credential', 'Reason'],
    sorted.map((s) => [
      h`<a href="/machines/${encodeURIComponent(s.machine)}">${s.machineName}</a>`,
      s.failure ? h`<span class="bad">${s.failure}</span>` : h`<span class="ok">reachable</span>`,
      s.ip ?? '—',
      s.credential ?? '—',
      s.failure ? guestAccessText(s) : '',
    ]),
    'guest-access',
  )}`;
}
