// The fixed commands of the Linux guest reader (issue 12): nothing from the config or the peer is put into them.
// Each section ends with a line "@@rc:<exit code>" (or "@@absent" when the tool is not installed), so a missing
// package manager is told from a failing one. None needs root; without root `ss -p` shows only the account's
// own processes. The lab (lab/linux) answers exactly these strings; test/lab/linux checks both copies are equal.
import { MARKER } from './commands.js';

const tool = (name: string, cmd: string) =>
  `echo ${MARKER}${name}; if command -v ${name === 'dpkg' ? 'dpkg-query' : name} >/dev/null 2>&1; then ${cmd} 2>&1; echo "@@rc:$?"; else echo @@absent; fi`;

export const SOFTWARE_COMMAND = [
  'export LC_ALL=C',
  tool('dpkg', `dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Maintainer}\\n'`),
  tool('rpm', `rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\n'`),
  tool('snap', 'snap list'),
  `echo ${MARKER}end`,
].join('; ');

/**
 * Sockets (established and listening TCP) with their processes, then for each pid `ss` shows: the executable and
 * the command line from /proc (readable for the account's own processes; root sees all).
 */
export const SOCKETS_COMMAND = [
  'export LC_ALL=C',
  `echo ${MARKER}uid; id -u`,
  `echo ${MARKER}ss; if command -v ss >/dev/null 2>&1; then S="$(ss -tanpH 2>&1)"; R=$?; printf '%s\\n' "$S"; echo "@@rc:$R"; else echo @@absent; fi`,
  `for P in $(printf '%s\\n' "$S" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un); do echo "${MARKER}pid:$P"; readlink /proc/$P/exe 2>/dev/null || echo; tr '\\000\\n' '\\037 ' < /proc/$P/cmdline 2>/dev/null; echo; done`,
  `echo ${MARKER}end`,
].join('; ');
