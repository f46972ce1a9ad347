--- Do-not-disturb windows on a zone's wall clock. A window belongs to the
-- day it starts on; one whose end is not after its start runs past midnight
-- into the next day (Mon ["21:00", "06:00"] covers Mon 21:00 - Tue 06:00).
-- Start is inside the window, end is not: a delayed message goes at the end.
local slots = require "clevertap.when.slots"
local input = require "clevertap.when.input"

local dnd = {}

local function minutes(hhmm)
  local h, m = hhmm:match("^(%d%d):(%d%d)$")
  return tonumber(h) * 60 + tonumber(m)
end

--- Windows by day number 1-7 from a normalized dnd_info.
function dnd.windows(info)
  local w = {}
  for k, pair in pairs(info) do
    w[tonumber(k)] = { from = minutes(pair[1]), to = minutes(pair[2]), text = pair[1] .. "-" .. pair[2] }
  end
  return w
end

-- The instant the wall clock of `zone` shows `mins` on the day of `f` (plus
-- `add` days), never earlier than `after` (a repeated hour when clocks go
-- back must not send a delayed message back in time).
local function end_instant(zone, f, add, mins, after)
  local day = slots.on_day(f, mins)
  for _ = 1, add do day = slots.next_day(day) end
  local t = zone:to_utc(day)
  if t <= after then
    local w = t + zone:offset(t)
    t = w - zone:offset(after)
  end
  return t
end

--- The window holding instant t on `zone`'s clock, or nil: returns
-- {day = "Mon", text = "21:00-06:00", ends = epoch}.
function dnd.find(windows, zone, t)
  local f = zone:fields(t)
  local now = f.hour * 60 + f.min
  local today = windows[f.wday]
  if today then
    if today.from < today.to and now >= today.from and now < today.to then
      return { day = input.day_abbr[f.wday], text = today.text, ends = end_instant(zone, f, 0, today.to, t) }
    elseif today.from > today.to and now >= today.from then
      return { day = input.day_abbr[f.wday], text = today.text, ends = end_instant(zone, f, 1, today.to, t) }
    end
  end
  local yday = f.wday == 1 and 7 or f.wday - 1
  local prev = windows[yday]
  if prev and prev.from > prev.to and now < prev.to then
    return { day = input.day_abbr[yday], text = prev.text, ends = end_instant(zone, f, 0, prev.to, t) }
  end
  return nil
end

return dnd
