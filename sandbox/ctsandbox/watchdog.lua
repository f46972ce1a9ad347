--- Stops the server when its directory disappears: scripts that start a
-- sandbox in a temporary directory and delete it without `ctl stop` (a
-- crashed test run, a cleanup that forgot) must not leave nginx running.
local ffi = require "ffi"

ffi.cdef [[
  int kill(int pid, int sig);
  int getppid(void);
]]

local SIGTERM = 15
local INTERVAL = 2

local M = {}

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

function M.start(dir)
  -- One worker is enough; the master stops the others.
  if ngx.worker.id() ~= 0 then return end
  local marker = dir .. "/config.json"
  local function check(premature)
    if premature then return end
    if not exists(marker) then
      ngx.log(ngx.WARN, "sandbox: ", marker, " is gone, stopping")
      ffi.C.kill(ffi.C.getppid(), SIGTERM)
    end
  end
  ngx.timer.every(INTERVAL, check)
end

return M
