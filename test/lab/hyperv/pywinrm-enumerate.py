# Independent peer: Debian's pywinrm (python3-winrm) sends a raw WQL Enumerate over HTTP with NTLM and
# message encryption, twice on one session, and prints the decrypted replies separated by "----".
# Usage: OPENSSL_CONF=<legacy provider cnf> HV_USER=.. HV_PASS=.. /usr/bin/python3 pywinrm-enumerate.py URL WQL
import os
import sys
import uuid
from xml.sax.saxutils import escape

from winrm.protocol import Protocol

endpoint, wql = sys.argv[1], sys.argv[2]
p = Protocol(endpoint=endpoint, transport='ntlm', username=os.environ['HV_USER'], password=os.environ['HV_PASS'],
             message_encryption='always', server_cert_validation='ignore', read_timeout_sec=30, operation_timeout_sec=20)
ENVELOPE = '''<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>%s</a:To><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*</w:ResourceURI>
<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action>
<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:%s</a:MessageID>
<w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT20.000S</w:OperationTimeout></s:Header>
<s:Body><n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>
<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</w:Filter></n:Enumerate></s:Body></s:Envelope>'''
for _ in range(2):
    out = p.send_message(ENVELOPE % (endpoint, str(uuid.uuid4()).upper(), escape(wql)))
    sys.stdout.write(out.decode('utf-8') if isinstance(out, bytes) else str(out))
    sys.stdout.write('\n----\n')
