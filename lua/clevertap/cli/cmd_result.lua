--- clevertap result ID: a completed campaign's statistics; exit 7 while the
-- campaign is still running, so a script can poll.
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local ids_arg = require "clevertap.cli.ids_arg"

local M = {}

function M.run(ctx, positional, _, result)
  local id, perr = ids_arg.parse(positional, "result")
  if not id then return exit.USAGE, perr end
  result.id = id
  local client, ccode = ctx:client(nil, result)
  if not client then return ccode end
  local res, err = client:result(id)
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
