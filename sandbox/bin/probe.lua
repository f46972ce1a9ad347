--- Waits until the sandbox answers GET /_sandbox/health on 127.0.0.1:PORT.
-- Usage: probe.lua PORT [TIMEOUT_SECONDS]; exit 0 when it answers.
local socket = require "socket"

local port = assert(tonumber(arg[1]), "usage: probe.lua PORT [TIMEOUT]")
local deadline = socket.gettime() + (tonumber(arg[2]) or 10)

local function try()
  local c = socket.tcp()
  c:settimeout(1)
  if not c:connect("127.0.0.1", port) then c:close(); return false end
  c:send("GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
  local line = c:receive("*l")
  c:close()
  return line ~= nil and line:match("^HTTP/1%.%d 200") ~= nil
end

while socket.gettime() < deadline do
  if try() then os.exit(0) end
  socket.sleep(0.05)
end
io.stderr:write("sandbox did not answer on port ", port, "\n")
os.exit(1)
