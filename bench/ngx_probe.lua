--- The probe of bench/ngx_stall.sh: starts a send in nginx, then GETs /ping
-- every 20 ms on one keep-alive connection until the send is done; prints
-- the worst /ping response time and the send's figures, with the sustained
-- request rate the sandbox saw (its log's arrival times, the first third of
-- the send left out: the start-up burst of 50 ms worth of requests and the
-- ramp are not the steady state).
--   lua bench/ngx_probe.lua PORT N SANDBOX_ROOT
local socket = require "socket"
local http = require "socket.http"
local cjson = require "cjson"
local port, n, sandbox = tonumber(arg[1]), tonumber(arg[2]), arg[3]
local SEND_PATH = "/1/send/push.json"

local function sandbox_arrivals(since)
  local body, code = http.request(sandbox .. "/_sandbox/requests?path=" .. SEND_PATH .. "&since=" .. since)
  assert(code == 200, "sandbox requests: " .. tostring(code))
  local seq, times = since, {}
  for _, r in ipairs(cjson.decode(body)) do
    if r.seq > seq then seq = r.seq end
    times[#times + 1] = r.time
  end
  table.sort(times)
  return times, seq
end

local function sustained_rate(times)
  local first = math.floor(#times / 3) + 1
  if #times - first < 10 then return 0 end
  return (#times - first) / (times[#times] - times[first])
end

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

local _, since = sandbox_arrivals(0)
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
local rate = sustained_rate((sandbox_arrivals(since)))
print(("RESULT worst_ms=%.1f pings=%d sustained=%.1f %s"):format(worst * 1000, pings, rate,
  status:gsub("^done ", ""):gsub("\n", "")))
