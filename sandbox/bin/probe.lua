--- Waits until the sandbox answers GET /_sandbox/health on 127.0.0.1:PORT.
-- Usage: probe.lua PORT [TIMEOUT_SECONDS]; exit 0 when it answers.
-- Uses luasocket, or LuaJIT's FFI where luasocket is missing.
local port = assert(tonumber(arg[1]), "usage: probe.lua PORT [TIMEOUT]")
local timeout = tonumber(arg[2]) or 10

-- CT_SANDBOX_FFI=1 forces the FFI path (how the specs exercise it).
local has_socket, socket = false, nil
if not os.getenv("CT_SANDBOX_FFI") then has_socket, socket = pcall(require, "socket") end
local try, sleep
if has_socket then
  try = function()
    local c = socket.tcp()
    c:settimeout(1)
    if not c:connect("127.0.0.1", port) then c:close(); return false end
    c:send("GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    local line = c:receive("*l")
    c:close()
    return line ~= nil and line:match("^HTTP/1%.%d 200") ~= nil
  end
  sleep = socket.sleep
else
  local here = arg[0]:match("^(.*)/[^/]*$") or "."
  local net = dofile(here .. "/ffinet.lua")
  try = function() return net.http_ok(port, "/_sandbox/health") end
  sleep = net.sleep
end

local step = 0.05
for _ = 1, math.ceil(timeout / step) do
  if try() then os.exit(0) end
  sleep(step)
end
io.stderr:write("sandbox did not answer on port ", port, "\n")
os.exit(1)
