--- `clevertap send --report FILE`: what a send did, for the record. FILE
-- ending in .csv gets one row per identity that was not accepted (its type,
-- value, outcome and error); any other name gets one JSON document with every
-- count, the timings, and each failed or unknown batch's error and identities.
local json = require "clevertap.cli.json"

local M = {}

local TYPES = require("clevertap.cli.ids").TYPES

local function identities(to)
  local out = {}
  for _, ty in ipairs(TYPES) do
    local list = type(to) == "table" and to[ty]
    if list and #list > 0 then
      local copy = json.array()
      for i, v in ipairs(list) do copy[i] = v end
      out[ty] = copy
    end
  end
  return out
end

local function batches(entries, error_table)
  local out = json.array()
  for i, e in ipairs(entries or {}) do
    local n = 0
    for _, ty in ipairs(TYPES) do n = n + #((type(e.to) == "table" and e.to[ty]) or {}) end
    out[i] = { error = error_table(e.error), identities = identities(e.to), count = n }
  end
  return out
end

--- The JSON document: `result` is the command's --json result (counts),
-- `report` the client's send report, `timing` { started, finished, read, send }.
function M.document(result, report, timing, error_table)
  local doc = {}
  for _, k in ipairs({ "command", "channel", "file", "ids_file", "identities", "duplicates", "invalid_skipped",
                       "accepted", "failed", "unknown", "requests", "exit_code", "ok" }) do
    doc[k] = result[k]
  end
  doc.lines_read = timing.lines
  doc.started_at = os.date("!%Y-%m-%dT%H:%M:%SZ", timing.started_at)
  doc.finished_at = os.date("!%Y-%m-%dT%H:%M:%SZ", timing.finished_at)
  local function ms(x) return math.floor(x * 1000 + 0.5) / 1000 end
  doc.seconds = { read = ms(timing.read), send = ms(timing.send), total = ms(timing.read + timing.send) }
  doc.failed_batches = batches(report.failed, error_table)
  doc.unknown_batches = batches(report.unknown, error_table)
  return doc
end

local function csv_field(v)
  if v == nil then return "" end
  local s = type(v) == "number" and string.format("%.0f", v) or tostring(v)
  if s:find('[,"\r\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- Write the report; returns true or nil, message.
function M.write(f, path, doc)
  if path:lower():match("%.csv$") then
    f:write("type,identity,outcome,error_kind,status,code,message\n")
    for _, set in ipairs({ { doc.failed_batches, "failed" }, { doc.unknown_batches, "unknown" } }) do
      for _, b in ipairs(set[1]) do
        for _, ty in ipairs(TYPES) do
          for _, v in ipairs(b.identities[ty] or {}) do
            f:write(csv_field(ty), ",", csv_field(v), ",", set[2], ",", csv_field(b.error.kind), ",",
              csv_field(b.error.status), ",", csv_field(b.error.code), ",", csv_field(b.error.message), "\n")
          end
        end
      end
    end
  else
    f:write(json.pretty(json.encode(doc)), "\n")
  end
  local ok, err = f:close()
  if not ok then return nil, "cannot write --report file " .. path .. ": " .. tostring(err) end
  return true
end

return M
