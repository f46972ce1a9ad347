--- A well-mixed 32-bit hash of a string: CRC32 alone is linear, so draws for
-- consecutive inputs ("7:1:1", "7:1:2", ...) come out correlated; the
-- MurmurHash3 finalizer spreads them.
local bit = require "bit"

local band, bxor, rshift, lshift, tobit = bit.band, bit.bxor, bit.rshift, bit.lshift, bit.tobit

local M = {}

-- a * b mod 2^32 without losing bits in double arithmetic.
local function mul32(a, b)
  local alo, ahi = band(a, 0xffff), rshift(a, 16)
  local blo, bhi = band(b, 0xffff), rshift(b, 16)
  return tobit(alo * blo + lshift(band(ahi * blo + alo * bhi, 0xffff), 16))
end

--- Unsigned 32-bit hash of `s`.
function M.hash(s)
  local h = ngx.crc32_long(s)
  h = bxor(h, rshift(h, 16))
  h = mul32(h, 0x85ebca6b)
  h = bxor(h, rshift(h, 13))
  h = mul32(h, 0xc2b2ae35)
  h = bxor(h, rshift(h, 16))
  if h < 0 then h = h + 4294967296 end
  return h
end

--- Uniform number in [0, 1) for `s`.
function M.uniform(s)
  return M.hash(s) / 4294967296
end

return M
