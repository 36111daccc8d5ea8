// Inside the guests: what the appliance reads with guest credentials, without agents (issue 12). Software
// inventory per machine, and TCP connection snapshots that become hourly dependency edges. Shared by the Linux
// (SSH) and Windows (WinRM) guest readers, the stores, the exports and the web app.

export type GuestOs = 'windows' | 'linux';

/** One installed application: Windows Uninstall registry keys (both hives), or a Linux package manager. */
export interface InstalledApplication {
  name: string;
  version: string | null;
  publisher: string | null;
  source: 'registry' | 'registry-wow6432' | 'dpkg' | 'rpm' | 'snap';
}

/** A Windows role or feature (Win32_ServerFeature). */
export interface WindowsFeature {
  id: number | null;
  name: string;
  parentId: number | null;
}

/** A SQL Server instance from the registry (Instance Names\SQL, then <instance>\Setup). */
export interface SqlServerInstance {
  name: string;
  edition: string | null;
  version: string | null;
  servicePack: string | null;
}

export interface SoftwareInventory {
  machine: string;
  /** ISO time the guest was read. */
  collectedAt: string;
  os: GuestOs;
  applications: InstalledApplication[];
  features: WindowsFeature[];
  sqlInstances: SqlServerInstance[];
  /** What could not be read and why (e.g. "rpm: not installed", "snap: permission denied"). */
  notes: string[];
}

/** The process that owns a socket, where the account may see it (Linux without root sees only its own). */
export interface GuestProcess {
  pid: number;
  name: string;
  path: string | null;
  args: string | null;
}

export interface TcpSocket {
  state: 'established' | 'listen';
  localIp: string;
  localPort: number;
  /** 0.0.0.0 / :: and port 0 for a listening socket. */
  remoteIp: string;
  remotePort: number;
  process: GuestProcess | null;
}

/** One 5-minute reading of a guest's TCP sockets. */
export interface ConnectionSnapshot {
  machine: string;
  /** Epoch ms the snapshot was taken. */
  ts: number;
  sockets: TcpSocket[];
  notes: string[];
}

/**
 * An hourly dependency edge: (source machine, process) -> (destination machine or IP, port, process when the
 * destination is also discovered), present in `polls` of that hour's 5-minute polls.
 */
export interface DependencyEdge {
  /** Epoch ms of the start of the hour. */
  hour: number;
  sourceMachine: string;
  sourceIp: string;
  sourceProcess: string | null;
  sourceApplication: string | null;
  destinationMachine: string | null;
  destinationIp: string;
  destinationPort: number;
  destinationProcess: string | null;
  destinationApplication: string | null;
  firstSeen: number;
  lastSeen: number;
  polls: number;
}

/** Why a guest could not be read (reported per machine, retried no faster than a back-off). */
export type GuestAccessFailure =
  | 'no-ip'
  | 'port-closed'
  | 'refused'
  | 'wrong-credential'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'timeout'
  | 'error';

/** A connection to one guest with one credential: what the software and dependency pollers use. */
export interface GuestReader {
  readonly os: GuestOs;
  software(): Promise<Omit<SoftwareInventory, 'machine' | 'collectedAt'>>;
  sockets(): Promise<{ sockets: TcpSocket[]; notes: string[] }>;
  close(): Promise<void>;
}
