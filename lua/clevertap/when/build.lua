--- The builders' rules: each function takes what a person wrote and returns
-- the API's `when` value (or its `dnd` member) exactly as the reference
-- spells it, raising through fail.raise on the first mistake.
local civil = require "clevertap.when.civil"
local fail = require "clevertap.when.fail"
local input = require "clevertap.when.input"
local tz = require "clevertap.when.tz"

local build = {}
local raise, show = fail.raise, fail.show

-- Messages name fields from the top of the value being built: `what` is ""
-- for a builder's own options and e.g. "dnd" or "when" when nested.
local function field(what, name)
  if what == "" then return name end
  return what .. "." .. name
end
local function lead(what)
  if what == "" then return "" end
  return what .. ": "
end

-- What an os.time() number means as a wall clock: the account's zone when
-- the caller names it, else the zone this process runs in (the zone os.time
-- tables are read in, so os.time{...} round-trips).
local function clock_for(zone_name, what)
  if zone_name == nil then
    return function(t, name)
      local ok, f = pcall(os.date, "*t", t)
      if not ok or not f then raise("%s: %s is outside the range this system's clock can show", name, show(t)) end
      return f
    end
  end
  local name = field(what, "account_timezone")
  if type(zone_name) ~= "string" then
    raise("%s: expected a time zone name such as \"Asia/Kolkata\" or \"+05:30\", got %s", name, show(zone_name))
  end
  local zone, err = tz.get(zone_name)
  if not zone then raise("%s: %s", name, err) end
  return function(t) return zone:fields(t) end
end

local dnd_names = {
  message_state = "message_state", state = "message_state",
  dnd_timezone = "dnd_timezone", timezone = "dnd_timezone",
  dnd_info = "dnd_info", windows = "dnd_info",
}

local WINDOW_EXPECTED = 'a window {"HH:MM", "HH:MM"} (start, end; an end before the start crosses midnight)'
  .. " or {from=, to=}"

local function window(v, what)
  local from, to
  if type(v) == "table" and (v.from ~= nil or v.to ~= nil) then
    for k in pairs(v) do
      if k ~= "from" and k ~= "to" then raise("%s: unknown key %s (expected from, to)", what, show(k)) end
    end
    from, to = v.from, v.to
  elseif type(v) == "table" and #v == 2 then
    for k in pairs(v) do
      if k ~= 1 and k ~= 2 then raise("%s: expected %s, got a table with key %s", what, WINDOW_EXPECTED, show(k)) end
    end
    from, to = v[1], v[2]
  else
    raise("%s: expected %s, got %s", what, WINDOW_EXPECTED, show(v))
  end
  local a, am = input.time(from, what .. " start")
  local b, bm = input.time(to, what .. " end")
  if am == bm then raise("%s: start and end are both %s; a window needs two different times", what, a) end
  return { a, b }
end

local function dnd_info(v, name)
  if type(v) ~= "table" or next(v) == nil then
    raise("%s: expected a table of windows per day, e.g. {mon = {\"21:00\", \"06:00\"}, weekend = {...}}, got %s",
      name, v == nil and "nothing" or show(v))
  end
  local info, from_key = {}, {}
  -- Sorted so that a day given twice is reported the same way on every run.
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local kname = name .. "[" .. show(k) .. "]"
    local days = type(k) == "string" and input.day_groups[k:lower()] or { input.day(k, kname) }
    local w = window(v[k], kname)
    for _, d in ipairs(days) do
      if from_key[d] then
        raise("%s: %s gets two windows (keys %s and %s); the API allows one window per day",
          name, input.day_abbr[d], show(from_key[d]), show(k))
      end
      from_key[d] = k
      info[string.format("%d", d)] = { w[1], w[2] }
    end
  end
  return info
end

--- `dnd`: {message_state, dnd_timezone, dnd_info} with days keyed "1".."7".
function build.dnd(t, what)
  what = what or ""
  if type(t) ~= "table" then
    raise("%sexpected a table {state = \"delay\"|\"discard\", timezone = \"user\"|\"account\", "
      .. "windows = {...}}, got %s", lead(what), show(t))
  end
  local o, list, given = input.options(t, dnd_names, what)
  if next(list) then
    raise("%sunexpected list entries; windows go in windows = {mon = {\"21:00\", \"06:00\"}}", lead(what))
  end
  local out = {}
  if type(o.message_state) == "number" then
    raise("%s: expected \"delay\" or \"discard\", got %s (the reference types this Integer but documents "
      .. "only the two strings)", field(what, given.message_state), show(o.message_state))
  end
  -- The reference's default (discard) is written out: the reference also
  -- lists the field as required when DND applies.
  out.message_state = o.message_state == nil and "discard"
    or input.enum(o.message_state, field(what, given.message_state), { "delay", "discard" })
  if o.dnd_timezone == nil then raise("%stimezone is required (\"user\" or \"account\")", lead(what)) end
  out.dnd_timezone = input.enum(o.dnd_timezone, field(what, given.dnd_timezone), { "user", "account" })
  out.dnd_info = dnd_info(o.dnd_info, field(what, given.dnd_info or "windows"))
  return out
end

local common_names = {
  delivery_timezone = "delivery_timezone",
  user_timezone_wrap_around = "user_timezone_wrap_around", wrap_around = "user_timezone_wrap_around",
  dnd = "dnd",
  campaign_cutoff = "campaign_cutoff", cutoff = "campaign_cutoff",
  account_timezone = "account_timezone",
  type = "type",
}

local function names_with(extra)
  local n = {}
  for k, v in pairs(common_names) do n[k] = v end
  for k, v in pairs(extra or {}) do n[k] = v end
  return n
end

-- Members every object form shares, copied to `out` in the API's spelling.
local function common(o, given, out, what)
  if o.delivery_timezone ~= nil then
    out.delivery_timezone = input.enum(o.delivery_timezone, field(what, "delivery_timezone"), { "user", "account" })
  end
  if o.user_timezone_wrap_around ~= nil then
    out.user_timezone_wrap_around = input.boolean(o.user_timezone_wrap_around,
      field(what, given.user_timezone_wrap_around))
  end
  if o.dnd ~= nil then out.dnd = build.dnd(o.dnd, field(what, "dnd")) end
  if o.campaign_cutoff ~= nil then
    out.campaign_cutoff = input.time(o.campaign_cutoff, field(what, given.campaign_cutoff))
  end
  return out
end

local function check_type(o, expected, what)
  if o.type ~= nil and o.type ~= expected then
    raise("%s: expected %s here, got %s", field(what, "type"), show(expected), show(o.type))
  end
end

local function options_table(t, what)
  if type(t) ~= "table" then raise("%sexpected an options table, got %s", lead(what), show(t)) end
end

local function no_list(list, what, hint)
  if next(list) then raise("%sunexpected list entries (%s)", lead(what), hint) end
end

--- "now", or {type = "now", ...} when delivery options are given.
function build.now(t, what)
  what = what or ""
  if t == nil then return "now" end
  options_table(t, what)
  local o, list, given = input.options(t, names_with(), what)
  no_list(list, what, "now takes only options")
  check_type(o, "now", what)
  local out = common(o, given, { type = "now" }, what)
  if next(out, nil) == "type" and next(out, "type") == nil then return "now" end
  return out
end

--- "YYYYMMDD HH:MM", or a "later" object with that one time when delivery
-- options are given.
function build.at(v, t, what)
  what = what or ""
  if t ~= nil then options_table(t, what) end
  local o, list, given = input.options(t or {}, names_with(), what)
  no_list(list, what, "the time is the first argument, options the second")
  check_type(o, "later", what)
  local clock = clock_for(o.account_timezone, what)
  local s = input.format_instant(input.instant(v, what == "" and "time" or what, clock))
  local out = common(o, given, { type = "later" }, what)
  if next(out, nil) == "type" and next(out, "type") == nil then return s end
  out.delivery_date_time = { s }
  return out
end

--- {type = "later", delivery_date_time = {...}, ...}: times strictly increasing.
-- `extra` (when.later(times, options), like when.at(time, options)) holds
-- options kept apart from the list of times.
function build.later(t, what, extra)
  what = what or ""
  options_table(t, what)
  if extra ~= nil then
    options_table(extra, what)
    local merged = {}
    for k, v in pairs(t) do merged[k] = v end
    for k, v in pairs(extra) do
      if type(k) == "number" then raise("%sthe times go in the first argument, options in the second", lead(what)) end
      if merged[k] ~= nil then raise("%s%s is given twice", lead(what), show(k)) end
      merged[k] = v
    end
    t = merged
  end
  local o, list, given = input.options(t, names_with {
    delivery_date_time = "delivery_date_time", times = "delivery_date_time",
  }, what)
  check_type(o, "later", what)
  local times, tname = list, (what == "" and "times" or what)
  if o.delivery_date_time ~= nil then
    tname = field(what, given.delivery_date_time)
    if #list > 0 then raise("%sgive the times either as list entries or as %s, not both", lead(what), tname) end
    times = o.delivery_date_time
    if type(times) ~= "table" then raise("%s: expected a list of times, got %s", tname, show(times)) end
  end
  if #times == 0 then
    raise("%sexpected at least one delivery time (e.g. when.later{\"20350420 13:00\", \"20350421 14:00\"})",
      lead(what))
  end
  local clock = clock_for(o.account_timezone, what)
  local out, prev = {}, nil
  for i, v in ipairs(times) do
    local s = input.format_instant(input.instant(v, string.format("%s[%d]", tname, i), clock))
    if prev and s <= prev then
      raise("%s[%d]: %s is not after the time before it (%s); the API takes delivery times in increasing order only",
        tname, i, s, prev)
    end
    out[i], prev = s, s
  end
  return common(o, given, { type = "later", delivery_date_time = out }, what)
end

local recurring_names = {
  repeats_every = "repeats_every", every = "repeats_every",
  repeat_type = "repeat_type",
  repeat_on_days_of_week = "repeat_on_days_of_week", days = "repeat_on_days_of_week",
  start_time = "start_time", start = "start_time",
  end_by_date = "end_by_date", end_date = "end_by_date",
  end_by_occurrences = "end_by_occurrences", occurrences = "end_by_occurrences",
}

--- {type = "recurring", ...}. `fixed_type` is set by daily/weekly.
function build.recurring(t, what, fixed_type)
  what = what or ""
  options_table(t, what)
  local o, list, given = input.options(t, names_with(recurring_names), what)
  no_list(list, what, "days of week go in days = {...}")
  check_type(o, "recurring", what)
  local clock = clock_for(o.account_timezone, what)
  local out = { type = "recurring" }

  local rt = o.repeat_type
  if fixed_type then
    if rt ~= nil and rt ~= fixed_type then
      raise("%s: is %q here, got %s", field(what, "repeat_type"), fixed_type, show(rt))
    end
    rt = fixed_type
  elseif rt == nil then
    raise("%srepeat_type is required (\"day\" or \"week\"; when.daily and when.weekly set it)", lead(what))
  end
  out.repeat_type = input.enum(rt, field(what, "repeat_type"), { "day", "week" })

  out.repeats_every = o.repeats_every == nil and 1
    or input.integer(o.repeats_every, field(what, given.repeats_every), 1)

  if o.start_time == nil then
    raise("%sstart_time is required (the first date and time, \"YYYYMMDD HH:MM\" or os.time())", lead(what))
  end
  local start = input.instant(o.start_time, field(what, given.start_time), clock)
  out.start_time = input.format_instant(start)

  if out.repeat_type == "week" then
    if o.repeat_on_days_of_week == nil then
      raise("%sdays are required when repeating by week (e.g. days = {\"mon\", \"thu\"})", lead(what))
    end
    out.repeat_on_days_of_week = input.days(o.repeat_on_days_of_week, field(what, given.repeat_on_days_of_week))
  elseif o.repeat_on_days_of_week ~= nil then
    raise("%s: applies only when repeating by week (repeat_type \"week\")", field(what, given.repeat_on_days_of_week))
  end

  if o.end_by_date ~= nil and o.end_by_occurrences ~= nil then
    raise("%sgive either %s or %s, not both (the API takes one end condition)",
      lead(what), given.end_by_date, given.end_by_occurrences)
  end
  if o.end_by_date ~= nil then
    local name = field(what, given.end_by_date)
    local d = input.date(o.end_by_date, name, clock)
    if civil.days(d.year, d.month, d.day) < civil.days(start.year, start.month, start.day) then
      raise("%s: %s is before the start date %s", name, input.format_date(d), input.format_date(start))
    end
    out.end_by_date = input.format_date(d)
  end
  if o.end_by_occurrences ~= nil then
    out.end_by_occurrences = input.integer(o.end_by_occurrences, field(what, given.end_by_occurrences), 1)
  end
  return common(o, given, out, what)
end

--- Read an API `when` value (as hand-written or decoded from JSON) through
-- the builders: returns it in the builders' exact form, raising on mistakes.
function build.normalize(w)
  if type(w) == "string" then
    if w == "now" then return "now" end
    return build.at(w, nil, "when")
  end
  if type(w) ~= "table" then raise("when: expected \"now\", \"YYYYMMDD HH:MM\" or a table, got %s", show(w)) end
  if w.type == "now" then return build.now(w, "when") end
  if w.type == "later" then return build.later(w, "when") end
  if w.type == "recurring" then return build.recurring(w, "when") end
  raise("when.type: expected \"now\", \"later\" or \"recurring\", got %s", show(w.type))
end

return build
