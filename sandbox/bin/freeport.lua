--- Prints a free TCP port on 127.0.0.1: binds port 0, reads the port the
-- kernel chose, closes (nginx cannot listen on port 0 itself).
-- With a PORT argument, checks that this port is free instead, so a taken
-- port fails at once rather than after nginx's five bind retries.
local socket = require "socket"

local want = tonumber(arg[1]) or 0
local s = assert(socket.tcp())
local ok, err = s:bind("127.0.0.1", want)
if not ok then
  io.stderr:write("port ", want, " on 127.0.0.1: ", tostring(err), " (Address already in use)\n")
  os.exit(1)
end
local _, port = s:getsockname()
s:close()
print(port)
