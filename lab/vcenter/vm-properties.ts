// VirtualMachine properties as vCenter 7 reports them, built lazily from an estate VM: config (with
// the device list: controllers, disks on paravirtual SCSI, NICs), runtime, guest (only while powered
// on, as VMware Tools reports it) and summary.
import type { EstateVm } from '../estate.js';
import { HOST_CPU_MHZ, SCSI_CONTROLLER_KEY, diskSlot, scsiControllerCount } from './truth.js';
import { refOf, vmRef } from './model.js';
import type { PropertyContext } from './property-context.js';
import { arr, bool, enumVal, int, long, moref, obj, str, strings, time, type Fields, type Val } from './values.js';

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
  out.push(
    obj('VirtualIDEController', {
      key: () => int(200),
      deviceInfo: description('IDE 0', 'IDE 0'),
      busNumber: () => int(0),
      device: () => ints([3000]),
    }),
  );
  out.push(obj('VirtualIDEController', { key: () => int(201), deviceInfo: description('IDE 1', 'IDE 1'), busNumber: () => int(1) }));
  const pciDevices = [500, ...Array.from({ length: controllers }, (_, i) => SCSI_CONTROLLER_KEY + i), ...vm.nics.map((n) => n.key)];
  out.push(
    obj('VirtualPCIController', {
      key: () => int(100),
      deviceInfo: description('PCI controller 0', 'PCI controller 0'),
      busNumber: () => int(0),
      device: () => ints(pciDevices),
    }),
  );
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
      backing: () =>
        obj('VirtualCdromRemotePassthroughBackingInfo', {
          deviceName: () => str(''),
          useAutoDetect: () => bool(false),
          exclusive: () => bool(false),
        }),
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
