// Lua kept apart from the TypeScript that calls it. Runs atomically in Redis.
//
// Seals day-strings that can no longer expect on-time samples: rewrites each 1152-byte day-string
// (144 x [float32 peak | uint32 sub-slot bitmap]) as 720 bytes (144 float32 peaks, then 144 uint8
// sample counts = the bitmaps' popcounts), keeping its expiry. Keys already sealed or missing are left.
//   KEYS  day-strings of ONE machine (one hash tag: valid on Cluster)
// Returns the number of keys sealed.
export const SEAL_DAY_LUA = `
local pc = {}
for i = 0, 255 do
  local c, x = 0, i
  while x > 0 do
    c = c + (x % 2)
    x = math.floor(x / 2)
  end
  pc[i] = c
end
local sealed = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local s = redis.call('GET', key)
  if s and #s == 1152 then
    local peaks = {}
    local counts = {}
    for i = 0, 143 do
      local off = i * 8
      -- an empty window's peak bytes are still the zeros the key was created with
      peaks[i + 1] = string.sub(s, off + 1, off + 4)
      local b1, b2, b3, b4 = string.byte(s, off + 5, off + 8)
      counts[i + 1] = string.char(pc[b1] + pc[b2] + pc[b3] + pc[b4])
    end
    redis.call('SET', key, table.concat(peaks) .. table.concat(counts), 'KEEPTTL')
    sealed = sealed + 1
  end
end
return sealed
`;
