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

-- The campaigns as aligned columns: id and name first, then every other
-- key the API returned (sorted), a header row, each column as wide as its
-- widest cell (in characters, so names with accents line up).
local function width(s)
  local n = 0
  for _ in s:gmatch("[^\128-\191]") do n = n + 1 end
  return n
end

local function columns(targets)
  local keys, seen = { "id", "name" }, { id = true, name = true }
  local extra = {}
  for _, c in ipairs(targets) do
    if type(c) == "table" then
      for k in pairs(c) do
        if not seen[k] then seen[k] = true; extra[#extra + 1] = tostring(k) end
      end
    end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do keys[#keys + 1] = k end
  local rows = { {} }
  for i, k in ipairs(keys) do rows[1][i] = k:upper() end
  for _, c in ipairs(targets) do
    local row = {}
    for i, k in ipairs(keys) do
      local v = type(c) == "table" and c[k] or (k == "id" and c or nil)
      row[i] = v == nil and "" or fmt.value(v):gsub("[\r\n\t]", " ")
    end
    rows[#rows + 1] = row
  end
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do widths[i] = math.max(widths[i] or 0, width(cell)) end
  end
  local lines = {}
  for r, row in ipairs(rows) do
    local parts = {}
    for i, cell in ipairs(row) do
      parts[i] = i < #row and (cell .. string.rep(" ", widths[i] - width(cell))) or cell
    end
    lines[r] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return lines
end
M.columns = columns

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
  if #targets > 0 then
    for _, line in ipairs(columns(targets)) do ctx:say("  %s", line) end
  end
  return exit.OK
end

return M
