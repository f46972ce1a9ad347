--- `clevertap preview --calendar`: a schedule's next weeks in the terminal.
-- A month grid marks the days with sends (and days whose slots were all
-- dropped); under it one strip per weekday shows the 24 hours with the send
-- hours marked and the DND hours and the hours after the campaign cutoff
-- shaded. Everything is on one clock: the zone the preview was asked for.
local civil = require "clevertap.when.civil"

local M = {}

local DAYS = { "Su", "Mo", "Tu", "We", "Th", "Fr", "Sa" }
local LONG_DAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local MONTHS = { "January", "February", "March", "April", "May", "June", "July", "August", "September",
                 "October", "November", "December" }

-- The marks: Unicode shades on a UTF-8 terminal, ASCII otherwise.
M.SYMBOLS = {
  utf8 = { send = "*", dropped = "x", free = "·", dnd = "░", cutoff = "▒" },
  ascii = { send = "*", dropped = "x", free = ".", dnd = "#", cutoff = ":" },
}

--- Does the environment ask for UTF-8 (LC_ALL, then LC_CTYPE, then LANG)?
function M.utf8_locale(env)
  env = env or os.getenv
  for _, k in ipairs({ "LC_ALL", "LC_CTYPE", "LANG" }) do
    local v = env(k)
    if v and v ~= "" then return v:upper():gsub("%-", ""):find("UTF8", 1, true) ~= nil end
  end
  return false
end

local function minutes(hhmm)
  local h, m = tostring(hhmm):match("^(%d%d):(%d%d)$")
  return h and (tonumber(h) * 60 + tonumber(m)) or nil
end

-- DND windows by weekday 1-7 (Sun-Sat) from the API's dnd_info.
local function windows_of(dnd_info)
  local w = {}
  for k, pair in pairs(type(dnd_info) == "table" and dnd_info or {}) do
    local day = tonumber(k)
    local from, to = type(pair) == "table" and minutes(pair[1]), type(pair) == "table" and minutes(pair[2])
    if day and from and to then w[day] = { from = from, to = to } end
  end
  return w
end

-- Is minute `m` (0-1439) of weekday `d` inside a DND window? A window whose
-- end is not after its start runs past midnight into the next day.
local function in_dnd(w, d, m)
  local today = w[d]
  if today then
    if today.from < today.to and m >= today.from and m < today.to then return true end
    if today.from >= today.to and m >= today.from then return true end
  end
  local prev = w[d == 1 and 7 or d - 1]
  return prev ~= nil and prev.from >= prev.to and m < prev.to
end

-- The slots per day of the range (day number -> {send =, dropped =}) and
-- per weekday and hour (the hour's mark: "send" wins over "dropped").
local function tally(slots, zone, start_days, end_days)
  local per_day, hours = {}, {}
  for d = 1, 7 do hours[d] = {} end
  for _, s in ipairs(slots) do
    local t = s.at or s.due
    if t then
      local f = zone:fields(t)
      local days = civil.days(f.year, f.month, f.day)
      if days >= start_days and days <= end_days then
        local c = per_day[days] or { send = 0, dropped = 0 }
        per_day[days] = c
        if s.status == "send" then
          c.send = c.send + 1
          hours[f.wday][f.hour] = "send"
        else
          c.dropped = c.dropped + 1
          if hours[f.wday][f.hour] ~= "send" then hours[f.wday][f.hour] = "dropped" end
        end
      end
    end
  end
  return per_day, hours
end

-- One day's mark in a month grid: the sends (a count past one), else dropped.
local function day_mark(c, sym)
  if c and c.send > 0 then
    return c.send == 1 and sym.send .. " " or (sym.send .. (c.send > 9 and "+" or tostring(c.send)))
  elseif c and c.dropped > 0 then
    return sym.dropped .. " "
  end
  return "  "
end

-- Month grids, one after the other, each with the weeks of the range in it.
local function add_month_grids(out, per_day, start_days, end_days, sym)
  local sf, ef = civil.fields(start_days * 86400), civil.fields(end_days * 86400)
  local y, m = sf.year, sf.month
  while y * 12 + m <= ef.year * 12 + ef.month do
    out[#out + 1] = ""
    out[#out + 1] = string.format("%s %d", MONTHS[m], y)
    out[#out + 1] = " " .. table.concat(DAYS, "   ")
    local d1 = civil.days(y, m, 1)
    local cells, in_range = {}, false
    local function flush()
      if in_range then out[#out + 1] = (table.concat(cells, " "):gsub("%s+$", "")) end
      cells, in_range = {}, false
    end
    for _ = 1, civil.wday(d1) - 1 do cells[#cells + 1] = "    " end
    for day = 1, civil.days_in_month(y, m) do
      local dn = d1 + day - 1
      if dn >= start_days and dn <= end_days then in_range = true end
      cells[#cells + 1] = string.format("%2d%s", day, day_mark(per_day[dn], sym))
      if #cells == 7 then flush() end
    end
    flush()
    m = m + 1
    if m > 12 then y, m = y + 1, 1 end
  end
end

-- The hours of each weekday: sends, DND, after the cutoff.
local function add_hour_rows(out, hours, opts, sym)
  local w = windows_of(opts.dnd_info)
  local cut = opts.cutoff and minutes(opts.cutoff)
  out[#out + 1] = ""
  out[#out + 1] = "Hours   0     6     12    18    24" .. (cut and ("   cutoff " .. opts.cutoff) or "")
  for d = 1, 7 do
    local row = {}
    for h = 0, 23 do
      local mark = hours[d][h]
      local ch
      if mark == "send" then ch = sym.send
      elseif mark == "dropped" then ch = sym.dropped
      elseif in_dnd(w, d, h * 60) or in_dnd(w, d, h * 60 + 59) then ch = sym.dnd
      elseif cut and h * 60 + 59 > cut then ch = sym.cutoff
      else ch = sym.free end
      row[#row + 1] = ch
    end
    out[#out + 1] = string.format("%-8s%s", LONG_DAYS[d], table.concat(row))
  end
end

--- The calendar as text.
-- slots: preview slots ({status = "send"|"dropped", at =, due =});
-- opts: zone (a when.tz zone), now (epoch), weeks (default 5), dnd_info,
-- cutoff ("HH:MM"), utf8 (boolean).
function M.render(slots, opts)
  local zone = opts.zone
  local sym = opts.utf8 and M.SYMBOLS.utf8 or M.SYMBOLS.ascii
  local first = zone:fields(opts.now)
  -- From the Sunday of this week, `weeks` whole weeks.
  local start_days = civil.days(first.year, first.month, first.day) - (first.wday - 1)
  local end_days = start_days + 7 * (opts.weeks or 5) - 1
  local per_day, hours = tally(slots, zone, start_days, end_days)
  local sf, ef = civil.fields(start_days * 86400), civil.fields(end_days * 86400)
  local out = {}
  out[#out + 1] = string.format("Calendar on %s, %04d-%02d-%02d to %04d-%02d-%02d:  %s send  %s all dropped  "
    .. "%s DND  %s after the cutoff", zone.name, sf.year, sf.month, sf.day, ef.year, ef.month, ef.day,
    sym.send, sym.dropped, sym.dnd, sym.cutoff)
  add_month_grids(out, per_day, start_days, end_days, sym)
  add_hour_rows(out, hours, opts, sym)
  return table.concat(out, "\n")
end

return M
