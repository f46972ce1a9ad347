--- "Did you mean ...": the known name closest to a mistyped one.
local M = {}

--- Levenshtein distance between two strings (bytes).
function M.distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

--- The key of `known` closest to `name`, or nil when none is within `max`
-- edits. Ties go to the alphabetically first, so hints are stable.
-- opts.ignore_case compares `name` lowercased; opts.prefixes counts a
-- shortened or lengthened name ("pass" for "password") as 2 edits away.
function M.closest(name, known, max, opts)
  if type(name) ~= "string" then return nil end
  opts = opts or {}
  local a = opts.ignore_case and name:lower() or name
  local best, best_d
  for k in pairs(known) do
    if type(k) == "string" then
      local d = M.distance(a, k)
      if opts.prefixes and #a >= 3 and (k:sub(1, #a) == a or a:sub(1, #k) == k) then d = math.min(d, 2) end
      if d <= max and (not best_d or d < best_d or (d == best_d and k < best)) then best, best_d = k, d end
    end
  end
  return best
end

return M
