// The only commands the Linux collector runs: fixed strings, nothing from the config or the peer is ever
// put into them. Each prints sections after a marker line, so one round trip reads everything; a failing
// part prints its own error text (2>&1) into its section, which is how "needs root" is told from "absent".
// None needs root. LC_ALL=C keeps tool output in English and numbers with dots.
// The lab (lab/linux) answers exactly these strings; test/lab/linux checks both copies are equal.

/** Section marker: a line "@@ac:<name>". */
export const MARKER = '@@ac:';

export const INVENTORY_COMMAND = [
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

/** The 30-s reading: raw counters only; rates are computed from two readings. */
export const PERF_COMMAND = `echo ${MARKER}uptime; cat /proc/uptime; echo ${MARKER}stat; cat /proc/stat; echo ${MARKER}meminfo; cat /proc/meminfo; echo ${MARKER}diskstats; cat /proc/diskstats; echo ${MARKER}net-dev; cat /proc/net/dev; echo ${MARKER}end`;

/** Splits marked output into sections (text without the trailing newline). */
export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(MARKER)) {
      if (name !== null) out.set(name, lines.join('\n').trimEnd());
      name = line.slice(MARKER.length).trim();
      lines = [];
    } else if (name !== null) lines.push(line);
  }
  if (name !== null) out.set(name, lines.join('\n').trimEnd());
  return out;
}
