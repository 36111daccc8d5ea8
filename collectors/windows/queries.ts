// What the collector asks a Windows server (root/cimv2), one WQL Enumerate each. The inventory classes
// are the ones Azure Migrate reads for physical servers (reference azure-migrate.md 1.5); performance
// comes from the RAW counter classes (winrm.md 3.3), never the Formatted ones, whose values are averages
// over an interval the collector does not control. Projections keep replies small.

export const NS_CIMV2 = 'root/cimv2';

export const INVENTORY_QUERIES = {
  computerSystem:
    'SELECT Name, DNSHostName, Domain, PartOfDomain, TotalPhysicalMemory, NumberOfProcessors, NumberOfLogicalProcessors, Manufacturer, Model FROM Win32_ComputerSystem',
  operatingSystem: 'SELECT Caption, Version, OSArchitecture FROM Win32_OperatingSystem',
  processors: 'SELECT DeviceID, NumberOfCores, NumberOfLogicalProcessors FROM Win32_Processor',
  bios: 'SELECT SerialNumber FROM Win32_BIOS',
  product: 'SELECT IdentifyingNumber, UUID FROM Win32_ComputerSystemProduct',
  disks: 'SELECT DeviceID, Index, Model, Size, MediaType, InterfaceType FROM Win32_DiskDrive',
  partitions: 'SELECT DeviceID, DiskIndex, Index, Type, BootPartition FROM Win32_DiskPartition',
  adapterConfigs:
    'SELECT Index, Description, MACAddress, IPAddress, IPEnabled FROM Win32_NetworkAdapterConfiguration WHERE IPEnabled = TRUE',
  adapters: 'SELECT Index, Name, Description, NetConnectionID, MACAddress, GUID, PhysicalAdapter FROM Win32_NetworkAdapter',
} as const;
export type InventoryClassKey = keyof typeof INVENTORY_QUERIES;

const TIMES = 'Timestamp_PerfTime, Frequency_PerfTime, Timestamp_Sys100NS';
export const PROCESSOR_CLASS = 'Win32_PerfRawData_PerfOS_Processor';
export const MEMORY_CLASS = 'Win32_PerfRawData_PerfOS_Memory';
export const DISK_CLASS = 'Win32_PerfRawData_PerfDisk_PhysicalDisk';
export const NETWORK_CLASS = 'Win32_PerfRawData_Tcpip_NetworkInterface';

export const PERF_QUERIES = {
  processor: `SELECT Name, PercentProcessorTime, ${TIMES} FROM ${PROCESSOR_CLASS} WHERE Name = '_Total'`,
  memory: `SELECT AvailableBytes, ${TIMES} FROM ${MEMORY_CLASS}`,
  disk: `SELECT Name, DiskReadBytesPersec, DiskWriteBytesPersec, DiskReadsPersec, DiskWritesPersec, ${TIMES} FROM ${DISK_CLASS}`,
  network: `SELECT Name, BytesReceivedPersec, BytesSentPersec, ${TIMES} FROM ${NETWORK_CLASS}`,
} as const;
export type PerfClassKey = keyof typeof PERF_QUERIES;
