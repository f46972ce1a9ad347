--- clevertap create FILE: every campaign in FILE, in order, after all of
-- them validated; the first refusal stops the rest (they are listed).
local checks = require "clevertap.cli.checks"
local exit = require "clevertap.cli.exit"
local json = require "clevertap.cli.json"
local fmt = require "clevertap.cli.fmt"

local M = {}

--- Shared by create and estimate: call(client, payload) for each item.
-- on_ok(item, response, entry) prints and fills the JSON entry.
-- extra: client options (create's state database).
function M.each(ctx, files, result, what, call, on_ok, extra)
  if #files ~= 1 then return exit.USAGE, what .. " needs exactly one campaign file" end
  local path = files[1]
  local items, code = checks.load_for_sending(ctx, path, "targets/create", result)
  if not items then return code end
  if type(extra) == "function" then
    local ecode
    extra, ecode = extra()
    if not extra then return ecode end
  end
  local client, ccode = ctx:client(extra, result)
  if not client then return ccode end
  result.campaigns = json.array()
  for i, item in ipairs(items) do
    local entry = { file = item.label, index = item.index, name = item.payload.name }
    result.campaigns[i] = entry
    local res, err = call(client, item.payload)
    if not res then
      entry.error = ctx.error_table(err)
      for j = i + 1, #items do
        result.campaigns[j] = { file = items[j].label, index = j, name = items[j].payload.name, skipped = true }
      end
      local rest = #items - i
      return ctx:fail(exit.for_error(err), item.label .. ": " .. what .. " failed"
        .. (rest > 0 and string.format(" (%d later campaign%s not attempted)", rest, rest == 1 and "" or "s") or ""),
        err, result)
    end
    entry.response = res
    if not ctx.dry_run then on_ok(item, res, entry) end
  end
  if ctx.dry_run then ctx:dry_summary(result) end
  return exit.OK
end

-- The account's state database, where each create is recorded (none in a
-- dry run: nothing is created). nil and the exit code when it cannot be made.
local function state_option(ctx, result)
  if ctx.dry_run then return {} end
  local s = ctx:settings()
  if not (s and s.account_id) then return {} end -- ctx:client says what is missing
  local path, err = require("clevertap.cli.state").creates_db(s.account_id)
  if not path then
    return nil, ctx:fail(exit.FAILURE, "cannot record creates: " .. err .. "; nothing was sent", nil, result)
  end
  return { state = path }
end

function M.run(ctx, files, o, result)
  local force = o.force or nil
  return M.each(ctx, files, result, "create",
    function(client, payload) return client:create_campaign(payload, { force = force }) end,
    function(item, res, entry)
      entry.id = res.id
      if res.already then
        entry.already = true
        ctx:say("%s: already created: %s%s (--force creates it again)", item.label, fmt.value(res.id),
          type(item.payload.name) == "string" and string.format(" (%q)", item.payload.name) or "")
        return
      end
      if res.id == nil then
        -- estimate_only = true in the file: the API estimated, created nothing.
        ctx:say("%s: not created (estimate_only is set): estimated %s", item.label, fmt.counts(res.estimates))
        return
      end
      local extra = type(res.estimates) == "table" and next(res.estimates) ~= nil
        and ("; estimates: " .. fmt.counts(res.estimates)) or ""
      ctx:say("%s: created campaign %s%s%s", item.label, fmt.value(res.id),
        type(item.payload.name) == "string" and string.format(" (%q)", item.payload.name) or "", extra)
    end,
    function() return state_option(ctx, result) end)
end

return M
