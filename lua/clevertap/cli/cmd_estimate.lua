--- clevertap estimate FILE: estimated reach, creates nothing.
local fmt = require "clevertap.cli.fmt"
local create = require "clevertap.cli.cmd_create"

local M = {}

local function total(estimates)
  local n = 0
  for _, v in pairs(estimates or {}) do if type(v) == "number" then n = n + v end end
  return n
end

function M.run(ctx, files, _, result)
  return create.each(ctx, files, result, "estimate",
    function(client, payload) return client:estimate(payload) end,
    function(item, res, entry)
      entry.estimates = res.estimates
      entry.total = total(res.estimates)
      ctx:say("%s: estimated reach %s (%s)%s", item.label, fmt.thousands(entry.total),
        fmt.counts(res.estimates),
        type(item.payload.name) == "string" and string.format(" for %q", item.payload.name) or "")
    end)
end

return M
