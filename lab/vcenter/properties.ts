// The properties of every managed object the lab serves, as lazy vim25 data objects (VMs: vm-properties.ts). Only the path a
// client asks for is built, so a RetrievePropertiesEx page over thousands of VMs stays cheap.
import { API_VERSION } from './soap.js';
import { COUNTERS, HISTORICAL_INTERVALS } from './perf-counters.js';
import { HOST_CPU_MHZ } from './truth.js';
import { vmProperties } from './vm-properties.js';
import type { PropertyContext, LabSession } from './property-context.js';
export type { ContainerViewState, LabSession, PropertyContext } from './property-context.js';
import { SERVICE, ref, refOf, vmRefAt, type EntityMo, type MoRef } from './model.js';
import { arr, bool, enumVal, int, long, moref, obj, refs, str, strings, time, type Fields, type Val } from './values.js';

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
        vm: () =>
          refs(
            e.compute.hosts.flatMap((h) =>
              h.vmIndexes.filter((i) => !ctx.inv.estate.vms[i]?.template).map((i) => vmRefAt(ctx.inv.estate.vms, i)),
            ),
          ),
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
        vm: () => refs(e.vmIndexes.map((i) => vmRefAt(ctx.inv.estate.vms, i))),
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
  const desc = (label: string, summary: string, key: string) => () =>
    obj('ElementDescription', { label: () => str(label), summary: () => str(summary), key: () => str(key) });
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
        ? {
            view: () => refs(v.view),
            container: () => moref(v.container),
            type: () => strings(v.types),
            recursive: () => bool(v.recursive),
          }
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
