--- clevertap report JOURNAL [--json] [--csv KIND]: what a journaled send
-- did, read from its journal without resuming it (any process, any time,
-- even while the send runs).
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local journals = require "clevertap.cli.journals"

local M = {}

local CSV_KINDS = { failed = true, unknown = true, not_sent = true }

local function csv_field(v)
  if v == nil then return "" end
  local s = tostring(v)
  if s:find('[,"\r\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

function M.run(ctx, positional, o, result)
  if #positional ~= 1 then return exit.USAGE, "report needs one JOURNAL (a path or a send id)" end
  if o.csv and not CSV_KINDS[o.csv] then
    return exit.USAGE, "--csv expects failed, unknown or not_sent, got '" .. tostring(o.csv) .. "'"
  end
  if o.csv and o.json then return exit.USAGE, "--csv and --json contradict each other: give one" end
  local s = ctx:settings()
  local path, perr = journals.resolve(positional[1], s and s.account_id)
  if not path then return ctx:fail(exit.INVALID, perr, nil, result) end
  local sm, err = journals.summary(path)
  if not sm then return ctx:fail(exit.INVALID, err, nil, result) end
  if o.csv then
    ctx.stdout:write("type,identity,outcome,error_kind,message\n")
    journals.each_identity(path, o.csv, function(ty, v, kind, message)
      ctx.stdout:write(csv_field(ty), ",", csv_field(v), ",", o.csv, ",", csv_field(kind), ",",
        csv_field(message), "\n")
    end)
    ctx.json = false -- the CSV is the output
    return exit.OK
  end
  for _, k in ipairs { "accepted", "failed", "unknown", "not_sent", "requests", "state", "in_flight", "channel",
                       "started_at", "total" } do
    result[k] = sm[k]
  end
  result.journal = path
  ctx:say("%s: a send of %son %s: %s accepted, %s failed, %s unknown, %s not sent%s, %s; %s", path,
    sm.total and (fmt.identities(sm.total) .. " ") or "", tostring(sm.channel or "?"),
    fmt.thousands(sm.accepted), fmt.thousands(sm.failed), fmt.thousands(sm.unknown), fmt.thousands(sm.not_sent),
    sm.in_flight and (", " .. fmt.thousands(sm.in_flight) .. " in flight") or "",
    fmt.plural(sm.requests, "request"), sm.state)
  return exit.OK
end

return M
