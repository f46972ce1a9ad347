--- Proleptic Gregorian calendar arithmetic on day numbers (days since
-- 1970-01-01), independent of the host's time zone and of os.time's range.
-- Uses math.floor for division so it behaves the same on Lua 5.4 (integers)
-- and LuaJIT (doubles).
local floor = math.floor

local civil = {}

function civil.is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

local month_days = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

function civil.days_in_month(y, m)
  if m == 2 and civil.is_leap(y) then return 29 end
  return month_days[m]
end

function civil.valid_date(y, m, d)
  return m >= 1 and m <= 12 and d >= 1 and d <= civil.days_in_month(y, m)
end

-- Howard Hinnant's days_from_civil: exact for any year.
function civil.days(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

function civil.from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- 1 = Sunday ... 7 = Saturday, the API's numbering (and os.date's wday).
function civil.wday(days)
  return (days + 4) % 7 + 1
end

--- Wall-clock fields as if the clock were UTC: seconds since the epoch.
function civil.epoch(y, m, d, hour, min, sec)
  return civil.days(y, m, d) * 86400 + (hour or 0) * 3600 + (min or 0) * 60 + (sec or 0)
end

--- Inverse of civil.epoch: a table of wall-clock fields (os.date("*t") names).
function civil.fields(t)
  t = floor(t)
  local days = floor(t / 86400)
  local secs = t - days * 86400
  local y, m, d = civil.from_days(days)
  return {
    year = y, month = m, day = d,
    hour = floor(secs / 3600), min = floor(secs % 3600 / 60), sec = secs % 60,
    wday = civil.wday(days), days = days,
  }
end

return civil
