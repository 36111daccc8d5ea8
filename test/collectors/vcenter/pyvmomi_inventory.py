#!/usr/bin/python3
"""Independent peer: reads the same VM fields as our collector with VMware's pyVmomi and prints JSON.

Usage: /usr/bin/python3 pyvmomi_inventory.py HOST PORT USER CAFILE   (password on stdin)
It walks objects the plain pyVmomi way (one property read at a time), sharing no code or
strategy with the collector, so a field-by-field match means both read vCenter the same way.
"""
import json
import ssl
import sys

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim


def mac(raw):
    if not raw:
        return None
    hexs = "".join(c for c in raw.lower() if c in "0123456789abcdef")
    return ":".join(hexs[i:i + 2] for i in range(0, 12, 2)) if len(hexs) == 12 else raw.lower()


def main():
    host, port, user, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    password = sys.stdin.readline().rstrip("\n")
    ctx = ssl.create_default_context(cafile=cafile)
    si = SmartConnect(host=host, port=port, user=user, pwd=password, sslContext=ctx)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        machines, templates = [], 0
        for vm in view.view:
            cfg = vm.config
            if cfg.template:
                templates += 1
                continue
            host_obj = vm.runtime.host
            cluster = None
            datacenter = None
            if host_obj is not None:
                parent = host_obj.parent
                if isinstance(parent, vim.ClusterComputeResource):
                    cluster = parent.name
                cur = parent
                while cur is not None and not isinstance(cur, vim.Datacenter):
                    cur = cur.parent
                datacenter = cur.name if cur is not None else None
            disks, nics = [], []
            for dev in cfg.hardware.device:
                if isinstance(dev, vim.vm.device.VirtualDisk):
                    disks.append({"id": str(dev.key), "capacityBytes": dev.capacityInBytes or dev.capacityInKB * 1024,
                                  "controllerKey": dev.controllerKey, "unitNumber": dev.unitNumber})
                elif isinstance(dev, vim.vm.device.VirtualEthernetCard):
                    nics.append({"id": str(dev.key), "mac": mac(dev.macAddress)})
            ips = []
            for gnic in (vm.guest.net or []):
                for ip in (gnic.ipAddress or []):
                    if ip not in ips:
                        ips.append(ip)
            if vm.guest.ipAddress and vm.guest.ipAddress not in ips:
                ips.append(vm.guest.ipAddress)
            machines.append({
                "name": vm.name,
                "moref": vm._moId,
                "biosUuid": cfg.uuid,
                "instanceId": cfg.instanceUuid,
                "cpuCores": cfg.hardware.numCPU,
                "memoryMB": cfg.hardware.memoryMB,
                "os": {"name": cfg.guestFullName, "id": cfg.guestId},
                "firmware": "uefi" if cfg.firmware == "efi" else "bios",
                "powerState": str(vm.runtime.powerState),
                "host": host_obj.name if host_obj is not None else None,
                "cluster": cluster,
                "datacenter": datacenter,
                "disks": disks,
                "nics": nics,
                "ipAddresses": ips,
            })
        view.Destroy()
        print(json.dumps({"about": {"instanceUuid": content.about.instanceUuid}, "templates": templates, "machines": machines}))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main()
