import { z } from 'zod';

// Migration groups suggested from the dependency graph (issue 12): connections to shared infrastructure (DNS, NTP,
// Active Directory, backup agents) would join every server into one group, so their ports are left out; an edge
// seen in fewer than minPolls 5-minute polls is noise.
export const DEFAULT_IGNORE_PORTS = [
  53, // DNS
  123, // NTP
  88, // Kerberos
  464, // Kerberos password change
  389, // LDAP
  636, // LDAPS
  3268, // global catalog
  3269, // global catalog over TLS
  135, // RPC endpoint mapper (AD replication, WMI)
  5722, // DFS-R (SYSVOL)
  9389, // AD web services
  1556, // Veritas NetBackup (PBX)
  13724, // NetBackup client (vnetd)
  10000, // NDMP (backup appliances)
  6160, // Veeam installer / data mover
  6162, // Veeam data mover
  8400, // Commvault CVD
  8403, // Commvault
] as const;

export const groupSettings = z
  .object({
    /** Destination ports whose connections never join machines into one group. */
    ignorePorts: z.array(z.number().int().min(1).max(65535)).default([...DEFAULT_IGNORE_PORTS]),
    /** An edge counts when it was present in at least this many 5-minute polls over the range. */
    minPolls: z.number().int().min(1).default(2),
  })
  .strict();
export type GroupSettings = z.infer<typeof groupSettings>;
