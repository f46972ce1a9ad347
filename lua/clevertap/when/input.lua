--- Turning what a person writes (day names, "9:30", os.time numbers,
-- os.date("*t") tables, "2035-04-20 13:00") into the API's exact formats.
-- Every function takes `what`, the name of the argument for messages, and
-- raises through fail.raise on bad input.
local civil = require "clevertap.when.civil"
local fail = require "clevertap.when.fail"
local options = require "clevertap.options"

local input = {}
local raise, show = fail.raise, fail.show
local floor = math.floor
-- Lua 5.4 keeps 2.0 a float; the encoder writes integers only for integer values.
local toint = math.tointeger or function(x) return x end

function input.integer(v, what, min)
  if type(v) ~= "number" or v ~= v or v ~= floor(v) or v < min or v > 2 ^ 31 then
    raise("%s: expected an integer >= %d, got %s", what, min, show(v))
  end
  return toint(v)
end

function input.boolean(v, what)
  if type(v) ~= "boolean" then raise("%s: expected true or false, got %s", what, show(v)) end
  return v
end

function input.enum(v, what, choices)
  for _, c in ipairs(choices) do
    if v == c then return v end
  end
  local quoted = {}
  for i, c in ipairs(choices) do quoted[i] = string.format("%q", c) end
  raise("%s: expected %s, got %s", what, table.concat(quoted, " or "), show(v))
end

local day_names = {
  sun = 1, sunday = 1,
  mon = 2, monday = 2,
  tue = 3, tues = 3, tuesday = 3,
  wed = 4, weds = 4, wednesday = 4,
  thu = 5, thur = 5, thurs = 5, thursday = 5,
  fri = 6, friday = 6,
  sat = 7, saturday = 7,
}
input.day_abbr = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }

--- Names for several days at once.
input.day_groups = {
  weekdays = { 2, 3, 4, 5, 6 }, weekend = { 1, 7 }, daily = { 1, 2, 3, 4, 5, 6, 7 },
  all = { 1, 2, 3, 4, 5, 6, 7 }, everyday = { 1, 2, 3, 4, 5, 6, 7 },
}

local DAY_EXPECTED = 'a day of week ("mon", "Monday", ...) or a number 1-7 (1 = Sunday ... 7 = Saturday)'

--- A day of week as the API numbers it: 1 = Sunday ... 7 = Saturday.
function input.day(v, what)
  local n
  if type(v) == "number" then
    n = v
  elseif type(v) == "string" then
    n = day_names[v:lower()] or (v:match("^%d$") and tonumber(v))
  end
  if type(n) ~= "number" or n ~= floor(n) or n < 1 or n > 7 then
    raise("%s: expected %s, got %s", what, DAY_EXPECTED, show(v))
  end
  return toint(n)
end

--- A non-empty list of days (or one day, or a group such as "weekdays"),
-- returned in ascending order; a day reached twice is a mistake.
function input.days(v, what)
  if type(v) ~= "table" then v = { v } end
  for k in pairs(v) do
    if type(k) ~= "number" or k < 1 or k > #v or k ~= floor(k) then
      raise("%s: expected a list of days, got a table with key %s", what, show(k))
    end
  end
  if #v == 0 then
    raise("%s: expected a non-empty list of days (%s, or \"weekdays\", \"weekend\", \"all\")", what, DAY_EXPECTED)
  end
  local seen, out = {}, {}
  for i, d in ipairs(v) do
    local name = string.format("%s[%d]", what, i)
    local group = type(d) == "string" and input.day_groups[d:lower()]
    for _, n in ipairs(group or { input.day(d, name) }) do
      if seen[n] then
        raise("%s: %s repeats a day already listed", name, input.day_abbr[n])
      end
      seen[n] = true
      out[#out + 1] = n
    end
  end
  table.sort(out)
  return out
end

local TIME_EXPECTED = '"HH:MM" (24-hour clock, e.g. "09:30") or {hour=, min=}'

--- A time of day: returns "HH:MM" and minutes since midnight.
function input.time(v, what)
  local h, m
  if type(v) == "string" then
    local hs, ms = v:match("^(%d%d?):(%d%d)$")
    h, m = tonumber(hs), tonumber(ms)
  elseif type(v) == "table" then
    for k in pairs(v) do
      if k ~= "hour" and k ~= "min" then
        raise("%s: unknown key %s in a time table (expected hour, min)", what, show(k))
      end
    end
    h, m = v.hour, v.min or 0
    if type(h) ~= "number" or type(m) ~= "number" or h ~= floor(h) or m ~= floor(m) then h = nil end
  end
  if not h or h > 23 or m > 59 or h < 0 or m < 0 then
    raise("%s: expected %s, got %s", what, TIME_EXPECTED, show(v))
  end
  return string.format("%02d:%02d", h, m), toint(h * 60 + m)
end

local date_keys = { year = true, month = true, day = true, hour = true, min = true, sec = true,
                    wday = true, yday = true, isdst = true }

local function from_table(v, what, need_time)
  for k in pairs(v) do
    if not date_keys[k] then
      raise("%s: unknown key %s in a date table (expected year, month, day, hour, min as os.date(\"*t\") gives)",
        what, show(k))
    end
  end
  local f = { year = v.year, month = v.month, day = v.day, hour = v.hour, min = v.min or 0 }
  if not need_time then f.hour, f.min = 0, 0 end
  for _, k in ipairs { "year", "month", "day", "hour", "min" } do
    local x = f[k]
    if type(x) ~= "number" or x ~= floor(x) then
      raise("%s: date table field %s: expected an integer, got %s", what, k, show(x))
    end
  end
  return f
end

local function check_fields(f, what, v)
  if f.year < 1000 or f.year > 9999 or not civil.valid_date(f.year, f.month, f.day)
      or f.hour < 0 or f.hour > 23 or f.min < 0 or f.min > 59 then
    raise("%s: %s is not a valid date and time", what, show(v))
  end
  return f
end

-- Does integer n, read as digits, spell a calendar day (YYYYMMDD) or a
-- minute of one (YYYYMMDDHHMM)? Month 1-12, day 1-31, hour 0-23, minute 0-59.
local function date_digits(n)
  if n >= 10000101 and n <= 99991231 then
    local mo, d = floor(n / 100) % 100, n % 100
    if mo >= 1 and mo <= 12 and d >= 1 and d <= 31 then return "date" end
  elseif n >= 100001010000 and n <= 999912312359 then
    local mo, d, h, mi = floor(n / 1000000) % 100, floor(n / 10000) % 100, floor(n / 100) % 100, n % 100
    if mo >= 1 and mo <= 12 and d >= 1 and d <= 31 and h <= 23 and mi <= 59 then return "datetime" end
  end
end

-- A number is an os.time() epoch for a date and time, but YYYYMMDD numbers
-- are dates elsewhere (where.from, end_date): 20350420 as an epoch is
-- 1970-08-24 and 203504201300 the year 65000, which no schedule means. Such
-- numbers are refused with the string to write instead.
local function refuse_date_digits(v, what)
  if v ~= floor(v) then return end
  local kind = date_digits(v)
  if not kind then return end
  local digits = string.format("%d", toint(v) or v)
  if kind == "date" then
    raise('%s: %s looks like a date YYYYMMDD, but a number here is an os.time() epoch (seconds); '
      .. 'write the date and time as a string, "%s HH:MM"', what, digits, digits)
  end
  raise('%s: %s looks like a date and time YYYYMMDDHHMM, but a number here is an os.time() epoch (seconds); '
    .. 'write it as a string, "%s %s:%s"', what, digits, digits:sub(1, 8), digits:sub(9, 10), digits:sub(11, 12))
end

local INSTANT_EXPECTED = '"YYYYMMDD HH:MM", "YYYY-MM-DD HH:MM", an os.time() number or an os.date("*t") table'

--- A date and time: the wall-clock fields {year, month, day, hour, min}.
-- `clock(epoch, what)` turns os.time numbers into wall-clock fields (the account's
-- time zone); seconds are dropped because the API counts in minutes.
function input.instant(v, what, clock)
  local f
  if type(v) == "string" then
    local y, mo, d, h, mi = v:match("^(%d%d%d%d)(%d%d)(%d%d) (%d%d?):(%d%d)$")
    if not y then
      y, mo, d, h, mi = v:match("^(%d%d%d%d)%-(%d%d?)%-(%d%d?)[ T](%d%d?):(%d%d)$")
    end
    if not y then
      y, mo, d, h, mi = v:match("^(%d%d%d%d)%-(%d%d?)%-(%d%d?)[ T](%d%d?):(%d%d):%d%d$")
    end
    if not y then raise("%s: expected %s, got %s", what, INSTANT_EXPECTED, show(v)) end
    f = { year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi) }
  elseif type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      raise("%s: expected %s, got %s", what, INSTANT_EXPECTED, show(v))
    end
    refuse_date_digits(v, what)
    f = clock(floor(v), what)
  elseif type(v) == "table" then
    f = from_table(v, what, true)
  else
    raise("%s: expected %s, got %s", what, INSTANT_EXPECTED, show(v))
  end
  return check_fields(f, what, v)
end

function input.format_instant(f)
  return string.format("%04d%02d%02d %02d:%02d", f.year, f.month, f.day, f.hour, f.min)
end

local DATE_EXPECTED = '"YYYYMMDD", "YYYY-MM-DD", a number like 20350420, an os.time() number or an os.date("*t") table'

--- A calendar date: fields {year, month, day} (hour and min are 0).
function input.date(v, what, clock)
  local f
  if type(v) == "string" then
    local y, mo, d = v:match("^(%d%d%d%d)(%d%d)(%d%d)$")
    if not y then y, mo, d = v:match("^(%d%d%d%d)%-(%d%d?)%-(%d%d?)$") end
    if not y then raise("%s: expected %s, got %s", what, DATE_EXPECTED, show(v)) end
    f = { year = tonumber(y), month = tonumber(mo), day = tonumber(d) }
  elseif type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      raise("%s: expected %s, got %s", what, DATE_EXPECTED, show(v))
    end
    -- An eight-digit number reads as YYYYMMDD (the form `where.from` uses);
    -- as epoch seconds it would be a day in 1970, which no schedule means.
    if v >= 10000101 and v <= 99991231 and v == floor(v) then
      f = { year = floor(v / 10000), month = floor(v / 100) % 100, day = v % 100 }
    else
      f = clock(floor(v), what)
    end
  elseif type(v) == "table" then
    f = from_table(v, what, false)
  else
    raise("%s: expected %s, got %s", what, DATE_EXPECTED, show(v))
  end
  f = { year = f.year, month = f.month, day = f.day, hour = 0, min = 0 }
  return check_fields(f, what, v)
end

function input.format_date(f)
  return string.format("%04d%02d%02d", f.year, f.month, f.day)
end


--- Map an options table onto canonical names. `names` maps every accepted
-- key (canonical or alias) to its canonical name; giving a canonical name
-- twice (through an alias) is a mistake, as is any key not in `names`.
-- Array entries are returned separately for builders that take a list.
function input.options(t, names, what)
  local out, given, list = {}, {}, {}
  for k, v in pairs(t) do
    if type(k) == "number" and k >= 1 and k == floor(k) then
      list[k] = v
    else
      local canon = type(k) == "string" and names[k]
      if not canon then
        raise("%s", options.unknown(k, names, what))
      end
      if given[canon] then
        raise("%s%s and %s are the same option; give one", what == "" and "" or what .. ": ", given[canon], k)
      end
      given[canon] = k
      out[canon] = v
    end
  end
  local n = 0
  for _ in pairs(list) do n = n + 1 end
  if n ~= #list then raise("%sthe list part has holes (nil entries)", what == "" and "" or what .. ": ") end
  return out, list, given
end

return input
