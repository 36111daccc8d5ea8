# Independent peer: Debian's pywinrm (python3-winrm) reads a Windows server (the lab's simulator) over HTTP
# with NTLM and message encryption, with raw WQL Enumerates. Usage (OPENSSL_CONF with the legacy provider
# for MD4; WIN_USER / WIN_PASS in the environment):
#   pywinrm_read.py URL inventory  < queries.json   -> {query: [ {property: value | [values] | null} ]}
#   pywinrm_read.py URL rates                        -> reads the perf classes, prints "ready", waits for a line
#                                                       on stdin, reads again and prints the rates it computes
#                                                       with Windows' documented raw-counter formulas.
import json
import os
import sys
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from winrm.protocol import Protocol

XSI_NIL = '{http://www.w3.org/2001/XMLSchema-instance}nil'
endpoint, mode = sys.argv[1], sys.argv[2]
p = Protocol(endpoint=endpoint, transport='ntlm', username=os.environ['WIN_USER'], password=os.environ['WIN_PASS'],
             message_encryption='always', server_cert_validation='ignore', read_timeout_sec=30, operation_timeout_sec=20)
ENVELOPE = '''<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>%s</a:To><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*</w:ResourceURI>
<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action>
<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:%s</a:MessageID>
<w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT20.000S</w:OperationTimeout></s:Header>
<s:Body><n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>
<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</w:Filter></n:Enumerate></s:Body></s:Envelope>'''


def local(tag):
    return tag.rsplit('}', 1)[-1]


def enumerate_wql(wql):
    out = p.send_message(ENVELOPE % (endpoint, str(uuid.uuid4()).upper(), escape(wql)))
    root = ET.fromstring(out)
    items = next(e for e in root.iter() if local(e.tag) == 'Items')
    if not any(local(e.tag) == 'EndOfSequence' for e in root.iter()):
        raise SystemExit('expected the whole answer in the first batch')
    rows = []
    for item in items:
        row = {}
        for prop in item:
            name = local(prop.tag)
            value = None if prop.get(XSI_NIL) == 'true' else ''.join(prop.itertext())
            if name in row:  # a repeated element is an array
                row[name] = (row[name] if isinstance(row[name], list) else [row[name]]) + [value]
            else:
                row[name] = value
        rows.append(row)
    return rows


PERF = {
    'processor': "SELECT Name, PercentProcessorTime, Timestamp_Sys100NS FROM Win32_PerfRawData_PerfOS_Processor WHERE Name = '_Total'",
    'memory': 'SELECT AvailableBytes FROM Win32_PerfRawData_PerfOS_Memory',
    'disk': 'SELECT Name, DiskReadBytesPersec, DiskWriteBytesPersec, DiskReadsPersec, DiskWritesPersec, Timestamp_PerfTime, Frequency_PerfTime FROM Win32_PerfRawData_PerfDisk_PhysicalDisk',
    'network': 'SELECT Name, BytesReceivedPersec, BytesSentPersec, Timestamp_PerfTime, Frequency_PerfTime FROM Win32_PerfRawData_Tcpip_NetworkInterface',
}

if mode == 'inventory':
    queries = json.load(sys.stdin)
    print(json.dumps({q: enumerate_wql(q) for q in queries}))
elif mode == 'rates':
    first = {k: enumerate_wql(q) for k, q in PERF.items()}
    print('ready', flush=True)
    sys.stdin.readline()
    second = {k: enumerate_wql(q) for k, q in PERF.items()}
    total = int(enumerate_wql('SELECT TotalPhysicalMemory FROM Win32_ComputerSystem')[0]['TotalPhysicalMemory'])
    rates = {}
    a, b = first['processor'][0], second['processor'][0]
    # PERF_100NSEC_TIMER_INV
    rates['cpu'] = 100.0 * (1 - (int(b['PercentProcessorTime']) - int(a['PercentProcessorTime'])) / (int(b['Timestamp_Sys100NS']) - int(a['Timestamp_Sys100NS'])))
    rates['memory'] = 100.0 * (1 - int(second['memory'][0]['AvailableBytes']) / total)
    for cls, props in (('disk', ['DiskReadBytesPersec', 'DiskWriteBytesPersec', 'DiskReadsPersec', 'DiskWritesPersec']), ('network', ['BytesReceivedPersec', 'BytesSentPersec'])):
        before = {r['Name']: r for r in first[cls]}
        for r in second[cls]:
            r0 = before[r['Name']]
            seconds = (int(r['Timestamp_PerfTime']) - int(r0['Timestamp_PerfTime'])) / int(r['Frequency_PerfTime'])
            for prop in props:
                delta = int(r[prop]) - int(r0[prop])
                if delta < 0 and prop in ('DiskReadsPersec', 'DiskWritesPersec'):
                    delta += 2 ** 32  # PERF_COUNTER_COUNTER is 32-bit
                rates['%s|%s|%s' % (cls, r['Name'], prop)] = delta / seconds
    print(json.dumps(rates))
