// SMBIOS system UUIDs as the sources report them, made comparable. One server can be seen by several
// sources: as a VM through vCenter (config.uuid) or Hyper-V (BIOSGUID), and from inside as a physical
// server (Win32_ComputerSystemProduct.UUID, /sys/class/dmi/id/product_uuid).
//
// The VMware quirk: SMBIOS 2.6 stores the first three UUID fields little-endian; VMware writes them
// big-endian (the pre-2.6 layout), so a guest that decodes the table per 2.6 (Windows, recent Linux)
// shows config.uuid 4217f3a2-1b2c-3d4e-... as a2f31742-2c1b-4e3d-...: the bytes of the first three
// fields reversed, the last two fields equal. Older guests (SMBIOS < 2.6 decoders) show it unswapped.
// Which form a reader sees therefore depends on the guest, not the source, so identity is matched on
// a key both forms share (identityKey), never by guessing which side swapped.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Lower-case 8-4-4-4-12 form of a BIOS UUID ("{ABC...}", upper case, 32 bare hex digits accepted), or null
 * when it is missing, malformed or a placeholder firmware writes when it has no UUID (all 0 or all F).
 */
export function canonicalBiosUuid(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let s = raw
    .trim()
    .toLowerCase()
    .replace(/^\{|\}$/g, '');
  if (/^[0-9a-f]{32}$/.test(s)) s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  if (!UUID_RE.test(s)) return null;
  const hex = s.replace(/-/g, '');
  if (/^0+$/.test(hex) || /^f+$/.test(hex)) return null;
  return s;
}

function reverseBytes(hex: string): string {
  return (hex.match(/../g) ?? []).reverse().join('');
}

/** The same UUID with the byte order of its first three fields reversed (VMware config.uuid <-> SMBIOS 2.6 guest view). */
export function swapUuidByteOrder(canonical: string): string {
  const [a = '', b = '', c = '', d = '', e = ''] = canonical.split('-');
  return [reverseBytes(a), reverseBytes(b), reverseBytes(c), d, e].join('-');
}

/**
 * The identity of a BIOS UUID across sources: the smaller of its two byte orders, so VMware's
 * config.uuid and the guest's own reading of it give the same key. Null when the UUID is not usable.
 */
export function biosIdentityKey(raw: string | null | undefined): string | null {
  const c = canonicalBiosUuid(raw);
  if (!c) return null;
  // Lexicographic order of the two strings (not numeric): any fixed choice works as long as both forms agree.
  return [c, swapUuidByteOrder(c)].sort()[0] ?? c;
}

/** True when two reported BIOS UUIDs name the same machine (equal, or equal after the VMware byte swap). */
export function sameBiosUuid(a: string | null | undefined, b: string | null | undefined): boolean {
  const ka = biosIdentityKey(a);
  return ka !== null && ka === biosIdentityKey(b);
}
