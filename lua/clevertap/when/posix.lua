--- POSIX TZ rules ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30"), the footer of
-- TZif v2+ files that gives local time after the last listed transition.
local civil = require "clevertap.when.civil"

local posix = {}
local Rule = {}
Rule.__index = Rule

-- [+-]hh[:mm[:ss]] as seconds (hours may exceed 24 in rule times).
local function hms(s, i)
  local sign, h, rest = s:match("^([+-]?)(%d+)()", i)
  if not h then return nil end
  local v, pos = tonumber(h) * 3600, rest
  local m, after_m = s:match("^:(%d%d?)()", pos)
  if m then
    v, pos = v + tonumber(m) * 60, after_m
    local sec, after_s = s:match("^:(%d%d?)()", pos)
    if sec then v, pos = v + tonumber(sec), after_s end
  end
  if sign == "-" then v = -v end
  return v, pos
end

local function name(s, i)
  local quoted, after = s:match("^<([%w+%-]+)>()", i)
  if quoted then return quoted, after end
  local plain, after2 = s:match("^(%a%a%a+)()", i)
  return plain, after2
end

local function date_rule(s, i)
  local r, pos = {}
  local m, w, d, after = s:match("^M(%d%d?)%.(%d)%.(%d)()", i)
  if m then
    r.kind, r.month, r.week, r.wday, pos = "M", tonumber(m), tonumber(w), tonumber(d), after
    if r.month < 1 or r.month > 12 or r.week < 1 or r.week > 5 or r.wday > 6 then return nil end
  else
    local j, after_j = s:match("^J(%d+)()", i)
    if j then
      r.kind, r.n, pos = "J", tonumber(j), after_j
      if r.n < 1 or r.n > 365 then return nil end
    else
      local n, after_n = s:match("^(%d+)()", i)
      if not n then return nil end
      r.kind, r.n, pos = "n", tonumber(n), after_n
      if r.n > 365 then return nil end
    end
  end
  r.time = 7200
  if s:sub(pos, pos) == "/" then
    r.time, pos = hms(s, pos + 1)
    if not r.time then return nil end
  end
  return r, pos
end

--- Parse a TZ string; nil, message when it is not one.
function posix.parse(s)
  local r = setmetatable({ source = s }, Rule)
  local pos
  r.std_abbr, pos = name(s, 1)
  if not r.std_abbr then return nil, "no standard time name" end
  local off
  off, pos = hms(s, pos)
  if not off then return nil, "no standard time offset" end
  r.std_off = -off -- POSIX counts hours west of Greenwich; we count east.
  if pos > #s then return r end
  r.dst_abbr, pos = name(s, pos)
  if not r.dst_abbr then return nil, "unreadable daylight saving time name" end
  r.dst_off = r.std_off + 3600
  if pos <= #s and s:sub(pos, pos) ~= "," then
    off, pos = hms(s, pos)
    if not off then return nil, "unreadable daylight saving time offset" end
    r.dst_off = -off
  end
  local rest = s:sub(pos)
  if rest == "" then rest = ",M3.2.0,M11.1.0" end -- POSIX's default rule
  local start, p2 = date_rule(rest, 2)
  if not start or rest:sub(1, 1) ~= "," or rest:sub(p2, p2) ~= "," then return nil, "unreadable rule" end
  local stop, p3 = date_rule(rest, p2 + 1)
  if not stop or p3 <= #rest then return nil, "unreadable rule" end
  r.start, r.stop = start, stop
  return r
end

-- The day number (days since 1970-01-01) a date rule names in year y.
local function rule_day(r, y)
  local jan1 = civil.days(y, 1, 1)
  if r.kind == "J" then
    local n = r.n - 1
    if civil.is_leap(y) and r.n >= 60 then n = n + 1 end -- Jn never counts 29 February
    return jan1 + n
  elseif r.kind == "n" then
    return jan1 + r.n
  end
  local first = civil.days(y, r.month, 1)
  local day = first + (r.wday - (civil.wday(first) - 1)) % 7 + (r.week - 1) * 7
  local limit = first + civil.days_in_month(y, r.month)
  while day >= limit do day = day - 7 end -- week 5 means the last such weekday
  return day
end

--- UTC offset (seconds east), abbreviation and is-DST at epoch second t.
function Rule:offset(t)
  if not self.dst_abbr then return self.std_off, self.std_abbr, false end
  local y = civil.fields(t + self.std_off).year
  local s = rule_day(self.start, y) * 86400 + self.start.time - self.std_off
  local e = rule_day(self.stop, y) * 86400 + self.stop.time - self.dst_off
  local dst
  if s < e then
    dst = t >= s and t < e
  else
    dst = not (t >= e and t < s)
  end
  if dst then return self.dst_off, self.dst_abbr, true end
  return self.std_off, self.std_abbr, false
end

return posix
