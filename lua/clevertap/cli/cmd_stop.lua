--- clevertap stop ID: stop a scheduled campaign.
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local ids_arg = require "clevertap.cli.ids_arg"

local M = {}

function M.run(ctx, positional, _, result)
  local id, perr = ids_arg.parse(positional, "stop")
  if not id then return exit.USAGE, perr end
  result.id = id
  local client, ccode = ctx:client(nil, result)
  if not client then return ccode end
  local res, err = client:stop(id)
  if not res then
    return ctx:fail(exit.for_error(err), "campaign " .. fmt.value(id) .. " not stopped", err, result)
  end
  result.response = res
  if ctx.dry_run then ctx:dry_summary(result) else ctx:say("stopped campaign %s", fmt.value(id)) end
  return exit.OK
end

return M
