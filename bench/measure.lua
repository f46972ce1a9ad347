--- What both sides of bench/send.sh share, so they measure the same way.
local M = {}

--- A field of /proc/self/status in kB (VmRSS, VmHWM), 0 when absent.
function M.status_kb(field)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. field .. ":%s*(%d+)")
    if v then return tonumber(v) end
  end
  return 0
end

--- N identities of the same size on both sides, and the RSS once they exist
-- (memory is reported above it).
function M.identities(n)
  local ids = {}
  for i = 1, n do ids[i] = ("bench-user-%07d-0123456789abcdef"):format(i) end
  collectgarbage()
  return ids, M.status_kb("VmRSS")
end

return M
