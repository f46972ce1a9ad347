--- The two socket operations ctl needs, through LuaJIT's FFI, for machines
-- without luasocket (Debian's nginx + lua module do not pull it in).
-- Linux only: the constants are Linux's.
local ffi = require "ffi"

ffi.cdef [[
  struct ct_sockaddr_in { uint16_t family; uint16_t port; uint32_t addr; char zero[8]; };
  struct ct_timeval { long sec; long usec; };
  int socket(int domain, int type, int protocol);
  int bind(int fd, const void *addr, unsigned int len);
  int connect(int fd, const void *addr, unsigned int len);
  int getsockname(int fd, void *addr, unsigned int *len);
  int setsockopt(int fd, int level, int name, const void *val, unsigned int len);
  int close(int fd);
  long send(int fd, const void *buf, unsigned long n, int flags);
  long recv(int fd, void *buf, unsigned long n, int flags);
  uint16_t htons(uint16_t v);
  uint16_t ntohs(uint16_t v);
  uint32_t inet_addr(const char *cp);
  int usleep(unsigned int usec);
]]

local C = ffi.C
local AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVTIMEO, SO_SNDTIMEO = 2, 1, 1, 20, 21

local M = {}

local function sockaddr(port)
  local a = ffi.new("struct ct_sockaddr_in")
  a.family = AF_INET
  a.port = C.htons(port)
  a.addr = C.inet_addr("127.0.0.1")
  return a
end

--- The port bound on 127.0.0.1 (`want`, or one the kernel picks for 0), or nil.
function M.free_port(want)
  local fd = C.socket(AF_INET, SOCK_STREAM, 0)
  if fd < 0 then return nil end
  local a = sockaddr(want or 0)
  local size = ffi.sizeof(a)
  if C.bind(fd, a, size) ~= 0 then C.close(fd); return nil end
  local len = ffi.new("unsigned int[1]", size)
  C.getsockname(fd, a, len)
  C.close(fd)
  return C.ntohs(a.port)
end

--- True when GET `path` on 127.0.0.1:port answers 200.
function M.http_ok(port, path)
  local fd = C.socket(AF_INET, SOCK_STREAM, 0)
  if fd < 0 then return false end
  local tv = ffi.new("struct ct_timeval", 1, 0)
  C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, ffi.sizeof(tv))
  C.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, ffi.sizeof(tv))
  local a = sockaddr(port)
  local ok = false
  if C.connect(fd, a, ffi.sizeof(a)) == 0 then
    local req = "GET " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    if C.send(fd, req, #req, 0) == #req then
      local buf = ffi.new("char[64]")
      local n = tonumber(C.recv(fd, buf, 64, 0))
      ok = n > 0 and ffi.string(buf, n):match("^HTTP/1%.%d 200") ~= nil
    end
  end
  C.close(fd)
  return ok
end

function M.sleep(seconds)
  C.usleep(math.floor(seconds * 1e6))
end

return M
