"""Independent peer: Debian's pywinrm (python3-winrm 0.3.0) enumerates through its raw send_message.

Usage: /usr/bin/python3 pywinrm_enumerate.py '<json>' with endpoint, username, password, resource_uri, wql,
max_elements and encryption ('always' | 'auto'). Prints one JSON line: names, pulls, or the error class.
Runs with OPENSSL_CONF enabling OpenSSL's legacy provider (ntlm-auth needs MD4).
"""
import json
import re
import sys
import uuid
import xml.etree.ElementTree as ET

from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError
from winrm.protocol import Protocol

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'n': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
}

HEADER = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>{to}</a:To><w:ResourceURI s:mustUnderstand="true">{uri}</w:ResourceURI>
<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:Action s:mustUnderstand="true">{action}</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>
<a:MessageID>uuid:{mid}</a:MessageID><w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT20.000S</w:OperationTimeout>
</s:Header><s:Body>{body}</s:Body></s:Envelope>"""


def envelope(args, action, body):
    return HEADER.format(to=args['endpoint'], uri=args['resource_uri'], action=action, mid=str(uuid.uuid4()).upper(), body=body)


def items_of(root):
    names = []
    for items in root.iter():
        if items.tag.endswith('}Items'):
            for item in items:
                for prop in item:
                    if prop.tag.split('}')[-1] == 'Name':
                        names.append(prop.text)
    return names


def main():
    args = json.loads(sys.argv[1])
    # pywinrm 0.3.0 lets requests' environment settings override 'ignore', so HTTPS trusts the test CA explicitly.
    tls = {'server_cert_validation': 'validate', 'ca_trust_path': args['ca_trust_path']} if args.get('ca_trust_path') else {}
    p = Protocol(endpoint=args['endpoint'], transport='ntlm', username=args['username'], password=args['password'],
                 message_encryption=args.get('encryption', 'always'), read_timeout_sec=30, operation_timeout_sec=20, **tls)
    wql = args['wql'].replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    body = ('<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>{m}</w:MaxElements>'
            '<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">{q}</w:Filter></n:Enumerate>').format(m=args['max_elements'], q=wql)
    try:
        root = ET.fromstring(p.send_message(envelope(args, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', body)))
        names = items_of(root)
        pulls = 0
        while True:
            resp = root.find('s:Body/*', NS)
            eos = any(c.tag.endswith('}EndOfSequence') for c in resp)
            ctx = resp.find('n:EnumerationContext', NS)
            if eos or ctx is None or not (ctx.text or '').strip():
                break
            pull = '<n:Pull><n:EnumerationContext>{c}</n:EnumerationContext><n:MaxElements>{m}</n:MaxElements></n:Pull>'.format(c=ctx.text.strip(), m=args['max_elements'])
            root = ET.fromstring(p.send_message(envelope(args, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', pull)))
            names += items_of(root)
            pulls += 1
        print(json.dumps({'names': names, 'pulls': pulls}))
    except InvalidCredentialsError as e:
        print(json.dumps({'error': 'InvalidCredentialsError', 'message': str(e)}))
    except WinRMError as e:
        m = re.search(r"'wsmanfault_code': '(\d+)'", str(e))
        print(json.dumps({'error': 'WinRMError', 'wsmanfault_code': m.group(1) if m else None, 'message': str(e)}))
    except WinRMTransportError as e:
        print(json.dumps({'error': 'WinRMTransportError', 'code': e.code, 'message': str(e)}))


if __name__ == '__main__':
    main()
