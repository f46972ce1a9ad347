--- What a message body costs: GSM-7 or UCS-2, its length in the units of
-- that encoding, and how many SMS segments it takes.
--
-- GSM 03.38: a body whose every character is in the basic table (or the
-- extension table, whose characters take an escape plus the character, so
-- count twice) is sent as GSM-7: 160 septets in one SMS, 153 per segment
-- when concatenated (the user data header takes 7). Anything else is UCS-2:
-- 70 UTF-16 units, 67 per segment; characters outside the BMP are two units.
-- A segment never splits an escape pair or a surrogate pair, so a segment
-- may hold one unit less than its size.
local M = {}

local byte = string.byte

-- Basic table, as Unicode code points (ASCII below, then the rest).
local basic = {}
for cp = 0x20, 0x7E do basic[cp] = true end
for _, c in ipairs { 0x60, 0x5B, 0x5C, 0x5D, 0x5E, 0x7B, 0x7C, 0x7D, 0x7E } do basic[c] = nil end
for _, cp in ipairs {
  0x0A, 0x0D, 0xA3, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0xD8, 0xF8, 0xC5, 0xE5,
  0x394, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E,
  0xC6, 0xE6, 0xDF, 0xC9, 0xA4, 0xA1, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7, 0xBF,
  0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
} do basic[cp] = true end

-- Extension table: form feed ^ { } \ [ ~ ] | and the euro sign.
local extension = {}
for _, cp in ipairs { 0x0C, 0x5E, 0x7B, 0x7D, 0x5C, 0x5B, 0x7E, 0x5D, 0x7C, 0x20AC } do
  extension[cp] = true
end

-- Code points of valid UTF-8 text (the caller validated it).
local function codepoints(s)
  local cps, n, i, len = {}, 0, 1, #s
  while i <= len do
    local c = byte(s, i)
    local cp, size
    if c < 0x80 then cp, size = c, 1
    elseif c < 0xE0 then cp, size = (c - 0xC0) * 64 + byte(s, i + 1) - 0x80, 2
    elseif c < 0xF0 then
      cp, size = ((c - 0xE0) * 64 + byte(s, i + 1) - 0x80) * 64 + byte(s, i + 2) - 0x80, 3
    else
      cp = (((c - 0xF0) * 64 + byte(s, i + 1) - 0x80) * 64 + byte(s, i + 2) - 0x80) * 64 + byte(s, i + 3) - 0x80
      size = 4
    end
    n = n + 1
    cps[n] = cp
    i = i + size
  end
  return cps, n
end

-- Segments for a list of per-character unit costs (1 or 2 each).
local function count_segments(costs, units, single, multi)
  if units <= single then return 1 end
  local segments, used = 1, 0
  for i = 1, #costs do
    local c = costs[i]
    if used + c > multi then
      segments = segments + 1
      used = 0
    end
    used = used + c
  end
  return segments
end

--- facts(body) -> { encoding = "GSM-7"|"UCS-2", units = n, characters = n, segments = n }
-- `body` must be valid UTF-8. An empty body is one (empty) segment.
function M.facts(body)
  local cps, n = codepoints(body)
  local gsm = true
  for i = 1, n do
    local cp = cps[i]
    if not basic[cp] and not extension[cp] then gsm = false break end
  end
  local costs, units = {}, 0
  for i = 1, n do
    local cp = cps[i]
    local c
    if gsm then c = extension[cp] and 2 or 1 else c = cp > 0xFFFF and 2 or 1 end
    costs[i] = c
    units = units + c
  end
  if gsm then
    return { encoding = "GSM-7", units = units, characters = n, segments = count_segments(costs, units, 160, 153) }
  else
    return { encoding = "UCS-2", units = units, characters = n, segments = count_segments(costs, units, 70, 67) }
  end
end

return M
