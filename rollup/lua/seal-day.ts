// Lua kept apart from the TypeScript that calls it. Runs atomically in Redis.
//
// Seals day-strings that can no longer expect on-time samples: rewrites each 1152-byte day-string
// (144 x [float32 peak | uint32 sub-slot bitmap]) as 720 bytes (144 float32 peaks, then 144 uint8
// sample counts = the bitmaps' popcounts), keeping its expiry. Keys already sealed or missing are left.
//   KEYS  day-strings of ONE machine (one hash tag: valid on Cluster)
// Returns the number of keys sealed.
export const SEAL_DAY_LUA = `
local function popcount(x)
  local c = 0
  while x ~= 0 do
    x = bit.band(x, x - 1)
    c = c + 1
  end
  return c
end
local sealed = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local s = redis.call('GET', key)
  if s and #s == 1152 then
    local peaks = {}
    local counts = {}
    local pos = 1
    for i = 1, 144 do
      local p, b
      p, b, pos = struct.unpack('<fI4', s, pos)
      if b == 0 then
        peaks[i] = struct.pack('<f', 0)
        counts[i] = string.char(0)
      else
        peaks[i] = struct.pack('<f', p)
        counts[i] = string.char(popcount(b))
      end
    end
    redis.call('SET', key, table.concat(peaks) .. table.concat(counts), 'KEEPTTL')
    sealed = sealed + 1
  end
end
return sealed
`;
