--- Time zones: IANA zones read from the system's TZif files (RFC 8536,
-- version 2+ data and the POSIX footer for instants after the table), and
-- fixed UTC offsets ("+05:30", "UTC").
local civil = require "clevertap.when.civil"
local posix = require "clevertap.when.posix"

local tz = {}
local Zone = {}
Zone.__index = Zone

local function u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function i32(s, i)
  local v = u32(s, i)
  if v >= 2147483648 then v = v - 4294967296 end
  return v
end

local function i64(s, i)
  return i32(s, i) * 4294967296 + u32(s, i + 4)
end

local function header(s, i)
  if #s < i + 43 or s:sub(i, i + 3) ~= "TZif" then return nil end
  return {
    version = s:byte(i + 4),
    isutcnt = u32(s, i + 20), isstdcnt = u32(s, i + 24), leapcnt = u32(s, i + 28),
    timecnt = u32(s, i + 32), typecnt = u32(s, i + 36), charcnt = u32(s, i + 40),
  }
end

local function block_size(h, tsize)
  return h.timecnt * tsize + h.timecnt + h.typecnt * 6 + h.charcnt + h.leapcnt * (tsize + 4)
    + h.isstdcnt + h.isutcnt
end

--- Parse TZif bytes; nil, reason when they are not a usable TZif file.
function tz.parse_tzif(s, zname)
  local h = header(s, 1)
  if not h then return nil, "not a TZif file" end
  local pos, tsize = 45, 4
  if h.version ~= 0 then
    -- Version 2+: skip the 32-bit block; the 64-bit one follows with its own header.
    pos = pos + block_size(h, 4)
    h = header(s, pos)
    if not h then return nil, "truncated TZif file" end
    pos, tsize = pos + 44, 8
  end
  if #s < pos + block_size(h, tsize) - 1 or h.typecnt == 0 then return nil, "truncated TZif file" end
  local z = setmetatable({ name = zname, times = {}, idx = {}, types = {} }, Zone)
  for i = 1, h.timecnt do
    z.times[i] = tsize == 8 and i64(s, pos) or i32(s, pos)
    pos = pos + tsize
  end
  for i = 1, h.timecnt do
    z.idx[i] = s:byte(pos) + 1
    pos = pos + 1
  end
  local chars_at = pos + h.typecnt * 6
  for i = 1, h.typecnt do
    local ai = s:byte(pos + 5)
    local abbr = s:sub(chars_at + ai, chars_at + h.charcnt - 1):match("^[^%z]*")
    z.types[i] = { off = i32(s, pos), dst = s:byte(pos + 4) == 1, abbr = abbr }
    pos = pos + 6
  end
  for i = 1, h.timecnt do
    if not z.types[z.idx[i]] then return nil, "TZif transition names a missing time type" end
  end
  pos = pos + h.charcnt + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt
  if tsize == 8 then
    local footer = s:match("^\n([^\n]*)\n", pos)
    if footer and footer ~= "" then
      local rule, err = posix.parse(footer)
      if not rule then return nil, "TZif footer " .. string.format("%q", footer) .. ": " .. err end
      z.rule = rule
    end
  end
  return z
end

--- UTC offset (seconds east), abbreviation and is-DST at epoch second t.
function Zone:offset(t)
  if self.fixed then return self.fixed, self.abbr, false end
  local times = self.times
  local n = #times
  if n == 0 or t >= times[n] then
    if self.rule then return self.rule:offset(t) end
    if n == 0 then
      local ty = self.types[1]
      return ty.off, ty.abbr, ty.dst
    end
  end
  if n == 0 or t < times[1] then
    local ty = self.types[1] -- RFC 8536: type 0 before the first transition
    return ty.off, ty.abbr, ty.dst
  end
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if times[mid] <= t then lo = mid else hi = mid - 1 end
  end
  local ty = self.types[self.idx[lo]]
  return ty.off, ty.abbr, ty.dst
end

--- "+05:30" for an offset in seconds.
function tz.format_offset(off)
  local sign = off < 0 and "-" or "+"
  off = math.abs(off)
  local h, m = math.floor(off / 3600), math.floor(off % 3600 / 60)
  return string.format("%s%02d:%02d", sign, h, m)
end

--- The wall clock at epoch second t: os.date("*t")-style fields plus
-- offset (seconds east), abbr and isdst.
function Zone:fields(t)
  local off, abbr, dst = self:offset(t)
  local f = civil.fields(t + off)
  f.offset, f.abbr, f.isdst = off, abbr, dst
  return f
end

--- The instant a wall clock shows {year, month, day, hour, min}. The second
-- result is "gap" when that wall time does not exist (clocks jumped over it:
-- the instant is the one the same elapsed time after the jump shows, e.g.
-- 02:30 -> 03:30) or "ambiguous" when it happens twice (the earlier is used).
function Zone:to_utc(f)
  local w = civil.epoch(f.year, f.month, f.day, f.hour, f.min, f.sec or 0)
  local before = self:offset(w - 86400)
  local candidates, seen = {}, {}
  for _, o in ipairs { before, (self:offset(w)), (self:offset(w + 86400)) } do
    if not seen[o] then
      seen[o] = true
      local t = w - o
      if self:offset(t) == o then candidates[#candidates + 1] = t end
    end
  end
  table.sort(candidates)
  if #candidates == 0 then return w - before, "gap" end
  if #candidates > 1 then return candidates[1], "ambiguous" end
  return candidates[1]
end

local function fixed(name, off, abbr)
  return setmetatable({ name = name, fixed = off, abbr = abbr or tz.format_offset(off) }, Zone)
end

local function parse_fixed(name)
  local u = name:upper()
  if u == "UTC" or u == "GMT" or u == "Z" then return fixed(name, 0, "UTC") end
  local body = u:match("^UTC([+-].*)$") or u:match("^GMT([+-].*)$") or name
  local sign, h, m = body:match("^([+-])(%d%d?):?(%d%d)$")
  if not sign then
    sign, h = body:match("^([+-])(%d%d?)$")
    m = "0"
  end
  if not sign then return nil end
  h, m = tonumber(h), tonumber(m)
  if h > 18 or m > 59 or (h == 18 and m > 0) then return false end
  local off = h * 3600 + m * 60
  if sign == "-" then off = -off end
  return fixed(name, off)
end

local cache = {}

function tz.dir()
  return os.getenv("TZDIR") or "/usr/share/zoneinfo"
end

--- A zone by IANA name ("Asia/Kolkata") or fixed offset ("+05:30",
-- "-0800", "UTC+5", "UTC"); nil, message when there is none.
function tz.get(name)
  if type(name) ~= "string" then return nil, "expected a time zone name, got " .. type(name) end
  local z = cache[name]
  if z then return z end
  z = parse_fixed(name)
  if z == false then
    return nil, string.format("time zone %q: offset out of range (at most 18 hours from UTC)", name)
  end
  if not z then
    if not name:match("^[%w_][%w_%+%-/]*$") or name:find("..", 1, true) then
      return nil, string.format("time zone %q: expected an IANA name such as \"Asia/Kolkata\" "
        .. "or an offset such as \"+05:30\"", name)
    end
    local path = tz.dir() .. "/" .. name
    local fh = io.open(path, "rb")
    if not fh then
      return nil, string.format("unknown time zone %q (no such zone in %s; expected an IANA name such as "
        .. "\"America/New_York\" or an offset such as \"+05:30\")", name, tz.dir())
    end
    local data = fh:read("*a")
    fh:close()
    local err
    z, err = tz.parse_tzif(data or "", name)
    if not z then return nil, string.format("time zone %q (%s): %s", name, path, err) end
  end
  cache[name] = z
  return z
end

return tz
