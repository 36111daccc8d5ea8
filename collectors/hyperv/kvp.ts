// Guest facts from the KVP (Data Exchange) integration service: Msvm_KvpExchangeComponent's
// GuestIntrinsicExchangeItems are CIM-XML strings, one Msvm_KvpExchangeDataItem each (Name/Data).
import { isCimInstance, propString, type CimInstance, type CimValue } from '../wsman/index.js';
import { parseEmbeddedInstance } from '../wsman/index.js';

export interface GuestFacts {
  osName: string | null;
  osVersion: string | null;
  fqdn: string | null;
  architecture: 'x64' | 'x86' | null;
  ipAddresses: string[];
}

/** Name -> Data of the KVP items; items that do not parse are skipped (one bad item must not hide the rest). */
export function decodeKvpItems(items: CimValue[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    let inst: CimInstance | null = null;
    if (isCimInstance(item)) inst = item;
    else if (typeof item === 'string' && item.trim()) {
      try {
        inst = parseEmbeddedInstance(item);
      } catch {
        inst = null;
      }
    }
    if (!inst) continue;
    const name = propString(inst, 'Name');
    const data = propString(inst, 'Data');
    if (name && data !== null) out.set(name, data);
  }
  return out;
}

/** ProcessorArchitecture follows Win32_Processor.Architecture: 9 = x64, 0 = x86. */
function architecture(code: string | undefined): GuestFacts['architecture'] {
  if (code === '9') return 'x64';
  if (code === '0') return 'x86';
  return null;
}

export function guestFacts(kvp: Map<string, string>): GuestFacts {
  const blank = (v: string | undefined): string | null => (v?.trim() ? v.trim() : null);
  const ips = [kvp.get('NetworkAddressIPv4'), kvp.get('NetworkAddressIPv6')]
    .flatMap((v) => (v ? v.split(';') : []))
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    // Linux guests report OSName too; OSDistributionName is a fallback for older integration services.
    osName: blank(kvp.get('OSName')) ?? blank(kvp.get('OSDistributionName')),
    osVersion: blank(kvp.get('OSVersion')),
    fqdn: blank(kvp.get('FullyQualifiedDomainName')),
    architecture: architecture(kvp.get('ProcessorArchitecture')),
    ipAddresses: ips,
  };
}
