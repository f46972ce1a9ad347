--- clevertap result ID: a completed campaign's statistics; exit 7 while the
-- campaign is still running, so a script can poll.
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local ids_arg = require "clevertap.cli.ids_arg"

local M = {}

function M.run(ctx, positional, o, result)
  local id, perr = ids_arg.parse(positional, "result")
  if not id then return exit.USAGE, perr end
  result.id = id
  local wait, interval = 0, 10
  if o.wait then
    wait = tonumber(o.wait)
    if not wait or wait < 0 then return exit.USAGE, "--wait expects seconds (a number >= 0), got '" .. o.wait .. "'" end
  end
  if o.interval then
    interval = tonumber(o.interval)
    if not interval or interval <= 0 then
      return exit.USAGE, "--interval expects seconds (a number > 0), got '" .. o.interval .. "'"
    end
  end
  local client, ccode = ctx:client(nil, result)
  if not client then return ccode end
  local core = require "clevertap.core"
  local deadline = core.now() + wait
  local res, err = client:result(id)
  -- --wait: poll until the campaign completes or the time is up.
  while not res and type(err) == "table" and err.kind == "not_completed" and not ctx.dry_run do
    local left = deadline - core.now()
    if left <= 0 then break end
    core.sleep(math.min(interval, left))
    res, err = client:result(id)
  end
  if not res then
    if type(err) == "table" and err.kind == "not_completed" then
      result.completed = false
      return ctx:fail(exit.NOT_COMPLETED, "campaign " .. fmt.value(id) .. " has not completed yet", err, result)
    end
    return ctx:fail(exit.for_error(err), "no result for campaign " .. fmt.value(id), err, result)
  end
  result.response = res
  if ctx.dry_run then ctx:dry_summary(result); return exit.OK end
  result.completed = true
  result.result = res.result
  ctx:say("campaign %s: %s", fmt.value(id), fmt.counts(res.result))
  return exit.OK
end

return M
