--- clevertap list --from DATE [--to DATE]: campaigns created in a date range.
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local json = require "clevertap.cli.json"

local M = {}

--- YYYYMMDD (or YYYY-MM-DD) of a real calendar day, as the integer the API wants.
function M.parse_date(flag, s)
  local y, m, d = s:match("^(%d%d%d%d)%-?(%d%d)%-?(%d%d)$")
  if not y then return nil, "--" .. flag .. " expects a date as YYYYMMDD, got '" .. s .. "'" end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  local t = os.time({ year = y, month = m, day = d, hour = 12 })
  local back = os.date("*t", t)
  if m < 1 or m > 12 or d < 1 or back.year ~= y or back.month ~= m or back.day ~= d then
    return nil, "--" .. flag .. ": " .. s .. " is not a calendar date"
  end
  return y * 10000 + m * 100 + d
end

local function describe(c)
  if type(c) ~= "table" then return fmt.value(c) end
  local rest = {}
  for k, v in pairs(c) do
    if k ~= "id" and k ~= "name" then rest[k] = v end
  end
  local tail = next(rest) and ("  " .. fmt.value(rest)) or ""
  return string.format("%s  %s%s", fmt.value(c.id), c.name ~= nil and string.format("%q", tostring(c.name)) or "", tail)
end

function M.run(ctx, positional, o, result)
  if #positional > 0 then return exit.USAGE, "list takes no arguments, only --from and --to" end
  if not o.from then return exit.USAGE, "list needs --from YYYYMMDD" end
  local from, ferr = M.parse_date("from", o.from)
  if not from then return exit.USAGE, ferr end
  local to, terr = M.parse_date("to", o.to or os.date("%Y%m%d"))
  if not to then return exit.USAGE, terr end
  if to < from then return exit.USAGE, "--to (" .. to .. ") is before --from (" .. from .. ")" end
  result.from, result.to = from, to

  local client, ccode = ctx:client(nil, result)
  if not client then return ccode end
  local res, err = client:list{ from = from, to = to }
  if not res then return ctx:fail(exit.for_error(err), "list failed", err, result) end
  result.response = res
  if ctx.dry_run then ctx:dry_summary(result); return exit.OK end
  local targets = type(res.targets) == "table" and res.targets or {}
  result.campaigns = json.array(targets)
  ctx:say("%s between %d and %d", fmt.plural(#targets, "campaign"), from, to)
  for _, c in ipairs(targets) do ctx:say("  %s", describe(c)) end
  return exit.OK
end

return M
