--- The nginx harness of the OpenResty specs: Debian's nginx with the Lua
-- module, started on a generated configuration in a temporary directory.
--
--   local ngxh = require "support.nginx"
--   ngxh.free_port()              -- a TCP port free on 127.0.0.1 now
--   ngxh.load_modules()           -- load_module lines for ndk + ngx_lua
--   ngxh.user_line()              -- "user root root;" when run as root
--   ngxh.tmpdir()                 -- a new /tmp/ct-openresty.* directory
--   ngxh.make_certs(dir)          -- test CA and certificates (below)
--   server = ngxh.start(dir, conf, port)   -- server.stop(), server.log()
--   ngxh.http(port, method, path [, body [, timeout]])  -- status, body, headers
--   ngxh.ROOT, ngxh.BUILD, ngxh.sh(cmd)
local socket = require("socket")
local files = require("support.files")
local ngxh = {}

local ROOT = assert(io.popen("pwd")):read("*l")
-- The module nginx loads: a sanitizer build cannot go into an
-- uninstrumented nginx, so tools/sanitize.sh names a plain one.
local BUILD = os.getenv("SANDBOX_BUILD") or os.getenv("BUILD") or "build"
local NGINX = os.getenv("NGINX") or "/usr/sbin/nginx"
local MODULES = "/usr/share/nginx/modules-available"

local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end
ngxh.sh = sh
ngxh.ROOT, ngxh.BUILD = ROOT, BUILD

local read, write = files.read, files.write

function ngxh.free_port()
  local s = assert(socket.tcp())
  assert(s:bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- nginx run as root hands requests to workers running as "nobody", which
-- could not read the test's private directory.
function ngxh.user_line()
  local p = assert(io.popen("id -u"))
  local uid = p:read("*l")
  p:close()
  return uid == "0" and "user root root;" or ""
end

-- load_module lines for the Lua module and its NDK dependency, from the
-- Debian snippets (relative module paths resolved: our prefix differs).
function ngxh.load_modules()
  local lines = {}
  for _, name in ipairs({ "mod-http-ndk.conf", "mod-http-lua.conf" }) do
    local text = read(MODULES .. "/" .. name)
    if not text then return nil, MODULES .. "/" .. name .. " missing (libnginx-mod-http-lua)" end
    for path in text:gmatch("load_module%s+([^;]+);") do
      if path:sub(1, 1) ~= "/" then path = "/usr/share/nginx/" .. path end
      lines[#lines + 1] = "load_module " .. path .. ";"
    end
  end
  return table.concat(lines, "\n")
end

-- Raw HTTP/1.1 exchange with 127.0.0.1:port; returns status, body, headers.
function ngxh.http(port, method, path, body, timeout)
  local c = assert(socket.tcp())
  c:settimeout(timeout or 15)
  local ok, err = c:connect("127.0.0.1", port)
  if not ok then return nil, err end
  body = body or ""
  c:send(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s")
    :format(method, path, #body, body))
  local line, rerr = c:receive("*l")
  if not line then c:close(); return nil, rerr end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d+)"))
  local headers = {}
  while true do
    local h = c:receive("*l")
    if not h or h == "" then break end
    local k, v = h:match("^([^:]+):%s*(.*)$")
    if k then headers[k:lower()] = v end
  end
  local data
  if headers["content-length"] then
    data = c:receive(tonumber(headers["content-length"]))
  elseif (headers["transfer-encoding"] or ""):find("chunked") then
    local parts = {}
    while true do
      local size = tonumber(c:receive("*l"), 16)
      if not size or size == 0 then break end
      parts[#parts + 1] = c:receive(size)
      c:receive("*l")
    end
    data = table.concat(parts)
  else
    data = c:receive("*a")
  end
  c:close()
  return status, data, headers
end

-- Starts nginx with `conf` in `dir`; returns a handle with :stop().
function ngxh.start(dir, conf, port)
  assert(sh("mkdir -p " .. dir .. "/logs " .. dir .. "/tmp"))
  write(dir .. "/nginx.conf", conf)
  -- A sanitizer runtime preloaded into busted must not reach nginx.
  local cmd = ("env -u LD_PRELOAD %s -p %s -c %s/nginx.conf -e %s/logs/error.log >%s/logs/start.out 2>&1")
    :format(NGINX, dir, dir, dir, dir)
  if not sh(cmd) then
    error("nginx did not start:\n" .. (read(dir .. "/logs/start.out") or "")
      .. (read(dir .. "/logs/error.log") or ""))
  end
  local h = { dir = dir, port = port }
  function h.stop()
    local pid = read(dir .. "/logs/nginx.pid")
    if not pid then return end
    pid = pid:match("%d+")
    sh("kill -QUIT " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      if not sh("kill -0 " .. pid .. " 2>/dev/null") then return end
      socket.sleep(0.05)
    end
    sh("kill -KILL " .. pid .. " 2>/dev/null")
  end
  function h.log() return read(dir .. "/logs/error.log") or "" end
  -- Ready when a worker answers (the master alone accepts connections).
  local deadline = socket.gettime() + 10
  while socket.gettime() < deadline do
    if ngxh.http(port, "GET", "/", nil, 1) then return h end
    socket.sleep(0.05)
  end
  h.stop()
  error("nginx did not listen on " .. port .. ":\n" .. h.log())
end

function ngxh.tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/ct-openresty.XXXXXX"))
  local d = p:read("*l")
  p:close()
  return d
end

-- Test CA (ca.pem), a server certificate for ct.test signed by it
-- (srv.pem/srv.key), one signed by it for another name (wrong.pem/wrong.key,
-- CN and SAN elsewhere.test) and a self-signed one for ct.test nobody trusts
-- (self.pem/self.key).
function ngxh.make_certs(dir)
  local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  local q = " >>" .. dir .. "/openssl.log 2>&1"
  assert(sh(("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 -subj '/CN=ct test CA'%s")
    :format(dir, ec, q)), "openssl failed")
  assert(sh(("cd %s && openssl req %s -keyout srv.key -out srv.csr -subj '/CN=ct.test'%s"):format(dir, ec, q)))
  write(dir .. "/ext.cnf", "subjectAltName=DNS:ct.test\n")
  assert(sh(("cd %s && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
    .. " -out srv.pem -days 2 -extfile ext.cnf%s"):format(dir, q)))
  assert(sh(("cd %s && openssl req -x509 %s -keyout self.key -out self.pem -days 2 -subj '/CN=ct.test'"
    .. " -addext subjectAltName=DNS:ct.test%s"):format(dir, ec, q)))
  assert(sh(("cd %s && openssl req %s -keyout wrong.key -out wrong.csr -subj '/CN=elsewhere.test'%s")
    :format(dir, ec, q)))
  write(dir .. "/wrong.cnf", "subjectAltName=DNS:elsewhere.test\n")
  assert(sh(("cd %s && openssl x509 -req -in wrong.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
    .. " -out wrong.pem -days 2 -extfile wrong.cnf%s"):format(dir, q)))
end


return ngxh
