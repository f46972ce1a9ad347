--- A throwaway redis-server for the limiter specs: 127.0.0.1, a free port,
-- no persistence, stopped (by its own pid) at the end.
--
--   local redis = require "support.redis"
--   local r = redis.start()       -- { port =, url = "redis://127.0.0.1:P/0", dir = }
--   r:cli("KEYS", "*")            -- redis-cli output (a string)
--   r:stop(); r:restart()         -- stop it / start it again on the same port
--   local mon = r:monitor()       -- redis-cli MONITOR from now on (its own pid)
--   mon:stop()                    -- every command Redis ran meanwhile, its scripts' too (a string)
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

-- Nothing is lost: Redis keeps what the monitor has not read yet, and stop()
-- waits for a marker of its own to come through before ending it.
function R:monitor()
  local path = self.dir .. "/monitor.log"
  local p = assert(io.popen(table.concat({ "redis-cli", "-h", "127.0.0.1", "-p", tostring(self.port), "MONITOR",
    ">", quote(path), "2>&1 & echo $!" }, " "), "r"))
  local pid = tonumber(p:read("*a"))
  p:close()
  local function wait_for(text, what)
    for _ = 1, 200 do
      if (files.read(path) or ""):find(text, 1, true) then return end
      socket.sleep(0.05)
    end
    sh("kill " .. pid)
    error("redis-cli MONITOR: " .. what .. ": " .. (files.read(path) or ""))
  end
  wait_for("OK", "did not start") -- its answer to MONITOR: on from here
  local mon = {}
  function mon.stop()
    local marker = ("monitor-end-%d"):format(pid)
    self:cli("ECHO", marker)
    wait_for('"' .. marker .. '"', "the end marker did not come through")
    sh("kill " .. pid)
    local text = files.read(path) or ""
    os.remove(path)
    return text
  end
  return mon
end

function M.start()
  local r = setmetatable({ port = free_port(), dir = files.temp_dir() }, R)
  r.url = "redis://127.0.0.1:" .. r.port .. "/0"
  return r:start()
end

return M
