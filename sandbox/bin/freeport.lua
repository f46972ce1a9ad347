--- Prints a free TCP port on 127.0.0.1: binds port 0, reads the port the
-- kernel chose, closes. nginx cannot listen on port 0 itself.
local socket = require "socket"

local s = assert(socket.tcp())
assert(s:bind("127.0.0.1", 0))
local _, port = s:getsockname()
s:close()
print(port)
