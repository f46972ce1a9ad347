--- clevertap validate FILE...: every problem of every table, no network.
local checks = require "clevertap.cli.checks"
local exit = require "clevertap.cli.exit"
local json = require "clevertap.cli.json"

local M = {}

function M.run(ctx, files, o, result)
  if #files == 0 then return exit.USAGE, "validate needs at least one campaign file" end
  local now, uerr = checks.parse_check_options(o)
  if uerr then return exit.USAGE, uerr end
  local vopts = now and { now = now } or nil

  local code = exit.OK
  result.files = json.array()
  for _, path in ipairs(files) do
    local items, reports = checks.load_valid(path, o.endpoint, vopts, ctx.vars)
    local entry = { file = path, campaigns = json.array() }
    result.files[#result.files + 1] = entry
    if not items then
      entry.error = reports
      ctx:say("%s", reports)
      code = exit.INVALID
    else
      for i, rep in ipairs(reports) do
        entry.campaigns[i] = rep
        local failed = not rep.valid or (o.strict and #rep.warnings > 0)
        if failed then code = exit.INVALID end
        local what = rep.name and string.format(" (%s, %q)", rep.endpoint or "send/?", rep.name)
          or string.format(" (%s)", rep.endpoint or "send/?")
        if not rep.valid then
          ctx:say("%s: %d error%s%s", rep.file, #rep.errors, #rep.errors == 1 and "" or "s", what)
        elseif failed then
          ctx:say("%s: %d warning%s, failing with --strict%s", rep.file, #rep.warnings,
            #rep.warnings == 1 and "" or "s", what)
        else
          local nw = #rep.warnings
          ctx:say("%s: ok%s%s", rep.file, what,
            nw > 0 and string.format(", %d warning%s", nw, nw == 1 and "" or "s") or "")
        end
        checks.print_problems(ctx, rep)
      end
    end
  end
  return code
end

return M
