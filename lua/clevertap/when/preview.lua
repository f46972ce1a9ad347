--- when.preview: the concrete send instants of a schedule for one user,
-- with wrap-around, DND and campaign cutoff applied. The model (docs/when.md):
-- wall times in the schedule are on the account's clock; with
-- delivery_timezone "user" each user gets them on their own clock; DND
-- windows are on the clock dnd_timezone names; the cutoff is on the clock
-- the message is delivered by.
local build = require "clevertap.when.build"
local civil = require "clevertap.when.civil"
local dnd = require "clevertap.when.dnd"
local fail = require "clevertap.when.fail"
local options = require "clevertap.options"
local input = require "clevertap.when.input"
local slots = require "clevertap.when.slots"
local tz = require "clevertap.when.tz"

local preview = {}

local known = { now = true, timezone = true, user_timezone = true, count = true }

--- A message for a misuse of the arguments (wrong types, unknown options),
-- nil when they are fine.
function preview.misuse(w, opts)
  if type(w) ~= "string" and type(w) ~= "table" then
    return "when: expected a when value (string or table), got " .. type(w)
  end
  if opts == nil then return nil end
  if type(opts) ~= "table" then return "opts: expected a table, got " .. type(opts) end
  for k in pairs(opts) do
    if not known[k] then return options.unknown(k, known, "opts") end
  end
  -- Years 1000-9999: the range "YYYYMMDD" can write.
  if opts.now ~= nil and (type(opts.now) ~= "number" or not (opts.now >= -30610224000 and opts.now < 253402300800)) then
    return "opts.now: expected epoch seconds (a number in years 1000-9999), got " .. fail.show(opts.now)
  end
  for _, k in ipairs { "timezone", "user_timezone" } do
    if opts[k] ~= nil and type(opts[k]) ~= "string" then
      return string.format("opts.%s: expected a zone name such as \"Asia/Kolkata\" or \"+05:30\", got %s",
        k, fail.show(opts[k]))
    end
  end
  local c = opts.count
  if c ~= nil and (type(c) ~= "number" or c ~= math.floor(c) or c < 1 or c > 100000) then
    return "opts.count: expected an integer from 1 to 100000, got " .. fail.show(c)
  end
  return nil
end

local function clock(zone, t)
  local f = zone:fields(t)
  local abbr = f.abbr
  local off = tz.format_offset(f.offset)
  local shown = (abbr == off or abbr:match("^[+-]%d")) and off or (abbr .. " " .. off)
  return string.format("%s %04d-%02d-%02d %02d:%02d %s", input.day_abbr[f.wday], f.year, f.month, f.day,
    f.hour, f.min, shown)
end

local function utc(t)
  local f = civil.fields(t)
  return string.format("%04d-%02d-%02dT%02d:%02d:%02dZ", f.year, f.month, f.day, f.hour, f.min, f.sec)
end

local function note(e, code, fmt, ...)
  e.reasons[#e.reasons + 1] = { code = code, message = string.format(fmt, ...) }
end

-- The instant `zone`'s clock shows wall time f, with a reason when the
-- clock skips or repeats it that day.
local function resolve(e, zone, f)
  local t, kind = zone:to_utc(f)
  if kind == "gap" then
    note(e, "dst_gap", "%s does not exist in %s (clocks go forward); due at %s",
      slots.format(f), zone.name, clock(zone, t))
  elseif kind == "ambiguous" then
    note(e, "dst_repeat", "%s happens twice in %s (clocks go back); the first, %s, is used",
      slots.format(f), zone.name, clock(zone, t))
  end
  return t
end

-- The first time the clock of `zone` shows hh:mm at or after instant t.
local function cutoff_after(zone, t, mins)
  local f = zone:fields(t)
  local c = zone:to_utc(slots.on_day(f, mins))
  if c < t then c = zone:to_utc(slots.on_day(slots.next_day(f), mins)) end
  return c
end

local function finish(e, ctx, t)
  e.status = e.status or "send"
  if e.status == "send" then e.at = t end
  e.utc = utc(t)
  e.user_time = clock(ctx.user, t)
  e.account_time = clock(ctx.account, t)
  if #e.reasons > 0 then
    local m = {}
    for i, r in ipairs(e.reasons) do m[i] = r.message end
    e.reason = table.concat(m, "; ")
  end
  return e
end

local function drop(e, ctx, t, code, fmt, ...)
  note(e, code, fmt, ...)
  e.status = "dropped"
  return finish(e, ctx, t)
end

local function evaluate(n, slot, w, ctx)
  local e = { n = n, reasons = {}, delayed = false }
  local delivery = w.delivery_timezone == "user" and ctx.user or ctx.account
  local due
  if slot.now then
    e.slot, due = "now", ctx.now
  elseif delivery == ctx.account then
    e.slot = slots.format(slot)
    due = resolve(e, ctx.account, slot)
  else
    e.slot = slots.format(slot)
    local start = ctx.account:to_utc(slot)
    local hhmm = string.format("%02d:%02d", slot.hour, slot.min)
    due = ctx.user:to_utc(slot)
    if due >= start then
      due = resolve(e, ctx.user, slot)
    elseif w.user_timezone_wrap_around then
      due = resolve(e, ctx.user, slots.next_day(slot))
      note(e, "wrap_around", "the user's clock was past %s when the campaign started (%s); "
        .. "delivered the next day (user_timezone_wrap_around)", hhmm, clock(ctx.account, start))
    else
      e.due = due
      return drop(e, ctx, due, "wrap_around_drop", "the user's clock was past %s when the campaign started "
        .. "(%s); dropped (user_timezone_wrap_around is off)", hhmm, clock(ctx.account, start))
    end
  end
  e.due = due
  local at = due
  if w.dnd then
    local zone = w.dnd.dnd_timezone == "user" and ctx.user or ctx.account
    -- Windows can touch or overlap (Mon 21:00-06:00, Tue 05:00-09:00): keep
    -- delaying while the new instant is in a window. At most 7 windows, each
    -- shorter than a day, cannot cover a week, so the chain ends within 7.
    for _ = 1, 8 do
      local win = dnd.find(ctx.windows, zone, at)
      if not win then break end
      if w.dnd.message_state ~= "delay" then
        return drop(e, ctx, at, "dnd_discard", "inside DND %s %s (%s clock, %s); discarded",
          win.day, win.text, w.dnd.dnd_timezone, zone.name)
      end
      if win.ends <= at then break end
      note(e, "dnd_delay", "inside DND %s %s (%s clock, %s); delayed to %s",
        win.day, win.text, w.dnd.dnd_timezone, zone.name, clock(zone, win.ends))
      e.delayed, at = true, win.ends
    end
  end
  if w.campaign_cutoff then
    local h, m = w.campaign_cutoff:match("^(%d%d):(%d%d)$")
    local cut = cutoff_after(delivery, due, tonumber(h) * 60 + tonumber(m))
    if at > cut then
      return drop(e, ctx, at, "cutoff", "after the campaign cutoff %s (%s)", w.campaign_cutoff, clock(delivery, cut))
    end
  end
  return finish(e, ctx, at)
end

-- The API refuses dates in the past, so a preview of one says so.
local function check_future(w, ctx)
  local first
  if type(w) == "string" then
    first = w ~= "now" and w
  elseif w.type == "later" then
    first = w.delivery_date_time[1]
  elseif w.type == "recurring" then
    first = w.start_time
  end
  if not first then return true end
  local t = ctx.account:to_utc(slots.parse(first))
  if t < ctx.now then
    return nil, string.format("%s (%s) is in the past at now = %s; the API accepts future dates only",
      first, ctx.account.name, utc(ctx.now))
  end
  return true
end

-- The reference's own `when` example writes "message_state": 1 (typed
-- Integer, documented values "delay"/"discard"; docs/contract.md lists it
-- among the "Known contradictions in the API reference"). A preview of that
-- example reads 1 as "delay" (the non-default state: DND discards when
-- message_state is not given) and 0 as "discard", and says so; builders keep
-- refusing numbers.
local function integer_state(w)
  if type(w) ~= "table" or type(w.dnd) ~= "table" then return w end
  local st = w.dnd.message_state
  if st ~= 0 and st ~= 1 then return w end
  local copy, dcopy = {}, {}
  for k, v in pairs(w) do copy[k] = v end
  for k, v in pairs(w.dnd) do dcopy[k] = v end
  dcopy.message_state = st == 1 and "delay" or "discard"
  copy.dnd = dcopy
  return copy, string.format("dnd.message_state %d read as %q (the reference types it Integer but documents "
    .. "only \"delay\" and \"discard\")", st, dcopy.message_state)
end

-- Slots examined beyond `count` sends, so that a schedule DND or the cutoff
-- drops entirely still ends.
local function slot_limit(count)
  return count * 4 + 20
end

--- Run a preview; see when.preview. Arguments are already checked.
-- The result lists the sends (the instants the schedule produces, in slot
-- order, at most `count`); `.dropped` the slots dropped on the way (DND
-- discard, cutoff, wrap-around) and `.slots` every slot examined, in order.
function preview.run(w, opts)
  opts = opts or {}
  local state_note
  w, state_note = integer_state(w)
  local norm, err = fail.catch(build.normalize, w)
  if not norm then return nil, "invalid when: " .. err end
  local account, aerr = tz.get(opts.timezone or "UTC")
  if not account then return nil, "opts.timezone: " .. aerr end
  local user = account
  if opts.user_timezone then
    local uerr
    user, uerr = tz.get(opts.user_timezone)
    if not user then return nil, "opts.user_timezone: " .. uerr end
  end
  local ctx = { account = account, user = user, now = math.floor(opts.now or os.time()) }
  local ok, ferr = check_future(norm, ctx)
  if not ok then return nil, ferr end
  local settings = type(norm) == "table" and norm or {}
  if settings.dnd then ctx.windows = dnd.windows(settings.dnd.dnd_info) end
  local count = opts.count or 10
  local limit = slot_limit(count)
  local sends, dropped, all = {}, {}, {}
  for slot in slots.iterate(norm) do
    local e = evaluate(#all + 1, slot, settings, ctx)
    all[#all + 1] = e
    if e.status == "send" then sends[#sends + 1] = e else dropped[#dropped + 1] = e end
    if #sends >= count or #all >= limit then break end
  end
  sends.dropped, sends.slots = dropped, all
  sends.notes = { state_note }
  return sends
end

--- One line per occurrence, for people.
-- Every slot examined (sends and drops, in order) when given a preview's
-- result; any plain list of occurrences otherwise.
function preview.format(occ)
  local lines = {}
  for _, e in ipairs(occ.slots or occ) do
    lines[#lines + 1] = string.format("%3d  %-14s  %-7s  %s  user: %s%s", e.n, e.slot, e.status, e.utc,
      e.user_time, e.reason and ("  -- " .. e.reason) or "")
  end
  return table.concat(lines, "\n")
end

return preview
