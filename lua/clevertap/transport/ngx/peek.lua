-- Is a pooled cosocket connection still open? nginx watches idle pooled
-- connections for a peer's close, but misses a FIN that arrived together
-- with (or right behind) the last answer, before the connection went into
-- the pool: measured, most dead connections handed back by the pool had
-- their FIN waiting already. A request written on such a connection never
-- reaches the server, yet its outcome would be unknown. The cosocket API has
-- no way to look without reading (a read with a short timeout logs an error
-- per call), so this looks at the socket itself: recv(MSG_PEEK|MSG_DONTWAIT)
-- takes nothing and never waits.
--
-- The descriptor comes from ngx_lua's FFI export
-- ngx_http_lua_ffi_socket_tcp_hack_fd (meant for ngx_lua's own tests; it
-- sets the descriptor and returns the old one, so it is put straight back).
-- It is looked up at first use: without LuaJIT's FFI, on another OS, or if
-- the export is missing or answers no descriptor, alive() answers nil and
-- the caller reuses the connection unchecked, as before. Tested with
-- Debian's ngx_lua 0.10.23.
local M = {}

local C, ffi_errno, buf, errbuf, errlen

-- Linux values: the only platform this is enabled on.
local MSG_PEEK, MSG_DONTWAIT = 0x02, 0x40
local EAGAIN, EINTR = 11, 4

local function setup()
  local ok, ffi = pcall(require, "ffi")
  if not ok or ffi.os ~= "Linux" then return false end
  pcall(ffi.cdef, [[
    typedef struct ngx_http_lua_socket_tcp_upstream_s ngx_http_lua_socket_tcp_upstream_t;
    int ngx_http_lua_ffi_socket_tcp_hack_fd(ngx_http_lua_socket_tcp_upstream_t *u, int fd,
        unsigned char *errstr, size_t *errlen);
    intptr_t recv(int sockfd, void *buf, size_t len, int flags);
  ]])
  -- A cdef that fails because another module declared the same names is
  -- fine; what matters is that both symbols resolve.
  local found = pcall(function() return ffi.C.ngx_http_lua_ffi_socket_tcp_hack_fd and ffi.C.recv end)
  if not found then return false end
  C, ffi_errno = ffi.C, ffi.errno
  buf = ffi.new("char[1]")
  errbuf = ffi.new("unsigned char[128]")
  errlen = ffi.new("size_t[1]")
  return true
end

local ready

-- The connection's descriptor, or nil.
local function fd_of(sock)
  -- ngx_lua keeps the upstream struct as a light userdata at index 1
  -- (resty.core's SOCKET_CTX_INDEX); the FFI takes it as the pointer.
  local u = sock[1]
  if type(u) ~= "userdata" then return nil end
  errlen[0] = 128
  local fd = C.ngx_http_lua_ffi_socket_tcp_hack_fd(u, -1, errbuf, errlen)
  if fd < 0 then return nil end
  -- Put it back at once (nothing runs in between: no yield here).
  errlen[0] = 128
  C.ngx_http_lua_ffi_socket_tcp_hack_fd(u, fd, errbuf, errlen)
  return fd
end

--- Whether alive() can answer here.
function M.available()
  if ready == nil then ready = setup() end
  return ready
end

--- true: open and quiet; false: closed by the peer, reset, or holding
-- bytes nobody asked for (an idle HTTP/1.1 connection has none; a TLS alert
-- is one); nil: cannot tell.
function M.alive(sock)
  if ready == nil then ready = setup() end
  if not ready then return nil end
  local fd = fd_of(sock)
  if not fd then return nil end
  local n
  repeat
    n = tonumber(C.recv(fd, buf, 1, MSG_PEEK + MSG_DONTWAIT))
  until n >= 0 or ffi_errno() ~= EINTR
  if n < 0 then return ffi_errno() == EAGAIN end
  return false
end

return M
