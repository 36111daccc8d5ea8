// The root/virtualization/v2 and root/MSCluster classes a Hyper-V host answers, built from the
// simulated world with the shapes and key formats Windows uses (docs/azure-migrate.md §2.1): InstanceIDs
// "Microsoft:<VMGUID>\...", MACs as 12 hex digits, GUIDs upper case, KVP items as embedded CIM-XML.
import type { CimInstance, CimValue } from '../../collectors/wsman/index.js';
import { stableUuid } from '../estate.js';
import type { SimHost, SimVm, HypervWorld } from './world.js';

/** CIM values as the simulator holds them: the WS-Man layer's own types (embedded instances as objects until rendered). */
export type SimValue = CimValue;
export type SimInstance = CimInstance;

export const NS_VIRTUALIZATION = 'root/virtualization/v2';
export const NS_CIMV2 = 'root/cimv2';
export const NS_CLUSTER = 'root/MSCluster';

const ENABLED_STATE: Record<SimVm['powerState'], string> = { poweredOn: '2', poweredOff: '3', suspended: '6' };

function datetime(ms: number): { datetime: string } {
  return { datetime: new Date(ms).toISOString() };
}

function macHex(mac: string): string {
  return mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

function wmiPath(host: string, cls: string, keys: string): string {
  return `\\\\${host.toUpperCase()}\\root\\virtualization\\v2:${cls}.${keys}`;
}

function kvpItem(name: string, data: string): SimInstance {
  return {
    className: 'Msvm_KvpExchangeDataItem',
    properties: { Caption: null, Data: data, Description: null, ElementName: null, Name: name, Source: '2' },
  };
}

function computerSystem(v: SimVm, now: number): SimInstance {
  return {
    className: 'Msvm_ComputerSystem',
    properties: {
      Caption: 'Virtual Machine',
      CreationClassName: 'Msvm_ComputerSystem',
      Description: 'Microsoft Virtual Machine',
      ElementName: v.vm.name,
      EnabledState: ENABLED_STATE[v.powerState],
      HealthState: '5',
      InstallDate: datetime(v.startedMs - 86_400_000 * 30),
      Name: v.guid,
      OnTimeInMilliseconds: v.powerState === 'poweredOn' ? String(Math.max(0, now - v.startedMs)) : '0',
      OtherEnabledState: null,
      ProcessID: v.powerState === 'poweredOn' ? String(1000 + v.vm.index * 4) : null,
      RequestedState: '5',
      TimeOfLastStateChange: datetime(v.startedMs),
      NumberOfNumaNodes: '1',
      AvailableRequestedStates: ['3', '9'],
    },
  };
}

type Push = (inst: SimInstance) => void;

/** The host itself, as Msvm_ComputerSystem lists it ahead of its VMs. */
function hostSystem(host: SimHost): SimInstance {
  const H = host.name.toUpperCase();
  return {
    className: 'Msvm_ComputerSystem',
    properties: {
      Caption: 'Hosting Computer System',
      CreationClassName: 'Msvm_ComputerSystem',
      Description: 'Microsoft Hosting Computer System',
      ElementName: H,
      EnabledState: '2',
      HealthState: '5',
      InstallDate: datetime(host.bootMs - 86_400_000 * 365),
      Name: H,
      OnTimeInMilliseconds: null,
      OtherEnabledState: null,
      ProcessID: null,
      RequestedState: '5',
      TimeOfLastStateChange: datetime(host.bootMs),
      NumberOfNumaNodes: '2',
      AvailableRequestedStates: [],
    },
  };
}

/** The VM's realized settings row (a checkpoint's rows differ in VirtualSystemType). */
function systemSettings(v: SimVm): SimInstance {
  const G = v.guid;
  const vm = v.vm;
  return {
    className: 'Msvm_VirtualSystemSettingData',
    properties: {
      InstanceID: `Microsoft:${G}`,
      Caption: 'Virtual Machine Settings',
      ElementName: vm.name,
      VirtualSystemIdentifier: G,
      VirtualSystemType: 'Microsoft:Hyper-V:System:Realized',
      VirtualSystemSubType: `Microsoft:Hyper-V:SubType:${vm.generation}`,
      Version: '9.0',
      BIOSGUID: `{${vm.biosUuid.toUpperCase()}}`,
      BIOSSerialNumber: `${(vm.index * 7919 + 1000).toString().padStart(4, '0')}-${(vm.index * 104729).toString().padStart(7, '0').slice(0, 4)}-${G.slice(0, 4)}`,
      SecureBootEnabled: vm.generation === 2 ? 'true' : 'false',
      ConfigurationDataRoot: `C:\\VMs\\${vm.name}`,
      CreationTime: datetime(v.startedMs - 86_400_000 * 30),
      Notes: vm.annotation ? [vm.annotation] : [],
    },
  };
}

function processorSettings(v: SimVm): SimInstance {
  return {
    className: 'Msvm_ProcessorSettingData',
    properties: {
      InstanceID: `Microsoft:${v.guid}\\B637F346-6A0E-4DEC-AF52-BD70CB80A21D\\0`,
      Caption: 'Processor',
      ElementName: 'Processor',
      ResourceType: '3',
      ResourceSubType: 'Microsoft:Hyper-V:Processor',
      VirtualQuantity: String(v.vm.cpus),
      Reservation: '0',
      Limit: '100000',
      Weight: '100',
      AllocationUnits: 'percent / 1000',
    },
  };
}

/** Startup memory; with dynamic memory, Reservation/Limit are its minimum and maximum. */
function memorySettings(v: SimVm): SimInstance {
  const vm = v.vm;
  const dyn = vm.dynamicMemory?.enabled ?? false;
  return {
    className: 'Msvm_MemorySettingData',
    properties: {
      InstanceID: `Microsoft:${v.guid}\\4764334D-E001-4176-82EE-5594EC9B530E`,
      Caption: 'Memory',
      ElementName: 'Memory',
      ResourceType: '4',
      ResourceSubType: 'Microsoft:Hyper-V:Memory',
      AllocationUnits: 'byte * 2^20',
      VirtualQuantity: String(vm.memoryMB),
      Reservation: String(dyn && vm.dynamicMemory ? vm.dynamicMemory.minimumMB : vm.memoryMB),
      Limit: String(dyn && vm.dynamicMemory ? vm.dynamicMemory.maximumMB : vm.memoryMB),
      DynamicMemoryEnabled: dyn ? 'true' : 'false',
      TargetMemoryBuffer: '20',
      Weight: '5000',
    },
  };
}

/** Disks: IDE for generation 1, SCSI for generation 2; a DVD drive on generation 1 holding an ISO. */
function pushStorage(push: Push, H: string, v: SimVm): void {
  const G = v.guid;
  const gen1 = v.vm.generation === 1;
  const controller = gen1 ? '83F8638B-8DCA-4152-9EDA-2CA8B33039B4' : 'D422512D-2BF2-4752-809D-7B82B5FCB1B4';
  for (const d of v.disks) {
    const ctrl = gen1 ? Math.floor(d.index / 2) : 0;
    const unit = gen1 ? d.index % 2 : d.index;
    const driveId = `Microsoft:${G}\\${controller}\\${ctrl}\\${unit}\\D`;
    push({
      className: 'Msvm_StorageAllocationSettingData',
      properties: {
        InstanceID: `Microsoft:${G}\\${controller}\\${ctrl}\\${unit}\\L`,
        Caption: 'Hard Disk Image',
        ElementName: 'Hard Disk Image',
        ResourceType: '31',
        ResourceSubType: 'Microsoft:Hyper-V:Virtual Hard Disk',
        HostResource: [d.path],
        Parent: wmiPath(H, 'Msvm_ResourceAllocationSettingData', `InstanceID="${driveId.replace(/\\/g, '\\\\')}"`),
        Access: '3',
        IOPSLimit: '0',
        IOPSReservation: '0',
        PersistentReservationsSupported: 'false',
      },
    });
  }
  if (gen1) push(isoDisk(H, G));
}

function isoDisk(H: string, G: string): SimInstance {
  return {
    className: 'Msvm_StorageAllocationSettingData',
    properties: {
      InstanceID: `Microsoft:${G}\\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\\1\\0\\L`,
      Caption: 'ISO Disk Image',
      ElementName: 'ISO Disk Image',
      ResourceType: '31',
      ResourceSubType: 'Microsoft:Hyper-V:Virtual CD/DVD Disk',
      HostResource: ['C:\\ISO\\ubuntu-22.04.iso'],
      Parent: wmiPath(
        H,
        'Msvm_ResourceAllocationSettingData',
        `InstanceID="Microsoft:${G}\\\\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\\\\1\\\\0\\\\D"`,
      ),
      Access: '1',
      IOPSLimit: '0',
      IOPSReservation: '0',
      PersistentReservationsSupported: 'false',
    },
  };
}

type SimNic = SimVm['nics'][number];

/** One NIC: its port settings, its switch connection and (running VMs only) the guest's IP configuration. */
function pushNic(push: Push, H: string, v: SimVm, n: SimNic, switchGuid: string | undefined): void {
  const G = v.guid;
  push({
    className: 'Msvm_SyntheticEthernetPortSettingData',
    properties: {
      InstanceID: `Microsoft:${G}\\${n.guid}`,
      Caption: 'Virtual Ethernet Port',
      ElementName: 'Network Adapter',
      ResourceType: '10',
      ResourceSubType: 'Microsoft:Hyper-V:Synthetic Ethernet Port',
      Address: macHex(n.mac),
      StaticMacAddress: 'false',
      VirtualSystemIdentifiers: [`{${n.guid}}`],
    },
  });
  push({
    className: 'Msvm_EthernetPortAllocationSettingData',
    properties: {
      InstanceID: `Microsoft:${G}\\${n.guid}\\C`,
      Caption: 'Ethernet Switch Port Settings',
      ElementName: 'Dynamic Ethernet Switch Port',
      ResourceType: '33',
      ResourceSubType: 'Microsoft:Hyper-V:Ethernet Connection',
      Parent: wmiPath(H, 'Msvm_SyntheticEthernetPortSettingData', `InstanceID="Microsoft:${G}\\\\${n.guid}"`),
      HostResource: [
        `\\\\${H}\\root\\virtualization\\v2:Msvm_VirtualEthernetSwitch.CreationClassName="Msvm_VirtualEthernetSwitch",Name="${switchGuid}"`,
      ],
      EnabledState: '2',
      LastKnownSwitchName: n.switchName,
    },
  });
  if (v.powerState !== 'poweredOn') return;
  const ips = n.index === 0 ? v.vm.ipAddresses : [];
  push({
    className: 'Msvm_GuestNetworkAdapterConfiguration',
    properties: {
      InstanceID: `Microsoft:GuestNetwork\\${G}\\${n.guid}`,
      IPAddresses: ips,
      Subnets: ips.map((ip) => (ip.includes(':') ? '/64' : '255.255.255.0')),
      DefaultGateways: [],
      DNSServers: [],
      DHCPEnabled: 'true',
      IPAddressOrigins: ips.map(() => '4'),
      ProtocolIFType: '4096',
    },
  });
}

/** The guest's intrinsic KVP items; a VM that is not running exchanges none. */
function guestKvpItems(v: SimVm): SimInstance[] {
  const items: SimInstance[] = [];
  if (v.powerState !== 'poweredOn') return items;
  const vm = v.vm;
  if (vm.fqdn) items.push(kvpItem('FullyQualifiedDomainName', vm.fqdn));
  items.push(kvpItem('OSName', vm.os.name));
  if (vm.os.version) {
    items.push(kvpItem('OSVersion', vm.os.version));
    const [major, minor, build] = vm.os.version.split('.');
    if (major) items.push(kvpItem('OSMajorVersion', major));
    if (minor) items.push(kvpItem('OSMinorVersion', minor));
    if (build) items.push(kvpItem('OSBuildNumber', build));
  }
  items.push(kvpItem('ProcessorArchitecture', '9'));
  items.push(kvpItem('IntegrationServicesVersion', '10.0.20348.1'));
  const v4 = vm.ipAddresses.filter((ip) => !ip.includes(':'));
  const v6 = vm.ipAddresses.filter((ip) => ip.includes(':'));
  if (v4.length) items.push(kvpItem('NetworkAddressIPv4', v4.join(';')));
  if (v6.length) items.push(kvpItem('NetworkAddressIPv6', v6.join(';')));
  return items;
}

function kvpComponent(v: SimVm): SimInstance {
  const G = v.guid;
  return {
    className: 'Msvm_KvpExchangeComponent',
    properties: {
      Caption: 'Key-Value Pair Exchange',
      CreationClassName: 'Msvm_KvpExchangeComponent',
      DeviceID: `Microsoft:${G}\\KvpExchange`,
      ElementName: 'Key-Value Pair Exchange',
      EnabledState: v.powerState === 'poweredOn' ? '2' : '3',
      SystemName: G,
      SystemCreationClassName: 'Msvm_ComputerSystem',
      GuestIntrinsicExchangeItems: guestKvpItems(v),
      GuestExchangeItems: [],
    },
  };
}

/** Every row of one VM, in the order a host lists them; switches collects the switches its NICs use. */
function pushVm(push: Push, world: HypervWorld, H: string, v: SimVm, switches: Map<string, string>): void {
  push(computerSystem(v, world.clock()));
  if (v.vm.index % 3 === 0) pushCheckpoint(push, world, v);
  push(systemSettings(v));
  push(processorSettings(v));
  push(memorySettings(v));
  pushStorage(push, H, v);
  for (const n of v.nics) {
    if (!switches.has(n.switchName)) switches.set(n.switchName, stableUuid(world.estate.seed, 'switch', n.switchName).toUpperCase());
    pushNic(push, H, v, n, switches.get(n.switchName));
  }
  push(kvpComponent(v));
}

function imageManagementService(H: string): SimInstance {
  return {
    className: 'Msvm_ImageManagementService',
    properties: {
      CreationClassName: 'Msvm_ImageManagementService',
      ElementName: 'Microsoft:HyperV:Image Management Service',
      Name: 'vhdsvc',
      SystemCreationClassName: 'Msvm_ComputerSystem',
      SystemName: H,
      EnabledState: '2',
    },
  };
}

/** Every inventory class of one host, keyed by class name (in first-listed order, as the lab always had it). */
export function inventoryClasses(world: HypervWorld, host: SimHost): Map<string, SimInstance[]> {
  const out = new Map<string, SimInstance[]>();
  const push = (inst: SimInstance): void => {
    const list = out.get(inst.className) ?? [];
    list.push(inst);
    out.set(inst.className, list);
  };
  const H = host.name.toUpperCase();
  push(hostSystem(host));
  const switches = new Map<string, string>();
  for (const v of world.vmsOn(host.name)) pushVm(push, world, H, v, switches);
  for (const [name, guid] of switches) {
    push({
      className: 'Msvm_VirtualEthernetSwitch',
      properties: { CreationClassName: 'Msvm_VirtualEthernetSwitch', ElementName: name, Name: guid, EnabledState: '2', HealthState: '5' },
    });
  }
  push(imageManagementService(H));
  return out;
}

/**
 * A checkpoint (snapshot) of the VM: its own settings rows, keyed by the checkpoint's GUID, with other
 * values than the VM's, listed before the VM's own rows. Enumerating the classes host-wide returns them
 * too; a client must join on the VM GUID and keep only the realized settings.
 */
function pushCheckpoint(push: Push, world: HypervWorld, v: SimVm): void {
  const S = stableUuid(world.estate.seed, 'checkpoint', v.vm.name).toUpperCase();
  push({
    className: 'Msvm_VirtualSystemSettingData',
    properties: {
      InstanceID: `Microsoft:${S}`,
      Caption: 'Virtual Machine Settings',
      ElementName: `${v.vm.name} - (checkpoint)`,
      VirtualSystemIdentifier: v.guid,
      VirtualSystemType: 'Microsoft:Hyper-V:Snapshot:Realized',
      VirtualSystemSubType: `Microsoft:Hyper-V:SubType:${v.vm.generation}`,
      Version: '9.0',
      BIOSGUID: `{${v.vm.biosUuid.toUpperCase()}}`,
      BIOSSerialNumber: null,
      SecureBootEnabled: 'false',
      ConfigurationDataRoot: `C:\\VMs\\${v.vm.name}`,
      CreationTime: datetime(v.startedMs - 86_400_000),
      Notes: ['checkpoint before patching'],
    },
  });
  push({
    className: 'Msvm_ProcessorSettingData',
    properties: {
      InstanceID: `Microsoft:${S}\\B637F346-6A0E-4DEC-AF52-BD70CB80A21D\\0`,
      Caption: 'Processor',
      ElementName: 'Processor',
      ResourceType: '3',
      ResourceSubType: 'Microsoft:Hyper-V:Processor',
      VirtualQuantity: String(v.vm.cpus + 1),
      Reservation: '0',
      Limit: '100000',
      Weight: '100',
      AllocationUnits: 'percent / 1000',
    },
  });
  push({
    className: 'Msvm_MemorySettingData',
    properties: {
      InstanceID: `Microsoft:${S}\\4764334D-E001-4176-82EE-5594EC9B530E`,
      Caption: 'Memory',
      ElementName: 'Memory',
      ResourceType: '4',
      ResourceSubType: 'Microsoft:Hyper-V:Memory',
      AllocationUnits: 'byte * 2^20',
      VirtualQuantity: String(v.vm.memoryMB * 2),
      Reservation: '512',
      Limit: '1048576',
      DynamicMemoryEnabled: 'true',
      TargetMemoryBuffer: '20',
      Weight: '5000',
    },
  });
  for (const d of v.disks) {
    push({
      className: 'Msvm_StorageAllocationSettingData',
      properties: {
        InstanceID: `Microsoft:${S}\\D422512D-2BF2-4752-809D-7B82B5FCB1B4\\0\\${d.index}\\L`,
        Caption: 'Hard Disk Image',
        ElementName: 'Hard Disk Image',
        ResourceType: '31',
        ResourceSubType: 'Microsoft:Hyper-V:Virtual Hard Disk',
        HostResource: [d.path.replace(/\.vhdx?$/i, '_CHECKPOINT.avhdx')],
        Parent: null,
        Access: '3',
        IOPSLimit: '0',
        IOPSReservation: '0',
        PersistentReservationsSupported: 'false',
      },
    });
  }
}

/** Msvm_VirtualHardDiskSettingData for a VHD path, as GetVirtualHardDiskSettingData returns it. */
export function vhdSettingData(world: HypervWorld, host: SimHost, path: string): SimInstance | null {
  const want = path.toLowerCase();
  for (const v of world.vmsOn(host.name)) {
    for (const d of v.disks) {
      if (d.path.toLowerCase() !== want) continue;
      return {
        className: 'Msvm_VirtualHardDiskSettingData',
        properties: {
          InstanceID: `Microsoft:${d.virtualDiskId}`,
          ElementName: d.path.split('\\').pop() ?? d.path,
          Path: d.path,
          Type: String(d.vhdType),
          Format: d.path.toLowerCase().endsWith('.vhd') ? '2' : '3',
          MaxInternalSize: String(d.capacityBytes),
          BlockSize: d.vhdType === 2 ? '0' : '33554432',
          LogicalSectorSize: '512',
          PhysicalSectorSize: '4096',
          ParentPath: d.vhdType === 4 ? d.path.replace(/(\.[^.\\]+)$/, '-parent$1') : null,
          VirtualDiskId: `{${d.virtualDiskId}}`,
          IsPmemCompatible: 'false',
        },
      };
    }
  }
  return null;
}

/** root/MSCluster: the cluster and its nodes (State 0 = up, 1 = down), answered by every node. */
export function clusterClasses(world: HypervWorld, host: SimHost): Map<string, SimInstance[]> | null {
  if (!host.cluster) return null;
  const nodes = world.clusterNodes(host.cluster);
  return new Map<string, SimInstance[]>([
    [
      'MSCluster_Cluster',
      [{ className: 'MSCluster_Cluster', properties: { Name: host.cluster, Fqdn: `${host.cluster}.lab.local`, Caption: null } }],
    ],
    [
      'MSCluster_Node',
      nodes.map((n, i) => ({
        className: 'MSCluster_Node',
        properties: { Name: n.name, State: n.down ? '1' : '0', NodeWeight: '1', Id: String(i + 1), Caption: null, Description: null },
      })),
    ],
  ]);
}
