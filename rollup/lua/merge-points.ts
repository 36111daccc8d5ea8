// Lua kept apart from the TypeScript that calls it (as BullMQ does). Runs atomically in Redis.
//
// Merges one machine's window updates into its day-strings. Every key of one call shares the
// machine's hash tag, so the script is valid on Redis Cluster too.
//   KEYS[1]      the machine's series index (set of "metric\tinstance")
//   KEYS[2..n+1] day-strings: 144 slots x 8 bytes [float32 peak | uint32 sub-slot bitmap], little-endian
//   ARGV[1]      updates, packed '<HBfI4' each: key index (0-based over the day-strings), window index, peak, bitmap
//   ARGV[2]      expiry per day-string, packed '<I4' (unix seconds: end of the day + retention)
//   ARGV[3]      a zero day-string: a new key is created at its full size at once, so Redis allocates it
//                exactly (growing it by SETRANGE would over-allocate)
//   ARGV[4..]    the series index member of each day-string
// A slot whose bitmap is 0 is empty. Merge = max of peaks, OR of bitmaps: idempotent and commutative,
// so a batch applied twice, or samples arriving late or out of order, change nothing more.
// A SEALED day-string (720 bytes: 144 float32 peaks, then 144 uint8 counts; see seal-day.ts) has no
// bitmaps left: its peak still takes the max (exact, idempotent) and its count becomes
// max(count, popcount(bits)), idempotent but a lower bound when a window gains samples after the seal.
// Returns the number of slots whose content changed.
export const MERGE_POINTS_LUA = `
local idx = KEYS[1]
local ups = ARGV[1]
local exps = ARGV[2]
local zero = ARGV[3]
local n = #KEYS - 1
local maxExp = 0
local lens = {}
for k = 1, n do
  local key = KEYS[k + 1]
  local len = redis.call('STRLEN', key)
  if len == 0 then
    local exp = struct.unpack('<I4', exps, (k - 1) * 4 + 1)
    redis.call('SET', key, zero, 'EXAT', exp)
    redis.call('SADD', idx, ARGV[3 + k])
    if exp > maxExp then maxExp = exp end
    len = 1152
  end
  lens[k] = len
end
if maxExp > 0 then
  local cur = redis.call('EXPIRETIME', idx)
  if cur < maxExp then redis.call('EXPIREAT', idx, maxExp) end
end
local function popcount(x)
  local c = 0
  while x ~= 0 do
    x = bit.band(x, x - 1)
    c = c + 1
  end
  return c
end
local changed = 0
local pos = 1
local len = #ups
while pos <= len do
  local ki, slot, peak, bits
  ki, slot, peak, bits, pos = struct.unpack('<HBfI4', ups, pos)
  local key = KEYS[ki + 2]
  local klen = lens[ki + 1]
  if klen == 1152 then
    local off = slot * 8
    local cur = redis.call('GETRANGE', key, off, off + 7)
    -- cur is empty only if the key expired at once (the caller already skips days past the retention)
    if #cur == 8 then
      local cp, cb = struct.unpack('<fI4', cur)
      if cb ~= 0 then
        if cp > peak then peak = cp end
        bits = bit.bor(bits, cb)
        if bits < 0 then bits = bits + 4294967296 end
      end
      if cb == 0 or peak ~= cp or bits ~= cb then
        redis.call('SETRANGE', key, off, struct.pack('<fI4', peak, bits))
        changed = changed + 1
      end
    end
  elseif klen == 720 then
    -- sealed: peak at slot * 4, count at 576 + slot
    local cp = struct.unpack('<f', redis.call('GETRANGE', key, slot * 4, slot * 4 + 3))
    local cc = string.byte(redis.call('GETRANGE', key, 576 + slot, 576 + slot))
    local nc = popcount(bits)
    if cc ~= 0 then
      if cp > peak then peak = cp end
      if cc > nc then nc = cc end
    end
    if cc == 0 or peak ~= cp or nc ~= cc then
      redis.call('SETRANGE', key, slot * 4, struct.pack('<f', peak))
      redis.call('SETRANGE', key, 576 + slot, string.char(nc))
      changed = changed + 1
    end
  end
end
return changed
`;
