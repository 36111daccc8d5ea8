#!/usr/bin/python3
"""Reads the lab vCenter with VMware's pyVmomi (an independent vSphere client) and prints JSON.

Usage: vcenter_pyvmomi.py HOST PORT USER  (password in the LAB_VC_PASSWORD environment variable)
       [--perf VM_NAME] [--page-size N]

Prints one JSON object: about, the inventory read with a ContainerView + PropertyCollector
(RetrievePropertiesEx / ContinueRetrievePropertiesEx paging), the counters by name and, with
--perf, QueryPerf results for one VM (instance "*", intervalId 20, the last hour).
"""
import argparse
import json
import os
import ssl
import sys

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl

VM_PATHS = [
    "name", "config.uuid", "config.instanceUuid", "config.template", "config.hardware.numCPU",
    "config.hardware.memoryMB", "config.hardware.device", "config.guestFullName", "config.guestId",
    "config.firmware", "summary.config.annotation", "summary.config.numCpu", "summary.config.memorySizeMB",
    "guest.net", "guest.ipAddress", "guest.hostName", "runtime.powerState", "runtime.host", "parent", "resourcePool",
]


def collect(si, view_type, paths, page_size):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [view_type], True)
    traversal = vmodl.query.PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=view_type, pathSet=paths)],
    )
    pc = content.propertyCollector
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page_size))
    pages = 0
    objects = []
    while result is not None:
        pages += 1
        objects.extend(result.objects)
        if not result.token:
            break
        result = pc.ContinueRetrievePropertiesEx(result.token)
    view.DestroyView()
    return objects, pages


def device_json(d):
    out = {"type": type(d).__name__, "key": d.key, "label": d.deviceInfo.label if d.deviceInfo else None,
           "controllerKey": d.controllerKey, "unitNumber": d.unitNumber}
    if isinstance(d, vim.vm.device.VirtualDisk):
        out.update(capacityInBytes=d.capacityInBytes, capacityInKB=d.capacityInKB, fileName=d.backing.fileName,
                   thinProvisioned=d.backing.thinProvisioned, eagerlyScrub=d.backing.eagerlyScrub)
    if isinstance(d, vim.vm.device.VirtualEthernetCard):
        out.update(macAddress=d.macAddress, summary=d.deviceInfo.summary, network=d.backing.deviceName)
    if isinstance(d, vim.vm.device.VirtualSCSIController):
        out.update(busNumber=d.busNumber)
    return out


def value_json(v):
    if isinstance(v, vim.ManagedEntity):
        return v._moId
    if isinstance(v, list) or type(v).__name__.endswith("[]"):
        return [value_json(x) for x in v]
    if isinstance(v, vim.vm.device.VirtualDevice):
        return device_json(v)
    if isinstance(v, vim.vm.GuestInfo.NicInfo):
        return {"network": v.network, "macAddress": v.macAddress, "ipAddress": list(v.ipAddress or []), "deviceConfigId": v.deviceConfigId}
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user")
    ap.add_argument("--perf")
    ap.add_argument("--page-size", type=int, default=7)
    args = ap.parse_args()
    ctx = ssl._create_unverified_context()
    si = SmartConnect(host=args.host, port=args.port, user=args.user, pwd=os.environ["LAB_VC_PASSWORD"], sslContext=ctx)
    try:
        content = si.RetrieveContent()
        about = content.about
        out = {"about": {"name": about.name, "apiType": about.apiType, "version": about.version, "instanceUuid": about.instanceUuid},
               "currentTime": si.CurrentTime().isoformat()}
        vms, pages = collect(si, vim.VirtualMachine, VM_PATHS, args.page_size)
        out["pages"] = pages
        out["vms"] = []
        for oc in vms:
            props = {p.name: value_json(p.val) for p in oc.propSet}
            props["moref"] = oc.obj._moId
            out["vms"].append(props)
        # Whole data objects through pyVmomi's property accessors (RetrieveProperties under the hood).
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        out["accessors"] = {}
        for vm in view.view:
            config, summary, runtime = vm.config, vm.summary, vm.runtime
            out["accessors"][vm.name] = {
                "numCPU": config.hardware.numCPU, "firmware": config.firmware, "devices": len(config.hardware.device),
                "vmPathName": summary.config.vmPathName, "numVirtualDisks": summary.config.numVirtualDisks,
                "numEthernetCards": summary.config.numEthernetCards, "powerState": summary.runtime.powerState,
                "host": runtime.host.name, "hostCores": runtime.host.summary.hardware.numCpuCores,
                "toolsRunningStatus": vm.guest.toolsRunningStatus, "datacenter": vm.parent.parent.name,
            }
        view.DestroyView()
        hosts, _ = collect(si, vim.HostSystem, ["name", "parent"], 100)
        out["hosts"] = [dict({p.name: value_json(p.val) for p in oc.propSet}, moref=oc.obj._moId) for oc in hosts]
        computes, _ = collect(si, vim.ComputeResource, ["name", "parent", "host"], 100)
        out["computes"] = [dict({p.name: value_json(p.val) for p in oc.propSet}, moref=oc.obj._moId, type=type(oc.obj).__name__) for oc in computes]
        dcs, _ = collect(si, vim.Datacenter, ["name", "parent", "hostFolder", "vmFolder"], 100)
        out["datacenters"] = [dict({p.name: value_json(p.val) for p in oc.propSet}, moref=oc.obj._moId) for oc in dcs]

        pm = content.perfManager
        counters = {"%s.%s.%s" % (c.groupInfo.key, c.nameInfo.key, c.rollupType): c.key for c in pm.perfCounter}
        out["counters"] = counters
        out["historicalInterval"] = [i.samplingPeriod for i in pm.historicalInterval]
        if args.perf:
            vm = next(oc.obj for oc in vms if any(p.name == "name" and p.val == args.perf for p in oc.propSet))
            names = ["cpu.usage.average", "mem.usage.average", "virtualDisk.read.average", "virtualDisk.write.average",
                     "virtualDisk.numberReadAveraged.average", "virtualDisk.numberWriteAveraged.average",
                     "net.received.average", "net.transmitted.average"]
            metric_ids = [vim.PerformanceManager.MetricId(counterId=counters[n], instance="*") for n in names]
            spec = vim.PerformanceManager.QuerySpec(entity=vm, metricId=metric_ids, intervalId=20, maxSample=180)
            result = pm.QueryPerf(querySpec=[spec])
            by_key = {v: k for k, v in counters.items()}
            perf = []
            for em in result:
                times = [int(s.timestamp.timestamp() * 1000) for s in em.sampleInfo]
                for series in em.value:
                    perf.append({"counter": by_key[series.id.counterId], "instance": series.id.instance,
                                 "timestamps": times, "values": list(series.value)})
            out["perf"] = perf
            available = pm.QueryAvailablePerfMetric(entity=vm, intervalId=20)
            out["available"] = sorted("%s|%s" % (by_key[m.counterId], m.instance) for m in available)
        json.dump(out, sys.stdout, default=str)
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main()
