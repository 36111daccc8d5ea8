// XML namespaces and action URIs of WS-Management as Windows speaks it (docs/winrm-wire.md §1.1).
export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  n: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  b: 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/common',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  t: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  wsmid: 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
} as const;

export const ACTION = {
  enumerate: `${NS.n}/Enumerate`,
  enumerateResponse: `${NS.n}/EnumerateResponse`,
  pull: `${NS.n}/Pull`,
  pullResponse: `${NS.n}/PullResponse`,
  release: `${NS.n}/Release`,
  releaseResponse: `${NS.n}/ReleaseResponse`,
  get: `${NS.t}/Get`,
  getResponse: `${NS.t}/GetResponse`,
  wsmanFault: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  addressingFault: `${NS.a}/fault`,
  enumerationFault: `${NS.n}/fault`,
} as const;

export const ANONYMOUS = `${NS.a}/role/anonymous`;
export const WQL_DIALECT = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
export const WMI_BASE = 'http://schemas.microsoft.com/wbem/wsman/1/wmi';
export const DMTF_CIM_ALL = 'http://schemas.dmtf.org/wbem/wscim/1/*';
