--- A throwaway redis-server for the limiter specs: 127.0.0.1, a free port,
-- no persistence, stopped (by its own pid) at the end.
--
--   local redis = require "support.redis"
--   local r = redis.start()       -- { port =, url = "redis://127.0.0.1:P/0", dir = }
--   r:cli("KEYS", "*")            -- redis-cli output (a string)
--   r:stop(); r:restart()         -- stop it / start it again on the same port
local files = require "support.files"
local socket = require "socket"

local quote = files.quote
local M = {}
local R = {}
R.__index = R

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1", "r"))
  local out = p:read("*a")
  p:close()
  return out
end

function R:cli(...)
  local parts = { "redis-cli", "-h", "127.0.0.1", "-p", tostring(self.port) }
  for _, a in ipairs { ... } do parts[#parts + 1] = quote(a) end
  return sh(table.concat(parts, " "))
end

function R:start()
  sh(table.concat({ "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "''",
    "--appendonly", "no", "--daemonize", "yes", "--dir", quote(self.dir),
    "--pidfile", quote(self.dir .. "/redis.pid"), "--logfile", quote(self.dir .. "/redis.log") }, " "))
  for _ = 1, 100 do
    if self:cli("PING"):match("PONG") then return self end
    socket.sleep(0.05)
  end
  error("redis-server did not start: " .. (files.read(self.dir .. "/redis.log") or ""))
end

function R:stop()
  local pid = tonumber(files.read(self.dir .. "/redis.pid") or "")
  if not pid then return end
  sh("kill " .. pid)
  for _ = 1, 100 do
    if not sh("kill -0 " .. pid .. " 2>/dev/null && echo alive"):match("alive") then break end
    socket.sleep(0.05)
  end
  os.remove(self.dir .. "/redis.pid")
end

function R:restart()
  self:stop()
  return self:start()
end

function M.start()
  local r = setmetatable({ port = free_port(), dir = files.temp_dir() }, R)
  r.url = "redis://127.0.0.1:" .. r.port .. "/0"
  return r:start()
end

return M
