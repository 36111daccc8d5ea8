// Wire-level pieces on their own: response parsing of Windows-shaped captures, faults, CIM-XML,
// the multipart/encrypted framing, request envelopes, resource URIs and charsets.
import { describe, expect, it } from 'vitest';
import { parseXml, path } from '../../../common/xml/reader.js';
import { parseEnumerationBatch } from '../../../collectors/wsman/response.js';
import { faultToError, isPullTimeout, parseFault } from '../../../collectors/wsman/faults.js';
import { decryptMessage, encryptMessage, decodeSoap, EncryptionFramingError } from '../../../collectors/wsman/encryption.js';
import { enumerateRequest } from '../../../collectors/wsman/envelope.js';
import { NtlmSession, NtlmIntegrityError } from '../../../collectors/wsman/ntlm/session.js';
import {
  parseEmbeddedInstance,
  renderEmbeddedInstance,
  parseWmiResourceUri,
  wmiResourceUri,
  wqlString,
  propBoolean,
  propBigInt,
  propArray,
  WsmanAccessDeniedError,
  WsmanEnumerationContextError,
  WsmanInvalidNamespaceError,
  WsmanTimeoutError,
  WsmanFault,
} from '../../../collectors/wsman/index.js';

// docs/winrm-wire.md §1.3: an optimized EnumerateResponse as Windows writes it (w:Items, w:EndOfSequence).
const ENUMERATE_RESPONSE = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope"
  xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"
  xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
 <s:Header>
  <a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse</a:Action>
  <a:MessageID>uuid:95783CED-6AC4-471B-B773-1CC892FC674B</a:MessageID>
  <a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
  <a:RelatesTo>uuid:4A1F3C9E-0B7D-4E55-9D77-0E7C2A1B5F10</a:RelatesTo>
 </s:Header>
 <s:Body>
  <n:EnumerateResponse>
   <n:EnumerationContext>uuid:22EB9809-5543-4020-A75C-FD95FF06217B</n:EnumerationContext>
   <w:Items>
    <p:Msvm_ComputerSystem xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"
        xsi:type="p:Msvm_ComputerSystem_Type">
      <p:AvailableRequestedStates>3</p:AvailableRequestedStates>
      <p:AvailableRequestedStates>9</p:AvailableRequestedStates>
      <p:Caption>Virtual Machine</p:Caption>
      <p:ElementName>web01</p:ElementName>
      <p:EnabledState>2</p:EnabledState>
      <p:InstallDate><cim:Datetime>2024-03-01T09:12:44.123Z</cim:Datetime></p:InstallDate>
      <p:Name>A1B2C3D4-1111-2222-3333-444455556666</p:Name>
      <p:OnTimeInMilliseconds>864000000</p:OnTimeInMilliseconds>
      <p:OtherEnabledState xsi:nil="true"/>
      <p:Notes></p:Notes>
      <p:Dynamic>TRUE</p:Dynamic>
    </p:Msvm_ComputerSystem>
   </w:Items>
   <w:EndOfSequence/>
  </n:EnumerateResponse>
 </s:Body>
</s:Envelope>`;

// A PullResponse with projection items (XmlFragment, unqualified children) and a new context.
const PULL_RESPONSE = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Body><n:PullResponse><n:EnumerationContext>uuid:NEW-CONTEXT</n:EnumerationContext><n:Items><w:XmlFragment xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Name>web01:Hv VP 0</Name><PercentGuestRunTime>18446744073709551610</PercentGuestRunTime><CreationDate><Datetime>2024-03-01T09:12:44Z</Datetime></CreationDate><Missing xsi:nil="true"/></w:XmlFragment></n:Items></n:PullResponse></s:Body></s:Envelope>`;

describe('response parsing', () => {
  it('reads an optimized EnumerateResponse: arrays, nil, empty, datetime, TRUE, and w:EndOfSequence', () => {
    const b = parseEnumerationBatch(parseXml(ENUMERATE_RESPONSE), '');
    expect(b.endOfSequence).toBe(true);
    expect(b.items).toHaveLength(1);
    const vm = b.items[0]!;
    expect(vm.className).toBe('Msvm_ComputerSystem');
    expect(vm.properties.AvailableRequestedStates).toEqual(['3', '9']);
    expect(vm.properties.InstallDate).toEqual({ datetime: '2024-03-01T09:12:44.123Z' });
    expect(vm.properties.OtherEnabledState).toBeNull();
    expect(vm.properties.Notes).toBe('');
    expect(propBoolean(vm, 'Dynamic')).toBe(true);
    expect(propArray(vm, 'Caption')).toEqual(['Virtual Machine']);
  });

  it('reads a PullResponse of XmlFragment items with the newest context, uint64 as BigInt', () => {
    const b = parseEnumerationBatch(parseXml(PULL_RESPONSE), 'Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor');
    expect(b).toMatchObject({ context: 'uuid:NEW-CONTEXT', endOfSequence: false });
    const vp = b.items[0]!;
    expect(vp.className).toBe('Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor');
    expect(propBigInt(vp, 'PercentGuestRunTime')).toBe(18446744073709551610n);
    expect(vp.properties.CreationDate).toEqual({ datetime: '2024-03-01T09:12:44Z' });
    expect(vp.properties.Missing).toBeNull();
  });
});

function faultEnvelope(code: string, subcode: string, wsmanCode: number, message: string, provider = false): string {
  const inner = provider
    ? `<f:ProviderFault provider="WMI Provider"><f:WSManFault Code="${wsmanCode}" Machine="hv01"><f:Message>${message}</f:Message></f:WSManFault></f:ProviderFault>`
    : message;
  return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Body><s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The reason. </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="${provider ? 2150859193 : wsmanCode}" Machine="hv01.lab.local"><f:Message>${inner}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`;
}

describe('faults', () => {
  it('maps Windows faults to typed errors', () => {
    const parse = (xml: string) => {
      const f = parseFault(parseXml(xml))!;
      return { f, e: faultToError('https://hv01:5986/wsman', f) };
    };
    const denied = parse(faultEnvelope('Sender', 'w:AccessDenied', 5, 'Access is denied. '));
    expect(denied.e).toBeInstanceOf(WsmanAccessDeniedError);
    expect(denied.f).toMatchObject({
      code: 'Sender',
      subcode: 'AccessDenied',
      subcodeNamespace: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
      wsmanFaultCode: 5,
      machine: 'hv01.lab.local',
    });
    const ns = parse(faultEnvelope('Receiver', 'w:InternalError', 2147749902, 'Invalid namespace ', true));
    expect(ns.e).toBeInstanceOf(WsmanInvalidNamespaceError);
    expect(ns.f.message).toBe('Invalid namespace');
    expect(ns.f.wsmanFaultCode).toBe(2147749902);
    expect(parse(faultEnvelope('Receiver', 'wsen:InvalidEnumerationContext', 2150858779, 'expired')).e).toBeInstanceOf(
      WsmanEnumerationContextError,
    );
    const pullTimeout = parse(faultEnvelope('Receiver', 'wsen:TimedOut', 2150858780, 'no data'));
    expect(pullTimeout.e).toBeInstanceOf(WsmanTimeoutError);
    expect(isPullTimeout(pullTimeout.f)).toBe(true);
    const opTimeout = parse(faultEnvelope('Receiver', 'w:TimedOut', 2150858793, 'timed out'));
    expect(opTimeout.e).toBeInstanceOf(WsmanTimeoutError);
    expect(isPullTimeout(opTimeout.f)).toBe(false);
    const other = parse(faultEnvelope('Sender', 'w:QuotaLimit', 2150858815, 'too many'));
    expect(other.e).toBeInstanceOf(WsmanFault);
    expect(other.e.fix).toMatch(/concurrency/);
    expect(parseFault(parseXml(ENUMERATE_RESPONSE))).toBeNull();
  });
});

describe('embedded CIM-XML', () => {
  it('parses the KVP item shape Windows emits and round-trips through the renderer', () => {
    const sample =
      '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Caption" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Data" TYPE="string"><VALUE>Windows Server 2022 Datacenter</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>OSName</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>2</VALUE></PROPERTY><PROPERTY.ARRAY NAME="Addrs" TYPE="string"><VALUE.ARRAY><VALUE>10.0.0.5</VALUE><VALUE>fe80::1</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>';
    const inst = parseEmbeddedInstance(sample);
    expect(inst).toEqual({
      className: 'Msvm_KvpExchangeDataItem',
      properties: { Caption: null, Data: 'Windows Server 2022 Datacenter', Name: 'OSName', Source: '2', Addrs: ['10.0.0.5', 'fe80::1'] },
    });
    const tricky = { className: 'X', properties: { Path: 'C:\\VMs\\a&b <c> "d".vhdx', Empty: '', Nil: null, List: ['1', '2'] } };
    expect(parseEmbeddedInstance(renderEmbeddedInstance(tricky))).toEqual(tricky);
    expect(() => parseEmbeddedInstance('<CLASS NAME="x"/>')).toThrow(/expected <INSTANCE>/);
  });
});

describe('multipart/encrypted framing', () => {
  const key = Buffer.alloc(16, 0x42);
  const flags = 0xe28a8235;
  it('round-trips a message whose ciphertext or plaintext contains the boundary, reading by length', () => {
    const client = new NtlmSession(key, flags, 'client');
    const server = new NtlmSession(key, flags, 'server');
    for (const text of ['<a/>', '--Encrypted Boundary--\r\n'.repeat(50), 'x'.repeat(70_000)]) {
      const body = encryptMessage(client, Buffer.from(text));
      expect(body.subarray(body.length - 24).toString()).toBe('--Encrypted Boundary--\r\n');
      expect(body.toString('latin1')).toContain(
        `OriginalContent: type=application/soap+xml;charset=UTF-8;Length=${Buffer.byteLength(text)}\r\n`,
      );
      expect(decryptMessage(server, body).plaintext.toString()).toBe(text);
    }
  });

  it('accepts the older trailer, and rejects a short body or a tampered message', () => {
    const client = new NtlmSession(key, flags, 'client');
    const server = new NtlmSession(key, flags, 'server');
    const body = encryptMessage(client, Buffer.from('<hello/>'));
    const older = Buffer.concat([body.subarray(0, body.length - 24), Buffer.from('--Encrypted Boundary\r\n')]);
    expect(decryptMessage(server, older).plaintext.toString()).toBe('<hello/>');
    const next = encryptMessage(client, Buffer.from('<hello again/>'));
    expect(() => decryptMessage(server, next.subarray(0, next.length - 30))).toThrow(EncryptionFramingError);
    const c2 = new NtlmSession(key, flags, 'client');
    const s2 = new NtlmSession(key, flags, 'server');
    const t = encryptMessage(c2, Buffer.from('<tamper/>'));
    t[t.length - 26] = (t[t.length - 26] ?? 0) ^ 0xff;
    expect(() => decryptMessage(s2, t)).toThrow(NtlmIntegrityError);
  });

  it('decodes UTF-16 SOAP (Windows clients) and UTF-8 with a BOM', () => {
    expect(decodeSoap(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<é/>', 'utf16le')]), 'utf-16')).toBe('<é/>');
    expect(decodeSoap(Buffer.from('\ufeff<é/>', 'utf8'), 'UTF-8')).toBe('<é/>');
  });
});

describe('request envelopes and resource URIs', () => {
  it('escapes the WQL and reads back as the same query and headers', () => {
    const wql = `SELECT * FROM Msvm_X WHERE InstanceID = ${wqlString("Microsoft:A\\B'c")} AND Size < 5 & 1`;
    const req = enumerateRequest(
      {
        to: 'http://hv01:5985/wsman',
        resourceUri: wmiResourceUri('root\\virtualization\\v2'),
        maxEnvelopeSize: 512000,
        operationTimeoutSec: 60,
        sessionId: 'uuid:S',
      },
      { wql, maxElements: 32000 },
    );
    const env = parseXml(req.xml);
    expect(path(env, 'Body', 'Enumerate', 'Filter')?.text).toBe(wql);
    expect(wql).toContain("'Microsoft:A\\\\B\\'c'");
    expect(path(env, 'Header', 'ResourceURI')?.text).toBe('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*');
    expect(path(env, 'Header', 'MessageID')?.text).toBe(req.messageId);
    expect(path(env, 'Header', 'OperationTimeout')?.text).toBe('PT60.000S');
  });

  it('reads both resource URI forms', () => {
    expect(parseWmiResourceUri(wmiResourceUri('root/cimv2', 'Win32_PerfRawData_X'))).toEqual({
      namespace: 'root/cimv2',
      className: 'Win32_PerfRawData_X',
    });
    expect(parseWmiResourceUri('http://schemas.dmtf.org/wbem/wscim/1/*', { __cimnamespace: 'root\\virtualization\\v2' })).toEqual({
      namespace: 'root/virtualization/v2',
      className: '*',
    });
    expect(parseWmiResourceUri('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd')).toBeNull();
  });
});
