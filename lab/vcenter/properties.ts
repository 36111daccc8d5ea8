// The properties of every managed object the lab serves, as lazy vim25 data objects. Only the path a
// client asks for is built, so a RetrievePropertiesEx page over thousands of VMs stays cheap.
import type { EstateVm } from '../estate.js';
import { API_VERSION } from './soap.js';
import { COUNTERS, HISTORICAL_INTERVALS } from './perf-counters.js';
import { HOST_CPU_MHZ, SCSI_CONTROLLER_KEY, diskSlot, scsiControllerCount } from './truth.js';
import { SERVICE, ref, refOf, vmRef, type EntityMo, type LabInventory, type MoRef } from './model.js';
import { arr, bool, enumVal, int, long, moref, obj, refs, str, strings, time, type Fields, type Val } from './values.js';

export interface LabSession {
  key: string;
  userName: string;
  loginTime: number;
  lastActiveTime: number;
  ipAddress: string;
  userAgent: string;
  callCount: number;
}

export interface ContainerViewState {
  ref: MoRef;
  container: MoRef;
  types: string[];
  recursive: boolean;
  /** Resolved once at creation (this lab's inventory does not change while it runs). */
  view: MoRef[];
}

/** What property encoders may consult besides the inventory. */
export interface PropertyContext {
  inv: LabInventory;
  vcenterName: string;
  instanceUuid: string;
  startedAt: number;
  now(): number;
  session: LabSession | null;
  sessions(): LabSession[];
  views(): ContainerViewState[];
  view(value: string): ContainerViewState | undefined;
}

// ---------------------------------------------------------------- ServiceInstance

export function aboutInfo(ctx: PropertyContext): Val {
  return obj('AboutInfo', {
    name: () => str('VMware vCenter Server'),
    fullName: () => str('VMware vCenter Server 7.0.3 build-21477706 (assessment-collector lab)'),
    vendor: () => str('VMware, Inc.'),
    version: () => str('7.0.3'),
    build: () => str('21477706'),
    localeVersion: () => str('INTL'),
    localeBuild: () => str('000'),
    osType: () => str('linux-x64'),
    productLineId: () => str('vpx'),
    apiType: () => str('VirtualCenter'),
    apiVersion: () => str(API_VERSION),
    instanceUuid: () => str(ctx.instanceUuid),
    licenseProductName: () => str('VMware VirtualCenter Server'),
    licenseProductVersion: () => str('7.0'),
  });
}

export function serviceContent(ctx: PropertyContext): Val {
  const m = (type: string, value: string) => () => moref(ref(type, value));
  return obj('ServiceContent', {
    rootFolder: () => moref(refOf(ctx.inv.rootFolder)),
    propertyCollector: () => moref(SERVICE.propertyCollector),
    viewManager: () => moref(SERVICE.viewManager),
    about: () => aboutInfo(ctx),
    setting: m('OptionManager', 'VpxSettings'),
    userDirectory: m('UserDirectory', 'UserDirectory'),
    sessionManager: () => moref(SERVICE.sessionManager),
    authorizationManager: m('AuthorizationManager', 'AuthorizationManager'),
    perfManager: () => moref(SERVICE.perfManager),
    scheduledTaskManager: m('ScheduledTaskManager', 'ScheduledTaskManager'),
    alarmManager: m('AlarmManager', 'AlarmManager'),
    eventManager: m('EventManager', 'EventManager'),
    taskManager: m('TaskManager', 'TaskManager'),
    extensionManager: m('ExtensionManager', 'ExtensionManager'),
    customizationSpecManager: m('CustomizationSpecManager', 'CustomizationSpecManager'),
    customFieldsManager: m('CustomFieldsManager', 'CustomFieldsManager'),
    diagnosticManager: m('DiagnosticManager', 'DiagMgr'),
    licenseManager: m('LicenseManager', 'LicenseManager'),
    searchIndex: m('SearchIndex', 'SearchIndex'),
  });
}

// ---------------------------------------------------------------- VirtualMachine

const isWindows = (vm: EstateVm) => /^win/i.test(vm.os.id ?? '') || /windows/i.test(vm.os.name);
const guestId = (vm: EstateVm) => vm.os.id ?? (isWindows(vm) ? 'windows9Server64Guest' : 'otherLinux64Guest');
const vmxPath = (vm: EstateVm) => `[datastore1] ${vm.name}/${vm.name}.vmx`;
const on = (vm: EstateVm) => vm.powerState === 'poweredOn';

/** The NIC model: old Windows gets an E1000, Windows Server 2016 an E1000e, everything else vmxnet3. */
function nicType(vm: EstateVm): string {
  const id = vm.os.id ?? '';
  if (/^winNet|^winXP|^win2000/i.test(id)) return 'VirtualE1000';
  if (/^windows9/i.test(id)) return 'VirtualE1000e';
  return 'VirtualVmxnet3';
}

const description = (label: string, summary: string) => () => obj('Description', { label: () => str(label), summary: () => str(summary) });
const ints = (list: number[]): Val => arr('int', list.map(int));

function devices(vm: EstateVm): Val[] {
  const controllers = scsiControllerCount(vm.disks.length);
  const out: Val[] = [];
  out.push(obj('VirtualIDEController', { key: () => int(200), deviceInfo: description('IDE 0', 'IDE 0'), busNumber: () => int(0), device: () => ints([3000]) }));
  out.push(obj('VirtualIDEController', { key: () => int(201), deviceInfo: description('IDE 1', 'IDE 1'), busNumber: () => int(1) }));
  const pciDevices = [500, ...Array.from({ length: controllers }, (_, i) => SCSI_CONTROLLER_KEY + i), ...vm.nics.map((n) => n.key)];
  out.push(obj('VirtualPCIController', { key: () => int(100), deviceInfo: description('PCI controller 0', 'PCI controller 0'), busNumber: () => int(0), device: () => ints(pciDevices) }));
  out.push(
    obj('VirtualMachineVideoCard', {
      key: () => int(500),
      deviceInfo: description('Video card ', 'Video card'),
      controllerKey: () => int(100),
      unitNumber: () => int(0),
      videoRamSizeInKB: () => long(4096),
      numDisplays: () => int(1),
      useAutoDetect: () => bool(false),
      enable3DSupport: () => bool(false),
    }),
  );
  for (let c = 0; c < controllers; c++) {
    const keys = vm.disks.filter((_, i) => diskSlot(i).bus === c).map((d) => d.key);
    out.push(
      obj('ParaVirtualSCSIController', {
        key: () => int(SCSI_CONTROLLER_KEY + c),
        deviceInfo: description(`SCSI controller ${c}`, 'VMware paravirtual SCSI'),
        controllerKey: () => int(100),
        unitNumber: () => int(3 + c),
        busNumber: () => int(c),
        device: () => (keys.length ? ints(keys) : undefined),
        hotAddRemove: () => bool(true),
        sharedBus: () => enumVal('VirtualSCSISharing', 'noSharing'),
        scsiCtlrUnitNumber: () => int(7),
      }),
    );
  }
  out.push(
    obj('VirtualCdrom', {
      key: () => int(3000),
      deviceInfo: description('CD/DVD drive 1', 'Remote device'),
      backing: () => obj('VirtualCdromRemotePassthroughBackingInfo', { deviceName: () => str(''), useAutoDetect: () => bool(false), exclusive: () => bool(false) }),
      connectable: () => connectInfo(false),
      controllerKey: () => int(200),
      unitNumber: () => int(0),
    }),
  );
  vm.disks.forEach((d, i) => {
    const slot = diskSlot(i);
    const thin = d.type === 'thin';
    out.push(
      obj('VirtualDisk', {
        key: () => int(d.key),
        deviceInfo: description(`Hard disk ${i + 1}`, `${Math.round(d.capacityBytes / 1024).toLocaleString('en-US')} KB`),
        backing: () =>
          obj('VirtualDiskFlatVer2BackingInfo', {
            fileName: () => str(d.path),
            diskMode: () => str('persistent'),
            split: () => bool(false),
            writeThrough: () => bool(false),
            thinProvisioned: () => bool(thin),
            eagerlyScrub: () => (thin ? undefined : bool(d.type === 'eagerZeroedThick')),
            uuid: () => str(`6000C29${vm.biosUuid.replace(/-/g, '').slice(0, 9)}-${String(d.key).padStart(4, '0')}`),
            digestEnabled: () => bool(false),
            sharing: () => str('sharingNone'),
          }),
        controllerKey: () => int(slot.controllerKey),
        unitNumber: () => int(slot.unitNumber),
        capacityInKB: () => long(Math.round(d.capacityBytes / 1024)),
        capacityInBytes: () => long(d.capacityBytes),
        diskObjectId: () => str(`${vm.index + 1}-${d.key}`),
      }),
    );
  });
  const type = nicType(vm);
  vm.nics.forEach((n, i) => {
    out.push(
      obj(type, {
        key: () => int(n.key),
        deviceInfo: description(`Network adapter ${i + 1}`, n.network),
        backing: () => obj('VirtualEthernetCardNetworkBackingInfo', { deviceName: () => str(n.network), useAutoDetect: () => bool(false) }),
        connectable: () => connectInfo(on(vm)),
        controllerKey: () => int(100),
        unitNumber: () => int(7 + i),
        addressType: () => str('assigned'),
        macAddress: () => str(n.mac),
        wakeOnLanEnabled: () => bool(true),
      }),
    );
  });
  return out;
}

function connectInfo(connected: boolean): Val {
  return obj('VirtualDeviceConnectInfo', {
    startConnected: () => bool(true),
    allowGuestControl: () => bool(true),
    connected: () => bool(connected),
    status: () => str('ok'),
  });
}

function vmRuntime(ctx: PropertyContext, vm: EstateVm): Val {
  return obj('VirtualMachineRuntimeInfo', {
    host: () => moref(refOf(ctx.inv.hostOf(vm))),
    connectionState: () => enumVal('VirtualMachineConnectionState', 'connected'),
    powerState: () => enumVal('VirtualMachinePowerState', vm.powerState),
    faultToleranceState: () => enumVal('VirtualMachineFaultToleranceState', 'notConfigured'),
    toolsInstallerMounted: () => bool(false),
    bootTime: () => (on(vm) ? time(ctx.startedAt - 86_400_000) : undefined),
    maxCpuUsage: () => (on(vm) ? int(vm.cpus * HOST_CPU_MHZ) : undefined),
    maxMemoryUsage: () => (on(vm) ? int(vm.memoryMB) : undefined),
    numMksConnections: () => int(0),
    consolidationNeeded: () => bool(false),
  });
}

const toolsRunning = (vm: EstateVm) => (on(vm) ? 'guestToolsRunning' : 'guestToolsNotRunning');

function vmGuest(vm: EstateVm): Val {
  return obj('GuestInfo', {
    toolsStatus: () => enumVal('VirtualMachineToolsStatus', on(vm) ? 'toolsOk' : 'toolsNotRunning'),
    toolsVersionStatus2: () => str('guestToolsCurrent'),
    toolsRunningStatus: () => str(toolsRunning(vm)),
    toolsVersion: () => str('11365'),
    guestId: () => (on(vm) ? str(guestId(vm)) : undefined),
    guestFamily: () => (on(vm) ? str(isWindows(vm) ? 'windowsGuest' : 'linuxGuest') : undefined),
    guestFullName: () => (on(vm) ? str(vm.os.name) : undefined),
    hostName: () => (on(vm) ? str(vm.fqdn) : undefined),
    ipAddress: () => (on(vm) && vm.ipAddresses.length ? str(vm.ipAddresses[0]) : undefined),
    net: () =>
      on(vm)
        ? arr(
            'GuestNicInfo',
            vm.nics.map((n, i) =>
              obj('GuestNicInfo', {
                network: () => str(n.network),
                // The estate's addresses are reported on the first NIC, as a single-homed guest would.
                ipAddress: () => (i === 0 && vm.ipAddresses.length ? strings(vm.ipAddresses) : undefined),
                macAddress: () => str(n.mac),
                connected: () => bool(true),
                deviceConfigId: () => int(n.key),
              }),
            ),
          )
        : undefined,
    guestState: () => str(on(vm) ? 'running' : 'notRunning'),
  });
}

function vmConfig(vm: EstateVm): Val {
  return obj('VirtualMachineConfigInfo', {
    changeVersion: () => str('2024-01-01T00:00:00.000000Z'),
    modified: () => time(Date.UTC(2024, 0, 1)),
    name: () => str(vm.name),
    guestFullName: () => str(vm.os.name),
    version: () => str('vmx-14'),
    uuid: () => str(vm.biosUuid),
    instanceUuid: () => str(vm.instanceUuid),
    locationId: () => str(`564d${vm.biosUuid.replace(/-/g, '').slice(4, 16)}`),
    template: () => bool(vm.template),
    guestId: () => str(guestId(vm)),
    alternateGuestName: () => str(''),
    annotation: () => str(vm.annotation),
    files: () =>
      obj('VirtualMachineFileInfo', {
        vmPathName: () => str(vmxPath(vm)),
        snapshotDirectory: () => str(`[datastore1] ${vm.name}/`),
        suspendDirectory: () => str(`[datastore1] ${vm.name}/`),
        logDirectory: () => str(`[datastore1] ${vm.name}/`),
      }),
    hardware: () =>
      obj('VirtualHardware', {
        numCPU: () => int(vm.cpus),
        numCoresPerSocket: () => int(1),
        memoryMB: () => int(vm.memoryMB),
        virtualICH7MPresent: () => bool(false),
        virtualSMCPresent: () => bool(false),
        device: () => arr('VirtualDevice', devices(vm)),
      }),
    cpuHotAddEnabled: () => bool(false),
    cpuHotRemoveEnabled: () => bool(false),
    memoryHotAddEnabled: () => bool(false),
    firmware: () => str(vm.firmware === 'uefi' ? 'efi' : 'bios'),
  });
}

function vmSummary(ctx: PropertyContext, vm: EstateVm): Val {
  const committed = vm.disks.reduce((s, d) => s + (d.type === 'thin' ? Math.round(d.capacityBytes / 4) : d.capacityBytes), 0);
  return obj('VirtualMachineSummary', {
    vm: () => moref(vmRef(vm)),
    runtime: () => vmRuntime(ctx, vm),
    guest: () =>
      obj('VirtualMachineGuestSummary', {
        guestId: () => (on(vm) ? str(guestId(vm)) : undefined),
        guestFullName: () => (on(vm) ? str(vm.os.name) : undefined),
        toolsStatus: () => enumVal('VirtualMachineToolsStatus', on(vm) ? 'toolsOk' : 'toolsNotRunning'),
        toolsVersionStatus2: () => str('guestToolsCurrent'),
        toolsRunningStatus: () => str(toolsRunning(vm)),
        hostName: () => (on(vm) ? str(vm.fqdn) : undefined),
        ipAddress: () => (on(vm) && vm.ipAddresses.length ? str(vm.ipAddresses[0]) : undefined),
      }),
    config: () =>
      obj('VirtualMachineConfigSummary', {
        name: () => str(vm.name),
        template: () => bool(vm.template),
        vmPathName: () => str(vmxPath(vm)),
        memorySizeMB: () => int(vm.memoryMB),
        cpuReservation: () => int(0),
        memoryReservation: () => int(0),
        numCpu: () => int(vm.cpus),
        numEthernetCards: () => int(vm.nics.length),
        numVirtualDisks: () => int(vm.disks.length),
        uuid: () => str(vm.biosUuid),
        instanceUuid: () => str(vm.instanceUuid),
        guestId: () => str(guestId(vm)),
        guestFullName: () => str(vm.os.name),
        annotation: () => str(vm.annotation ?? ''),
        installBootRequired: () => bool(false),
      }),
    storage: () =>
      obj('VirtualMachineStorageSummary', {
        committed: () => long(committed),
        uncommitted: () => long(vm.disks.reduce((s, d) => s + d.capacityBytes, 0) - committed),
        unshared: () => long(committed),
        timestamp: () => time(ctx.startedAt),
      }),
    overallStatus: () => enumVal('ManagedEntityStatus', 'green'),
  });
}

export function vmProperties(ctx: PropertyContext, vm: EstateVm): Fields {
  const host = ctx.inv.hostOf(vm);
  return {
    name: () => str(vm.name),
    parent: () => moref(refOf(host.compute.datacenter.vmFolder)),
    overallStatus: () => enumVal('ManagedEntityStatus', 'green'),
    config: () => vmConfig(vm),
    runtime: () => vmRuntime(ctx, vm),
    guest: () => vmGuest(vm),
    summary: () => vmSummary(ctx, vm),
    resourcePool: () => (vm.template ? undefined : moref(refOf(host.compute.pool))),
    guestHeartbeatStatus: () => enumVal('ManagedEntityStatus', on(vm) ? 'green' : 'gray'),
  };
}

// ---------------------------------------------------------------- inventory entities

export function entityProperties(ctx: PropertyContext, e: EntityMo): Fields {
  const base: Fields = {
    name: () => str(e.name),
    parent: () => moref(e.parent),
    overallStatus: () => enumVal('ManagedEntityStatus', e.type === 'HostSystem' && e.host.down ? 'red' : 'green'),
  };
  switch (e.type) {
    case 'Folder':
      return { ...base, childEntity: () => refs(e.children()), childType: () => strings(e.childType) };
    case 'Datacenter':
      return {
        ...base,
        vmFolder: () => moref(refOf(e.vmFolder)),
        hostFolder: () => moref(refOf(e.hostFolder)),
        datastoreFolder: () => moref(refOf(e.datastoreFolder)),
        networkFolder: () => moref(refOf(e.networkFolder)),
        datastore: () => refs([]),
        network: () => refs([]),
      };
    case 'ClusterComputeResource':
    case 'ComputeResource':
      return {
        ...base,
        host: () => refs(e.hosts.map(refOf)),
        resourcePool: () => moref(refOf(e.pool)),
        datastore: () => refs([]),
        network: () => refs([]),
      };
    case 'ResourcePool':
      return {
        ...base,
        owner: () => moref(refOf(e.compute)),
        resourcePool: () => refs([]),
        vm: () => refs(e.compute.hosts.flatMap((h) => h.vmIndexes.filter((i) => !ctx.inv.estate.vms[i].template).map((i) => vmRef(ctx.inv.estate.vms[i])))),
      };
    case 'HostSystem': {
      const h = e.host;
      const runtime = () =>
        obj('HostRuntimeInfo', {
          connectionState: () => enumVal('HostSystemConnectionState', h.down ? 'notResponding' : 'connected'),
          powerState: () => enumVal('HostSystemPowerState', h.down ? 'unknown' : 'poweredOn'),
          inMaintenanceMode: () => bool(false),
        });
      return {
        ...base,
        vm: () => refs(e.vmIndexes.map((i) => vmRef(ctx.inv.estate.vms[i]))),
        runtime,
        summary: () =>
          obj('HostListSummary', {
            host: () => moref(refOf(e)),
            hardware: () =>
              obj('HostHardwareSummary', {
                vendor: () => str('Lab'),
                model: () => str('Simulated host'),
                uuid: () => str(`4c4c4544-${e.id.replace(/\D/g, '').padStart(4, '0')}-0000-0000-000000000000`),
                memorySize: () => long(h.memoryMB * 1024 * 1024),
                cpuModel: () => str('Intel(R) Xeon(R) Gold 6248R CPU @ 2.40GHz'),
                cpuMhz: () => int(HOST_CPU_MHZ),
                numCpuPkgs: () => int(2),
                numCpuCores: () => int(h.cpuCores),
                numCpuThreads: () => int(h.cpuCores * 2),
                numNics: () => int(4),
                numHBAs: () => int(2),
              }),
            runtime,
            config: () => obj('HostConfigSummary', { name: () => str(h.name), port: () => int(443) }),
            overallStatus: () => enumVal('ManagedEntityStatus', h.down ? 'red' : 'green'),
          }),
      };
    }
  }
}

// ---------------------------------------------------------------- service objects

export function userSession(s: LabSession): Val {
  return obj('UserSession', {
    key: () => str(s.key),
    userName: () => str(s.userName),
    fullName: () => str(s.userName),
    loginTime: () => time(s.loginTime),
    lastActiveTime: () => time(s.lastActiveTime),
    locale: () => str('en'),
    messageLocale: () => str('en'),
    extensionSession: () => bool(false),
    ipAddress: () => str(s.ipAddress),
    userAgent: () => str(s.userAgent),
    callCount: () => long(s.callCount),
  });
}

export function perfCounterInfo(c: (typeof COUNTERS)[number]): Val {
  const desc = (label: string, summary: string, key: string) => () => obj('ElementDescription', { label: () => str(label), summary: () => str(summary), key: () => str(key) });
  return obj('PerfCounterInfo', {
    key: () => int(c.key),
    nameInfo: desc(c.label, c.summary, c.name),
    groupInfo: desc(c.groupLabel, c.groupLabel, c.group),
    unitInfo: desc(c.unitLabel, c.unitSummary, c.unit),
    rollupType: () => enumVal('PerfSummaryType', c.rollup),
    statsType: () => enumVal('PerfStatsType', c.statsType),
    level: () => int(c.level),
    perDeviceLevel: () => int(c.perDeviceLevel),
  });
}

/** Properties of the singletons and views; undefined when the moref is not one of them. */
export function serviceProperties(ctx: PropertyContext, r: MoRef): Fields | undefined {
  switch (r.type) {
    case 'ServiceInstance':
      return r.value === SERVICE.instance.value ? { content: () => serviceContent(ctx), serverClock: () => time(ctx.now()) } : undefined;
    case 'PerformanceManager':
      return r.value === SERVICE.perfManager.value
        ? {
            perfCounter: () => arr('PerfCounterInfo', COUNTERS.map(perfCounterInfo)),
            historicalInterval: () =>
              arr(
                'PerfInterval',
                HISTORICAL_INTERVALS.map((h) =>
                  obj('PerfInterval', {
                    key: () => int(h.key),
                    samplingPeriod: () => int(h.samplingPeriod),
                    name: () => str(h.name),
                    length: () => int(h.length),
                    level: () => int(h.level),
                    enabled: () => bool(h.enabled),
                  }),
                ),
              ),
          }
        : undefined;
    case 'SessionManager':
      return r.value === SERVICE.sessionManager.value
        ? {
            currentSession: () => (ctx.session ? userSession(ctx.session) : undefined),
            sessionList: () => arr('UserSession', ctx.sessions().map(userSession)),
            defaultLocale: () => str('en'),
            supportedLocaleList: () => strings(['en', 'de', 'fr', 'ja']),
            message: () => undefined,
          }
        : undefined;
    case 'ViewManager':
      return r.value === SERVICE.viewManager.value ? { viewList: () => refs(ctx.views().map((v) => v.ref)) } : undefined;
    case 'PropertyCollector':
      return r.value === SERVICE.propertyCollector.value ? { filter: () => refs([]) } : undefined;
    case 'ContainerView': {
      const v = ctx.view(r.value);
      return v
        ? { view: () => refs(v.view), container: () => moref(v.container), type: () => strings(v.types), recursive: () => bool(v.recursive) }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The properties of any object this lab knows, or undefined (ManagedObjectNotFound). */
export function propertiesOf(ctx: PropertyContext, r: MoRef): Fields | undefined {
  if (r.type === 'VirtualMachine') {
    const vm = ctx.inv.vm(r.value);
    return vm ? vmProperties(ctx, vm) : undefined;
  }
  const e = ctx.inv.entity(r.value);
  if (e && e.type === r.type) return entityProperties(ctx, e);
  return serviceProperties(ctx, r);
}
