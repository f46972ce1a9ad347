--- clevertap preview FILE: what each table in FILE would send and when,
-- without the network: validation, the exact JSON body, and the schedule's
-- concrete instants from clevertap.when.preview.
local checks = require "clevertap.cli.checks"
local campaigns = require "clevertap.cli.campaigns"
local exit = require "clevertap.cli.exit"
local json = require "clevertap.cli.json"

local M = {}

local function indent(text, prefix)
  return (prefix .. tostring(text):gsub("\n$", ""):gsub("\n", "\n" .. prefix))
end

local function occurrences_json(list)
  local out = json.array()
  for i, occ in ipairs(list or {}) do
    local copy = {}
    for k, v in pairs(occ) do copy[k] = v end
    if type(copy.reasons) == "table" then copy.reasons = json.array(copy.reasons) end
    out[i] = copy
  end
  return out
end

-- The schedule part: instants for a campaign's `when`; a Bulletin's `when`
-- is the event time ("now" or epoch seconds), not a schedule.
local function schedule(ctx, entry, payload, popts, calendar)
  local w = payload.when
  if w == nil then return end
  if entry.endpoint == "targets/trigger" then
    entry.when = w
    -- "now", or UNIX seconds as a number or a string of digits.
    local epoch = (type(w) == "number" or (type(w) == "string" and w:match("^%d+$"))) and tonumber(w)
    ctx:say("  when:     %s",
      epoch and (tostring(w) .. " = " .. os.date("!%Y-%m-%d %H:%M:%S UTC", epoch)) or tostring(w))
    return
  end
  local when = require("clevertap").when
  local ok, occ, err = pcall(when.preview, w, popts)
  if not ok then occ, err = nil, occ end
  if not occ then
    -- a raise is a string; a runtime failure a clevertap.error
    local why = type(err) == "table" and err.message or tostring(err)
    entry.schedule_error = why
    ctx:say("  schedule: cannot preview: %s", why)
    return false
  end
  -- Every slot examined, sent or dropped (each with its status and reasons):
  -- a preview is for seeing what DND or the cutoff would drop too.
  local all = occ.slots or occ
  entry.occurrences = occurrences_json(all)
  entry.sends = #occ
  for _, n in ipairs(occ.notes or {}) do ctx:say("  note:     %s", n) end
  if #all == 0 then
    ctx:say("  schedule: no send instants")
  else
    ctx:say("  schedule (first %d slot%s):", #all, #all == 1 and "" or "s")
    ctx:say("%s", indent(when.format(occ), "    "))
    if #occ < #all then ctx:say("  %d send%s, %d dropped", #occ, #occ == 1 and "" or "s", #all - #occ) end
  end
  if calendar then
    -- Enough slots to fill the weeks shown (an hourly schedule has 168 a week).
    local copts = { now = popts.now, timezone = popts.timezone, user_timezone = popts.user_timezone,
                    count = math.min(100000, 24 * 7 * calendar.weeks + 10) }
    local cocc = when.preview(w, copts)
    local zone = require("clevertap.when.tz").get(popts.user_timezone or popts.timezone or "UTC")
    local cal = require "clevertap.cli.calendar"
    local dnd = type(w) == "table" and type(w.dnd) == "table" and w.dnd or nil
    ctx:say("")
    ctx:say("%s", indent(cal.render(cocc and (cocc.slots or cocc) or {}, {
      zone = zone, now = popts.now, weeks = calendar.weeks, utf8 = cal.utf8_locale(),
      dnd_info = dnd and dnd.dnd_info, cutoff = type(w) == "table" and w.campaign_cutoff or nil,
    }), "  "))
  end
  return true
end

function M.run(ctx, files, o, result)
  if #files ~= 1 then return exit.USAGE, "preview needs exactly one campaign file" end
  local now, uerr = checks.parse_check_options(o)
  if uerr then return exit.USAGE, uerr end
  local count = 10
  if o.count then
    if not o.count:match("^%d+$") or tonumber(o.count) < 1 then
      return exit.USAGE, "--count expects a positive whole number, got '" .. o.count .. "'"
    end
    count = tonumber(o.count)
  end
  local weeks = 5
  if o.weeks then
    if not o.calendar then return exit.USAGE, "--weeks needs --calendar" end
    if not o.weeks:match("^%d+$") or tonumber(o.weeks) < 1 or tonumber(o.weeks) > 52 then
      return exit.USAGE, "--weeks expects a whole number from 1 to 52, got '" .. o.weeks .. "'"
    end
    weeks = tonumber(o.weeks)
  end
  local popts = { now = now or os.time(), count = count, timezone = o.timezone,
                  user_timezone = o["user-timezone"] }
  local calendar = o.calendar and { weeks = weeks }

  local items, lerr = campaigns.load(files[1], ctx.vars)
  if not items then return ctx:fail(exit.INVALID, lerr, nil, result) end
  local clevertap = require "clevertap"
  local code = exit.OK
  result.campaigns = json.array()
  for i, item in ipairs(items) do
    local rep = checks.check(item, o.endpoint, now and { now = now } or nil)
    result.campaigns[i] = rep
    local p = item.payload
    ctx:say("%s: %s%s%s", item.label, rep.endpoint or "send/?",
      type(p.name) == "string" and string.format(" %q", p.name) or "",
      type(p.target_mode) == "string" and (" via " .. p.target_mode) or "")
    if p.estimate_only == true then
      ctx:say("  note:     estimate_only is true: create only estimates, it creates nothing")
    end
    if not rep.valid then code = exit.INVALID end
    checks.print_problems(ctx, rep)
    if rep.valid then
      -- A message for `send` has no `to` (identities come from --ids): its
      -- body is the shared part every batch carries after its "to".
      local eopts = { now = now }
      local message = rep.endpoint:match("^send/") and p.to == nil
      if message then eopts.without = "to" end
      local body, eerr = clevertap.encode(rep.endpoint, p, eopts)
      rep.body = body
      if body then
        local shown = body
        -- --pretty: indented, each line under the "body:" column.
        if o.pretty then shown = require("clevertap.cli.json").pretty(body):gsub("\n", "\n            ") end
        ctx:say("  body:     %s%s", shown, message and "  (plus \"to\" per batch of up to 1000 identities)" or "")
      else
        ctx:say("  body:     cannot encode: %s", tostring(eerr))
        code = exit.INVALID
      end
    end
    if schedule(ctx, rep, p, popts, calendar) == false then code = exit.INVALID end
  end
  return code
end

return M
