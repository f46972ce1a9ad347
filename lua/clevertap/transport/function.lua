--- Drives a client's engine with a Lua transport (docs/transports.md): a
-- function `res, terr = fn(req)` or a table with `request(self, req)` and
-- optional concurrency hooks (spawn, join, sleep, now).
local core = require "clevertap.core"

local M = {}

local function caller(transport)
  if type(transport) == "function" then
    return function(req) return transport(req) end
  end
  return function(req) return transport:request(req) end
end

--- True inside nginx with ngx_lua, where libcurl's waiting would block the
-- worker and every request must run on cosockets.
function M.in_nginx()
  local ok, ngxt = pcall(require, "clevertap.transport.ngx")
  return ok and type(ngxt) == "table" and ngxt.available ~= nil and ngxt.available() and ngxt or nil
end

--- The transport to use when none is given: the cosocket transport inside
-- nginx, else nil (libcurl). `opts.concurrency` (the client's `send/*`
-- concurrency) sizes its light threads: more would only wait on the
-- engine's caps, fewer would cap the client below what it was asked for.
function M.default(opts)
  local ngxt = M.in_nginx()
  if ngxt then
    return assert(ngxt.new { concurrency = opts and opts.concurrency and math.floor(opts.concurrency) or nil })
  end
  return nil
end

--- Checks a transport value; raises on misuse, at `level` as error()
-- counts from here (default 3: the caller of the function calling this).
function M.check(transport, level)
  level = level or 3
  local t = type(transport)
  if t == "function" then return end
  if t ~= "table" or type(transport.request) ~= "function" then
    error("transport: a function, a table with a request method, or \"curl\"", level)
  end
  for _, hook in ipairs { "spawn", "join", "sleep", "now", "check", "yield" } do
    if transport[hook] ~= nil and type(transport[hook]) ~= "function" then
      error("transport." .. hook .. ": must be a function", level)
    end
  end
  if (transport.spawn == nil) ~= (transport.join == nil) then
    error("transport: spawn and join go together", level)
  end
end

--- Runs requests of `engine` (a clevertap.core client) through `transport`
-- for up to `timeout` seconds, or until no job has work left.
-- `extra` fields (verify_tls, ca_file) are copied into each request.
function M.pump(engine, transport, timeout, extra)
  local call = caller(transport)
  local is_table = type(transport) == "table"
  local now = (is_table and transport.now) and function() return transport:now() end or core.now
  local sleep = (is_table and transport.sleep) and function(s) return transport:sleep(s) end or core.sleep
  local deadline = now() + (timeout or 0)

  local function worker()
    while true do
      -- the transport, or a callback, may have closed the client
      if engine:is_closed() then return end
      local req, wait = engine:next_request()
      if req then
        for k, v in pairs(extra) do req[k] = v end
        local ok, res, terr = pcall(call, req)
        if not ok then
          res, terr = nil, { kind = "network", sent = true, message = tostring(res) }
        elseif res == nil and terr == nil then
          terr = { kind = "network", sent = true, message = "transport returned neither a response nor an error" }
        end
        if type(res) ~= "table" then res = nil end
        if res == nil and type(terr) ~= "table" then
          terr = { kind = "network", sent = true, message = tostring(terr) }
        end
        if engine:is_closed() then return end
        engine:complete(req.id, res, terr)
      else
        if not wait then return end
        local left = deadline - now()
        if left <= 0 then return end
        sleep(math.min(wait, left))
      end
      if now() >= deadline then return end
    end
  end

  local n = is_table and transport.spawn and math.max(1, math.floor(tonumber(transport.concurrency) or 1)) or 1
  if n == 1 then return worker() end
  local handles = {}
  for i = 1, n do handles[i] = transport:spawn(worker) end
  for i = 1, n do transport:join(handles[i]) end
end

return M
