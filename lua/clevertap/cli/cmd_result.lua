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
  -- --watch: no deadline of its own (--wait still bounds it).
  local deadline = (o.watch and not o.wait) and math.huge or core.now() + wait
  local res, err = client:result(id)
  -- --watch prints a line whenever the status changes (not completed, a
  -- network failure, completed), with the time, so a terminal shows progress.
  local last
  local function watch_line(text)
    if not o.watch or text == last then return end
    last = text
    ctx:say("%s campaign %s: %s", os.date("%H:%M:%S"), fmt.value(id), text)
  end
  local function status_of(r, e)
    if r then return "completed" end
    if type(e) == "table" and e.kind == "not_completed" then
      return "not completed yet (" .. tostring(e.message) .. ")"
    end
    return "no answer: " .. tostring(e)
  end
  watch_line(status_of(res, err))
  -- --wait/--watch: poll until the campaign completes or the time is up.
  -- Watching, a network failure is one more status to show, not the end.
  local function keep_polling(e)
    if type(e) ~= "table" then return false end
    if e.kind == "not_completed" then return true end
    return o.watch and (e.kind == "network" or e.kind == "timeout" or e.kind == "rate_limited")
  end
  while not res and keep_polling(err) and not ctx.dry_run do
    local left = deadline - core.now()
    if left <= 0 then break end
    core.sleep(math.min(interval, left))
    res, err = client:result(id)
    watch_line(status_of(res, err))
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
