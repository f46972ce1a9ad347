--- The wall-clock slots a normalized `when` value names, in order: "now",
-- each delivery time, or the recurrence (by day or by week) up to its end.
local civil = require "clevertap.when.civil"

local slots = {}

local function wall(days, hour, min)
  local y, m, d = civil.from_days(days)
  return { year = y, month = m, day = d, hour = hour, min = min, days = days }
end

local function parse_instant(s)
  local y, mo, d, h, mi = s:match("^(%d%d%d%d)(%d%d)(%d%d) (%d%d):(%d%d)$")
  return tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi)
end

function slots.parse(s)
  local y, mo, d, h, mi = parse_instant(s)
  return wall(civil.days(y, mo, d), h, mi)
end

-- The day numbers of a recurrence, lazily: every N days from the start, or
-- the listed weekdays of every Nth week (Sunday to Saturday, the API's
-- numbering). The first week is the first one holding a listed day on or
-- after the start date, so "every 2 weeks from Friday on Sun/Tue" begins
-- with the coming Sunday rather than skipping a fortnight.
local function recurrence_days(w, d0)
  local step = w.repeats_every
  if w.repeat_type == "day" then
    local k = -1
    return function()
      k = k + 1
      return d0 + k * step
    end
  end
  local listed = w.repeat_on_days_of_week
  local week = d0 - (civil.wday(d0) - 1)
  local function first_in(ws, from)
    for _, wd in ipairs(listed) do
      if ws + wd - 1 >= from then return true end
    end
    return false
  end
  if not first_in(week, d0) then week = week + 7 end
  local i = 0
  return function()
    while true do
      i = i + 1
      if i > #listed then
        i, week = 1, week + 7 * step
      end
      local day = week + listed[i] - 1
      if day >= d0 then return day end
    end
  end
end

--- An iterator over the slots: each is {now = true} or a wall-clock table
-- {year, month, day, hour, min, days}. Recurrences without an end run on
-- until year 9999 (the caller stops at its count).
function slots.iterate(w)
  if w == "now" or (type(w) == "table" and w.type == "now") then
    local done = false
    return function()
      if done then return nil end
      done = true
      return { now = true }
    end
  end
  if type(w) == "string" then w = { delivery_date_time = { w } } end
  if w.type ~= "recurring" then
    local i = 0
    return function()
      i = i + 1
      local s = w.delivery_date_time[i]
      return s and slots.parse(s)
    end
  end
  local start = slots.parse(w.start_time)
  local last = w.end_by_date and civil.days(tonumber(w.end_by_date:sub(1, 4)), tonumber(w.end_by_date:sub(5, 6)),
    tonumber(w.end_by_date:sub(7, 8))) or civil.days(9999, 12, 31)
  local left = w.end_by_occurrences or math.huge
  local next_day = recurrence_days(w, start.days)
  return function()
    if left <= 0 then return nil end
    local day = next_day()
    if day > last then return nil end
    left = left - 1
    return wall(day, start.hour, start.min)
  end
end

function slots.next_day(f)
  return wall(civil.days(f.year, f.month, f.day) + 1, f.hour, f.min)
end

function slots.on_day(f, minutes)
  return wall(civil.days(f.year, f.month, f.day), math.floor(minutes / 60), minutes % 60)
end

function slots.format(f)
  return string.format("%04d%02d%02d %02d:%02d", f.year, f.month, f.day, f.hour, f.min)
end

return slots
