// The guest-OS readiness table (docs/azure-migrate.md §7.3) as data: first matching row wins.
// Names come from vCenter's summary.config.guestFullName (or guestId) and Hyper-V's KVP OSName, so
// the patterns accept both spellings ("Microsoft Windows Server 2019 (64-bit)", "Windows Server 2022 Datacenter").

export type OsSupport = 'ready' | 'conditional' | 'unknown';

export interface OsRule {
  /** Stable id, shown in reasons and tested. */
  id: string;
  pattern: RegExp;
  /** When set, the first number in the name is the major version: >= minMajor is `support`, below is `below`. */
  minMajor?: number;
  support: OsSupport;
  below?: OsSupport;
  note: string;
}

const LINUX_ENDORSED = 'an Azure-endorsed Linux distribution';
const LINUX_OLD = 'a Linux version Azure does not endorse; it may boot but is not supported (upgrade advised)';

export const OS_TABLE: OsRule[] = [
  // VMware's "Other" guest OS says nothing about the OS: readiness cannot be judged.
  {
    id: 'vmware-other',
    pattern: /^(other \((32|64)-bit\)|other|othergues(t|t64))$/i,
    support: 'unknown',
    note: 'vCenter reports the guest OS as "Other"',
  },
  {
    id: 'windows-server-modern',
    pattern: /windows server.*\b(20(1[6-9]|[2-9]\d))\b/i,
    support: 'ready',
    note: 'Windows Server 2016 or later',
  },
  { id: 'windows-server-2012-r2', pattern: /windows server.*2012 r2/i, support: 'ready', note: 'Windows Server 2012 R2' },
  { id: 'windows-server-2012', pattern: /windows server.*2012/i, support: 'ready', note: 'Windows Server 2012' },
  { id: 'windows-server-2008', pattern: /windows (web )?server.*2008/i, support: 'ready', note: 'Windows Server 2008 / 2008 R2' },
  {
    id: 'windows-server-2003',
    pattern: /windows server.*2003|windows\.net|winnet/i,
    support: 'conditional',
    note: 'Windows Server 2003 is out of support (needs a Custom Support Agreement)',
  },
  {
    id: 'windows-legacy',
    pattern: /windows (2000|nt|98|95|3(\.\d+)?\b|me\b)|ms-dos|\bdos\b/i,
    support: 'conditional',
    note: 'a Windows version without OS support in Azure',
  },
  { id: 'windows-xp-vista', pattern: /windows (xp|vista)/i, support: 'conditional', note: 'Windows XP / Vista: no OS support in Azure' },
  {
    id: 'windows-client',
    pattern: /windows (7|8(\.1)?|10|11)\b/i,
    support: 'conditional',
    note: 'Windows client OS: supported in Azure only with a Visual Studio subscription (or Multitenant Hosting Rights)',
  },
  {
    id: 'rhel',
    pattern: /red ?hat enterprise linux|\brhel/i,
    minMajor: 6,
    support: 'ready',
    below: 'conditional',
    note: 'Red Hat Enterprise Linux',
  },
  { id: 'centos', pattern: /centos/i, minMajor: 6, support: 'ready', below: 'conditional', note: 'CentOS' },
  {
    id: 'oracle-linux',
    pattern: /oracle linux|oracle enterprise linux/i,
    minMajor: 6,
    support: 'ready',
    below: 'conditional',
    note: 'Oracle Linux',
  },
  {
    id: 'sles',
    pattern: /suse linux enterprise|\bsles\b/i,
    minMajor: 11,
    support: 'ready',
    below: 'conditional',
    note: 'SUSE Linux Enterprise',
  },
  { id: 'opensuse', pattern: /opensuse/i, support: 'ready', note: 'openSUSE' },
  { id: 'debian', pattern: /debian/i, minMajor: 7, support: 'ready', below: 'conditional', note: 'Debian' },
  { id: 'ubuntu', pattern: /ubuntu/i, minMajor: 12, support: 'ready', below: 'conditional', note: 'Ubuntu' },
  { id: 'rocky-alma', pattern: /rocky|alma ?linux/i, support: 'ready', note: 'Rocky Linux / AlmaLinux' },
  { id: 'coreos-flatcar', pattern: /coreos|flatcar/i, support: 'ready', note: 'CoreOS / Flatcar Container Linux' },
  { id: 'fedora', pattern: /fedora/i, support: 'conditional', note: 'Fedora is not an Azure-endorsed distribution' },
  {
    id: 'linux-other',
    pattern: /linux|photon os|\bclear linux/i,
    support: 'conditional',
    note: 'a Linux distribution Azure does not endorse (or one vCenter cannot name)',
  },
  {
    id: 'other-os',
    pattern: /solaris|freebsd|mac ?os|darwin|netware|os\/2|\bsco\b|unixware|openserver|ecomstation|esxi|asianux|\baix\b|hp-ux/i,
    support: 'conditional',
    note: 'an operating system Azure does not support',
  },
];

export interface OsVerdict {
  support: OsSupport;
  rule: string;
  note: string;
  is32Bit: boolean;
}

/** Classifies a guest OS; an OS nobody reported, or one the table does not know, is "unknown". */
export function classifyOs(os: { name: string | null; id: string | null; architecture?: 'x64' | 'x86' | null }): OsVerdict {
  const name = (os.name ?? '').trim();
  const id = (os.id ?? '').trim();
  const is32Bit = os.architecture === 'x86' || /\(32-bit\)|\b32-bit\b|\bx86\b(?!_64)|\bi[3-6]86\b/i.test(name);
  if (!name && !id)
    return {
      support: 'unknown',
      rule: 'os-not-reported',
      note: 'the guest OS was not reported (VMware Tools or Hyper-V Integration Services not running?)',
      is32Bit,
    };
  for (const candidate of [name, id]) {
    if (!candidate) continue;
    for (const rule of OS_TABLE) {
      if (!rule.pattern.test(candidate)) continue;
      if (rule.minMajor !== undefined) {
        const major = majorVersion(candidate, rule.pattern);
        if (major !== null && major < rule.minMajor) {
          return { support: rule.below ?? 'conditional', rule: `${rule.id}-old`, note: `${rule.note} ${major}: ${LINUX_OLD}`, is32Bit };
        }
        return {
          support: rule.support,
          rule: rule.id,
          note: major === null ? `${rule.note} (version not reported): ${LINUX_ENDORSED}` : `${rule.note} ${major}: ${LINUX_ENDORSED}`,
          is32Bit,
        };
      }
      return { support: rule.support, rule: rule.id, note: rule.note, is32Bit };
    }
  }
  return { support: 'unknown', rule: 'os-not-in-table', note: `the guest OS "${name || id}" is not in the readiness table`, is32Bit };
}

/** The first version number after the distribution's name ("CentOS 4/5 or later" -> 4, "Ubuntu 20.04" -> 20). */
function majorVersion(name: string, pattern: RegExp): number | null {
  const m = pattern.exec(name);
  const rest = m ? name.slice(m.index + m[0].length) : name;
  const v = /(?:^|[^\d])(\d{1,2})(?:[./]\d+)?(?!\d|-bit)/.exec(rest.replace(/\((32|64)-bit\)/gi, ''));
  return v ? Number(v[1]) : null;
}
