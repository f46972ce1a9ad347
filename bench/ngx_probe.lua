--- The probe of bench/ngx_stall.sh: starts a send in nginx, then GETs /ping
-- every 20 ms on one keep-alive connection until the send is done; prints
-- the worst /ping response time and the send's figures.
--   lua bench/ngx_probe.lua PORT N
local socket = require "socket"
local port, n = tonumber(arg[1]), tonumber(arg[2])

local function get(c, path)
  assert(c:send("GET " .. path .. " HTTP/1.1\r\nHost: x\r\n\r\n"))
  local len, chunked
  while true do
    local line = assert(c:receive("*l"))
    if line == "" then break end
    len = tonumber(line:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")) or len
    chunked = chunked or line:lower():match("^transfer%-encoding:%s*chunked") ~= nil
  end
  if not chunked then return assert(c:receive(len)) end
  local parts = {}
  while true do
    local size = tonumber(assert(c:receive("*l")):match("^%x+"), 16)
    if size == 0 then
      assert(c:receive("*l"))
      return table.concat(parts)
    end
    parts[#parts + 1] = assert(c:receive(size))
    assert(c:receive("*l"))
  end
end

local c = assert(socket.connect("127.0.0.1", port))
c:settimeout(10)
get(c, "/ping")
get(c, "/send?n=" .. n)
local worst, pings, status = 0, 0
while true do
  local t0 = socket.gettime()
  get(c, "/ping")
  local dt = socket.gettime() - t0
  pings = pings + 1
  if dt > worst then worst = dt end
  if pings % 5 == 0 then
    status = get(c, "/status")
    if status:match("^done") then break end
  end
  socket.sleep(0.02)
end
print(("RESULT worst_ms=%.1f pings=%d %s"):format(worst * 1000, pings, status:gsub("^done ", ""):gsub("\n", "")))
