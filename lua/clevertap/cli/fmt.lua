--- Small text helpers for human output.
local M = {}

--- Integral numbers without ".0" (cjson decodes every number as a float on
-- Lua 5.4, and campaign ids must print as they were sent).
function M.value(v)
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return string.format("%.0f", v)
  end
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do
      parts[#parts + 1] = (type(k) == "number" and "" or (tostring(k) .. "=")) .. M.value(v[k])
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

--- "a 1, b 2" for a flat table of counts (estimates, statistics), sorted.
function M.counts(t)
  if type(t) ~= "table" then return M.value(t) end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. " " .. M.value(t[k]) end
  return #parts > 0 and table.concat(parts, ", ") or "(none)"
end

--- 50000 -> "50,000".
function M.thousands(n)
  local s = string.format("%.0f", n)
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

function M.plural(n, word)
  return string.format("%s %s%s", M.thousands(n), word, n == 1 and "" or "s")
end

function M.identities(n)
  return string.format("%s identit%s", M.thousands(n), n == 1 and "y" or "ies")
end

return M
