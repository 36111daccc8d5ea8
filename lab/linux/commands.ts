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

export { MARKER as LAB_MARKER };
