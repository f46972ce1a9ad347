--- clevertap trigger FILE: raise each Bulletin (business event) in FILE.
local checks = require "clevertap.cli.checks"
local exit = require "clevertap.cli.exit"
local json = require "clevertap.cli.json"
local fmt = require "clevertap.cli.fmt"

local M = {}

function M.run(ctx, files, _, result)
  if #files ~= 1 then return exit.USAGE, "trigger needs exactly one Bulletin file" end
  local items, code = checks.load_for_sending(ctx, files[1], "targets/trigger", result)
  if not items then return code end
  local client, ccode = ctx:client(nil, result)
  if not client then return ccode end
  result.bulletins = json.array()
  for i, item in ipairs(items) do
    local p = item.payload
    local entry = { file = item.label, index = item.index, name = p.name, business_event = p.business_event }
    result.bulletins[i] = entry
    local res, err = client:trigger(p)
    if not res then
      entry.error = ctx.error_table(err)
      return ctx:fail(exit.for_error(err), item.label .. ": trigger failed", err, result)
    end
    entry.response = res
    entry.targets = res.targets
    if not ctx.dry_run then
      ctx:say("%s: raised %q (%s): %s", item.label, tostring(p.business_event), tostring(p.name),
        res.targets ~= nil and fmt.plural(res.targets, "target") or "accepted")
    end
  end
  if ctx.dry_run then ctx:dry_summary(result) end
  return exit.OK
end

return M
