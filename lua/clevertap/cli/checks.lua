--- Loading and validating campaign files, shared by every command that reads
-- one: nothing is sent unless every table in the file validates.
local campaigns = require "clevertap.cli.campaigns"
local json = require "clevertap.cli.json"
local errors = require "clevertap.error"

local M = {}

M.ENDPOINTS = {
  ["targets/create"] = true, ["targets/trigger"] = true,
  ["send/push"] = true, ["send/webpush"] = true, ["send/email"] = true, ["send/sms"] = true,
}

local function problems(list)
  local out = json.array()
  for i, p in ipairs(list or {}) do
    out[i] = { pointer = p.pointer, message = p.message, severity = p.severity }
  end
  return out
end

--- The options of the commands that only check (validate, preview):
-- --endpoint, one of ENDPOINTS, and --now EPOCH. Returns --now as a number
-- (nil when not given), or nil, a usage message.
function M.parse_check_options(o)
  if o.endpoint and not M.ENDPOINTS[o.endpoint] then
    return nil, "--endpoint must be one of targets/create, targets/trigger, send/push, "
      .. "send/webpush, send/email, send/sms; got '" .. o.endpoint .. "'"
  end
  local value = o.now
  if value == nil then return nil end
  if not tostring(value):match("^%d+$") then
    return nil, "--now expects epoch seconds (digits), got '" .. tostring(value) .. "'"
  end
  return tonumber(value)
end

--- Validate one loaded item against `endpoint` (nil: inferred). Fills and
-- returns a report { label, index, endpoint, name, valid, errors, warnings }.
function M.check(item, endpoint, vopts)
  local clevertap = require "clevertap"
  local rep = {
    file = item.label, index = item.index,
    name = type(item.payload.name) == "string" and item.payload.name or nil,
    errors = json.array(), warnings = json.array(),
  }
  local guessed = false
  if not endpoint then endpoint, guessed = campaigns.endpoint_of(item.payload) end
  rep.endpoint = endpoint
  if not endpoint then
    rep.valid = false
    rep.errors[1] = {
      pointer = "/to", severity = "error",
      message = "to: a table with 'to' is a send payload: say which channel with --endpoint "
        .. "send/push|send/webpush|send/email|send/sms",
    }
    return rep
  end
  local payload = item.payload
  if endpoint:match("^send/") and payload.to == nil then
    -- A message file for `clevertap send`: its identities come from --ids.
    payload = {}
    for k, v in pairs(item.payload) do payload[k] = v end
    payload.to = { Identity = { "placeholder" } }
    rep.note = "no 'to': checked as a message for clevertap send (identities from --ids)"
      .. (guessed and string.format("; %s from its content (--endpoint picks another channel)", endpoint) or "")
  end
  local ok, list = clevertap.validate(endpoint, payload, vopts)
  rep.valid = ok and true or false
  if ok then rep.warnings = problems(list) else
    for _, p in ipairs(problems(list)) do
      if p.severity == "warning" then rep.warnings[#rep.warnings + 1] = p
      else rep.errors[#rep.errors + 1] = p end
    end
  end
  return rep
end

--- Print a report's problems as text.
function M.print_problems(ctx, rep)
  if rep.note then ctx:say("  note    %s", rep.note) end
  -- The library's printing of a problem; the pointer follows for tools.
  for _, p in ipairs(rep.errors) do ctx:say("  %s (at %s)", errors.problem_line(p), p.pointer) end
  for _, p in ipairs(rep.warnings) do ctx:say("  %s (at %s)", errors.problem_line(p), p.pointer) end
end

--- Load `path` and validate every table in it for `endpoint` (nil: inferred
-- per table). Returns items, reports; or nil, load message.
function M.load_valid(path, endpoint, vopts, vars)
  local items, err = campaigns.load(path, vars)
  if not items then return nil, err end
  local reports, all_ok = {}, true
  for i, item in ipairs(items) do
    reports[i] = M.check(item, endpoint, vopts)
    if not reports[i].valid then all_ok = false end
  end
  return items, reports, all_ok
end

--- For commands that send: load, validate every table for `endpoint`, and on
-- any problem print it and return nil, exit code. On success returns the
-- items. `as_sent(payload)` (optional) gives the table to validate, for sends
-- whose identities are added later.
function M.load_for_sending(ctx, path, endpoint, result, as_sent)
  local exit = require "clevertap.cli.exit"
  local items, err = campaigns.load(path, ctx.vars)
  if not items then
    return nil, ctx:fail(exit.INVALID, err, nil, result)
  end
  local all_ok = true
  result.invalid = json.array()
  for _, item in ipairs(items) do
    local check = item
    if as_sent then
      check = { payload = as_sent(item.payload), label = item.label, index = item.index }
    end
    local rep = M.check(check, endpoint)
    local inferred = campaigns.endpoint_of(item.payload)
    if not rep.valid and inferred ~= endpoint and inferred ~= nil and not as_sent then
      table.insert(rep.errors, 1, { pointer = "", severity = "error",
        message = string.format("payload: this looks like a %s payload; this command sends %s", inferred, endpoint) })
    end
    if not rep.valid then
      all_ok = false
      result.invalid[#result.invalid + 1] = rep
      ctx:say("%s: invalid", rep.file)
      M.print_problems(ctx, rep)
    else
      for _, p in ipairs(rep.warnings) do ctx:note("%s: %s (at %s)", rep.file, errors.problem_line(p), p.pointer) end
    end
  end
  if not all_ok then
    return nil, ctx:fail(exit.INVALID, path .. ": does not validate; nothing was sent", nil, result)
  end
  result.invalid = nil
  return items
end

return M
