# Independent peer for the Windows guest reader (issue 12): Debian's pywinrm (python3-winrm) over HTTP with NTLM
# and message encryption reads a Windows guest (the lab's simulator) with its own envelopes: StdRegProv Invoke
# (EnumKey, EnumValues, GetStringValue, GetDWORDValue on HKLM) and WQL Enumerates of Win32_ServerFeature,
# Win32_Process (root/cimv2) and MSFT_NetTCPConnection (root/StandardCimv2). It walks the registry and joins
# the sockets on its own, and prints JSON:
#   {"classes": {wql: rows}, "applications": [...], "features": [...], "sqlInstances": [...], "sockets": [...]}
# Usage (OPENSSL_CONF with the legacy provider for MD4; WIN_USER / WIN_PASS in the environment):
#   pywinrm_guest.py URL
import json
import os
import sys
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from winrm.protocol import Protocol

XSI_NIL = '{http://www.w3.org/2001/XMLSchema-instance}nil'
WMI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi'
HKLM = '2147483650'
endpoint = sys.argv[1]
p = Protocol(endpoint=endpoint, transport='ntlm', username=os.environ['WIN_USER'], password=os.environ['WIN_PASS'],
             message_encryption='always', server_cert_validation='ignore', read_timeout_sec=30, operation_timeout_sec=20)

HEADER = '''<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>%s</a:To><w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>
<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:Action s:mustUnderstand="true">%s</a:Action>
<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:%s</a:MessageID>
<w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT20.000S</w:OperationTimeout></s:Header>
<s:Body>%s</s:Body></s:Envelope>'''
ENUMERATE = '''<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>
<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</w:Filter></n:Enumerate>'''


def local(tag):
    return tag.rsplit('}', 1)[-1]


def send(resource, action, body):
    return ET.fromstring(p.send_message(HEADER % (endpoint, resource, action, str(uuid.uuid4()).upper(), body)))


def props(el):
    row = {}
    for prop in el:
        name = local(prop.tag)
        value = None if prop.get(XSI_NIL) == 'true' else ''.join(prop.itertext())
        if name in row:
            row[name] = (row[name] if isinstance(row[name], list) else [row[name]]) + [value]
        else:
            row[name] = value
    return row


def enumerate_wql(namespace, wql):
    root = send('%s/%s/*' % (WMI, namespace), 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', ENUMERATE % escape(wql))
    items = next(e for e in root.iter() if local(e.tag) == 'Items')
    if not any(local(e.tag) == 'EndOfSequence' for e in root.iter()):
        raise SystemExit('expected the whole answer in the first batch')
    return [props(item) for item in items]


def reg(method, key, value=None):
    resource = '%s/root/default/StdRegProv' % WMI
    args = '<p:hDefKey>%s</p:hDefKey><p:sSubKeyName>%s</p:sSubKeyName>' % (HKLM, escape(key))
    if value is not None:
        args += '<p:sValueName>%s</p:sValueName>' % escape(value)
    body = '<p:%s_INPUT xmlns:p="%s">%s</p:%s_INPUT>' % (method, resource, args, method)
    root = send(resource, '%s/%s' % (resource, method), body)
    out = next(e for e in root.iter() if local(e.tag) == '%s_OUTPUT' % method)
    return props(out)


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def clean(v):
    v = (v or '').strip()
    return v or None


def string_value(key, name):
    out = reg('GetStringValue', key, name)
    return out.get('sValue') if out['ReturnValue'] == '0' else None


UNINSTALL = [('SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall', 'registry'),
             ('SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall', 'registry-wow6432')]
applications = []
for hive, source in UNINSTALL:
    out = reg('EnumKey', hive)
    if out['ReturnValue'] != '0':
        continue
    for sub in as_list(out.get('sNames')):
        key = hive + '\\' + sub
        name = clean(string_value(key, 'DisplayName'))
        if name is None:
            continue
        applications.append({'name': name, 'version': clean(string_value(key, 'DisplayVersion')),
                             'publisher': clean(string_value(key, 'Publisher')), 'source': source})

SQL = 'SOFTWARE\\Microsoft\\Microsoft SQL Server'
sql = []
names = reg('EnumValues', SQL + '\\Instance Names\\SQL')
if names['ReturnValue'] == '0':
    for inst in as_list(names.get('sNames')):
        iid = string_value(SQL + '\\Instance Names\\SQL', inst)
        setup = '%s\\%s\\Setup' % (SQL, iid)
        sp = reg('GetDWORDValue', setup, 'SP')
        spn = int(sp['uValue']) if sp['ReturnValue'] == '0' else 0
        sql.append({'name': inst, 'edition': clean(string_value(setup, 'Edition')), 'version': clean(string_value(setup, 'Version')),
                    'servicePack': 'SP%d' % spn if spn > 0 else None})

Q_FEATURES = 'SELECT ID, Name, ParentID FROM Win32_ServerFeature'
Q_CONNECTIONS = 'SELECT LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess FROM MSFT_NetTCPConnection WHERE State = 2 OR State = 5'
Q_PROCESSES = 'SELECT ProcessId, Name, ExecutablePath, CommandLine FROM Win32_Process'
features = enumerate_wql('root/cimv2', Q_FEATURES)
connections = enumerate_wql('root/StandardCimv2', Q_CONNECTIONS)
processes = enumerate_wql('root/cimv2', Q_PROCESSES)


def args_of(cmd):
    if cmd is None:
        return None
    s = cmd.lstrip()
    if s.startswith('"'):
        end = s.find('"', 1)
        return '' if end < 0 else s[end + 1:].strip()
    parts = s.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ''


by_pid = {int(r['ProcessId']): {'pid': int(r['ProcessId']), 'name': r['Name'] or '', 'path': clean(r['ExecutablePath']),
                                'args': args_of(r['CommandLine'])} for r in processes}
sockets = []
for c in connections:
    listen = c['State'] == '2'
    sockets.append({'state': 'listen' if listen else 'established', 'localIp': c['LocalAddress'], 'localPort': int(c['LocalPort']),
                    'remoteIp': ('::' if ':' in c['LocalAddress'] else '0.0.0.0') if listen else c['RemoteAddress'],
                    'remotePort': 0 if listen else int(c['RemotePort']), 'process': by_pid.get(int(c['OwningProcess']))})

print(json.dumps({
    'classes': {Q_FEATURES: features, Q_CONNECTIONS: connections, Q_PROCESSES: processes},
    'applications': applications,
    'features': [{'id': int(f['ID']), 'name': f['Name'], 'parentId': int(f['ParentID'])} for f in features],
    'sqlInstances': sql,
    'sockets': sockets,
}))
