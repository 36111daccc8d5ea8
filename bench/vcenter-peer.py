#!/usr/bin/python3
"""pyVmomi peer for bench/vcenter.ts: the same work as our collector, with VMware's Python SDK.

Reads the simulator's JSON line on stdin; prints one JSON result line. Same requests as ours:
paged PropertyCollector inventory over one ContainerView (maxObjects 500), then QueryPerf in
batches of 50 VMs for the 8 counters (cpu/mem instance "", disk/net instance "*"), a backfill of
the realtime hour and steady-state cycles of the last 80 s (20 s new + 3 look-back samples).
CPU is time.process_time() (user+sys) around each step, RSS is ru_maxrss.
"""
import json
import resource
import ssl
import sys
import time
import urllib.request
from datetime import timedelta

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl

VM_PATHS = ["name", "config.uuid", "config.instanceUuid", "config.template", "config.guestFullName", "config.guestId",
            "config.firmware", "config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
            "config.annotation", "runtime.powerState", "runtime.host", "guest.net", "guest.ipAddress", "guest.hostName"]
TREE = [vim.HostSystem, vim.ComputeResource, vim.ClusterComputeResource, vim.Datacenter, vim.Folder]
COUNTERS = [("cpu.usage.average", 0.01), ("mem.usage.average", 0.01), ("virtualDisk.read.average", 1024),
            ("virtualDisk.write.average", 1024), ("virtualDisk.numberReadAveraged.average", 1),
            ("virtualDisk.numberWriteAveraged.average", 1), ("net.received.average", 1024),
            ("net.transmitted.average", 1024)]
PC = vmodl.query.PropertyCollector


def main():
    cycles = int(sys.argv[sys.argv.index("--cycles") + 1]) if "--cycles" in sys.argv else 3
    info = json.loads(sys.stdin.read())
    ctx = ssl.create_default_context(cafile=info["certFile"])
    lab_ctx = ssl._create_unverified_context()
    si = SmartConnect(host=info["host"], port=info["port"], user=info["username"], pwd=info["password"], sslContext=ctx)
    content = si.RetrieveContent()
    result = {"client": "pyvmomi", "steadyCpuSec": [], "steadySamples": [], "steadyWallSec": []}

    # Inventory.
    t, w = time.process_time(), time.time()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine] + TREE, True)
    traverse = PC.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
                         propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=VM_PATHS)] +
                                 [PC.PropertySpec(type=k, pathSet=["name", "parent"]) for k in TREE])
    pc = content.propertyCollector
    res = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=500))
    tree, vms = {}, []
    while res:
        for o in res.objects:
            props = {p.name: p.val for p in o.propSet}
            if isinstance(o.obj, vim.VirtualMachine):
                vms.append((o.obj, props))
            else:
                tree[o.obj._moId] = (o.obj, props.get("name"), props.get("parent"))
        res = pc.ContinueRetrievePropertiesEx(res.token) if res.token else None
    view.Destroy()
    machines = []
    for vm, p in vms:
        if p.get("config.template"):
            continue
        host = p.get("runtime.host")
        h = tree.get(host._moId) if host is not None else None
        cluster = dc = None
        if h is not None:
            parent = tree.get(h[2]._moId) if h[2] is not None else None
            if parent is not None and isinstance(parent[0], vim.ClusterComputeResource):
                cluster = parent[1]
            cur = parent
            while cur is not None and not isinstance(cur[0], vim.Datacenter):
                cur = tree.get(cur[2]._moId) if cur[2] is not None else None
            dc = cur[1] if cur is not None else None
        disks = [{"id": str(d.key), "capacityBytes": d.capacityInBytes} for d in p.get("config.hardware.device", []) if isinstance(d, vim.vm.device.VirtualDisk)]
        nics = [{"id": str(d.key), "mac": d.macAddress} for d in p.get("config.hardware.device", []) if isinstance(d, vim.vm.device.VirtualEthernetCard)]
        machines.append({"vm": vm, "name": p.get("name"), "instanceId": p.get("config.instanceUuid"), "host": h[1] if h else None,
                         "cluster": cluster, "datacenter": dc, "disks": disks, "nics": nics, "powerState": p.get("runtime.powerState")})
    result["inventoryCpuSec"] = time.process_time() - t
    result["inventoryWallSec"] = time.time() - w
    result["vms"] = len(machines)

    # Perf.
    pm = content.perfManager
    ids = {f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}": c.key for c in pm.perfCounter}
    metric_ids = [vim.PerformanceManager.MetricId(counterId=ids[n], instance="" if n.startswith(("cpu.", "mem.")) else "*") for n, _ in COUNTERS]
    factor = {ids[n]: f for n, f in COUNTERS}
    on = [m["vm"] for m in machines if m["powerState"] == "poweredOn"]

    def cycle(seconds):
        now = si.CurrentTime()
        start = now - timedelta(seconds=seconds)
        n = 0
        for i in range(0, len(on), 50):
            specs = [vim.PerformanceManager.QuerySpec(entity=vm, startTime=start, endTime=now, maxSample=seconds // 20 + 1,
                                                      metricId=metric_ids, intervalId=20) for vm in on[i:i + 50]]
            for em in pm.QueryPerf(querySpec=specs):
                for series in em.value:
                    f = factor[series.id.counterId]
                    for v in series.value:
                        if v >= 0:
                            _ = v * f
                            n += 1
        return n

    t = time.process_time()
    result["backfillSamples"] = cycle(3600)
    result["backfillCpuSec"] = time.process_time() - t
    for _ in range(cycles):
        req = urllib.request.Request(f"https://{info['host']}:{info['port']}/lab/clock?advance=20", method="POST")
        urllib.request.urlopen(req, context=lab_ctx).read()
        t, w = time.process_time(), time.time()
        result["steadySamples"].append(cycle(80))
        result["steadyCpuSec"].append(time.process_time() - t)
        result["steadyWallSec"].append(time.time() - w)
    Disconnect(si)
    result["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
