--- Prints a free TCP port on 127.0.0.1: binds port 0, reads the port the
-- kernel chose, closes (nginx cannot listen on port 0 itself).
-- With a PORT argument, checks that this port is free instead, so a taken
-- port fails at once rather than after nginx's five bind retries.
-- Uses luasocket, or LuaJIT's FFI where luasocket is missing.
local want = tonumber(arg[1]) or 0

local function with_luasocket(socket)
  local s = assert(socket.tcp())
  if not s:bind("127.0.0.1", want) then return nil end
  local _, port = s:getsockname()
  s:close()
  return port
end

-- CT_SANDBOX_FFI=1 forces the FFI path (how the specs exercise it).
local has_socket, socket = false, nil
if not os.getenv("CT_SANDBOX_FFI") then has_socket, socket = pcall(require, "socket") end
local port
if has_socket then
  port = with_luasocket(socket)
else
  local here = arg[0]:match("^(.*)/[^/]*$") or "."
  port = dofile(here .. "/ffinet.lua").free_port(want)
end
if not port then
  io.stderr:write("port ", want, " on 127.0.0.1: Address already in use\n")
  os.exit(1)
end
print(port)
