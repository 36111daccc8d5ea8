// The lab's copy of the Linux collector's fixed commands (collectors/linux/commands.ts): the lab is a peer
// and does not import collectors; test/lab/linux checks that both copies are identical. A command that is
// not exactly one of these gets "not found", as a shell would answer a command it does not know.
const MARKER = '@@ac:';

export const LAB_INVENTORY_COMMAND = [
  'export LC_ALL=C',
  `echo ${MARKER}os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>&1`,
  `echo ${MARKER}uname; uname -m 2>&1`,
  `echo ${MARKER}nproc; grep -c ^processor /proc/cpuinfo 2>&1`,
  `echo ${MARKER}meminfo; grep ^MemTotal: /proc/meminfo 2>&1`,
  `echo ${MARKER}firmware; if [ -d /sys/firmware/efi ]; then echo uefi; else echo bios; fi`,
  `echo ${MARKER}product_uuid; cat /sys/class/dmi/id/product_uuid 2>&1`,
  `echo ${MARKER}product_serial; cat /sys/class/dmi/id/product_serial 2>&1`,
  `echo ${MARKER}machine-id; cat /etc/machine-id 2>&1`,
  `echo ${MARKER}hostname; hostname -f 2>/dev/null || cat /proc/sys/kernel/hostname 2>&1`,
  `echo ${MARKER}lsblk; lsblk -J -b -d -o NAME,SIZE,MODEL,TYPE,ROTA 2>&1`,
  `echo ${MARKER}ip; ip -j addr 2>&1`,
  `echo ${MARKER}virtual-net; ls -1 /sys/devices/virtual/net 2>&1`,
  `echo ${MARKER}root-disk; lsblk -J -s -o NAME,TYPE "$(findmnt -n -v -o SOURCE /)" 2>&1`,
  `echo ${MARKER}end`,
].join('; ');

export const LAB_PERF_COMMAND = `echo ${MARKER}uptime; cat /proc/uptime; echo ${MARKER}stat; cat /proc/stat; echo ${MARKER}meminfo; cat /proc/meminfo; echo ${MARKER}diskstats; cat /proc/diskstats; echo ${MARKER}net-dev; cat /proc/net/dev; echo ${MARKER}end`;

// The guest reader's commands (collectors/linux/guest-commands.ts, issue 12).
const tool = (name: string, cmd: string) =>
  `echo ${MARKER}${name}; if command -v ${name === 'dpkg' ? 'dpkg-query' : name} >/dev/null 2>&1; then ${cmd} 2>&1; echo "@@rc:$?"; else echo @@absent; fi`;

export const LAB_SOFTWARE_COMMAND = [
  'export LC_ALL=C',
  tool('dpkg', `dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Maintainer}\\n'`),
  tool('rpm', `rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\n'`),
  tool('snap', 'snap list'),
  `echo ${MARKER}end`,
].join('; ');

export const LAB_SOCKETS_COMMAND = [
  'export LC_ALL=C',
  `echo ${MARKER}uid; id -u`,
  `echo ${MARKER}ss; if command -v ss >/dev/null 2>&1; then S="$(ss -tanpH 2>&1)"; R=$?; printf '%s\\n' "$S"; echo "@@rc:$R"; else echo @@absent; fi`,
  `for P in $(printf '%s\\n' "$S" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un); do echo "${MARKER}pid:$P"; readlink /proc/$P/exe 2>/dev/null || echo; tr '\\000\\n' '\\037 ' < /proc/$P/cmdline 2>/dev/null; echo; done`,
  `echo ${MARKER}end`,
].join('; ');

export { MARKER as LAB_MARKER };
