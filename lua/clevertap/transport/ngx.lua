-- The transport used inside nginx (OpenResty / ngx_lua). Requests run on
-- cosockets and the client's driver runs its workers as light threads
-- (ngx.thread.spawn), so a send never blocks the nginx worker and several
-- batches are in flight at once. libcurl's blocking calls must never run on
-- an nginx worker: clevertap.new picks this transport whenever available()
-- is true.
--
-- It is a table transport as described in docs/transports.md: request,
-- concurrency, spawn, join, sleep, now, yield (+ check, called before a job starts).
local options = require("clevertap.options")

local M = {}

-- Phases in which cosockets, light threads and ngx.sleep all work.
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
  server_rewrite = true,
}

-- True when running inside nginx with ngx_lua.
function M.available()
  return type(ngx) == "table" and type(ngx.socket) == "table" and type(ngx.socket.tcp) == "function"
    and type(ngx.get_phase) == "function"
end

local function phase_error(phase)
  return ("clevertap: cannot send from nginx's %s phase: cosockets are not available there; "
    .. "start the send in a timer instead: ngx.timer.at(0, function(premature) ... end)"):format(phase)
end

-- nil when requests may run now; otherwise the message explaining why not.
function M.phase_problem()
  if not M.available() then return "clevertap: the ngx transport needs nginx with ngx_lua (OpenResty)" end
  local phase = ngx.get_phase()
  if COSOCKET_PHASES[phase] then return nil end
  return phase_error(phase)
end

-- Raises the phase problem, if any, at the caller's level.
function M.check_phase(level)
  local problem = M.phase_problem()
  if problem then error(problem, (level or 1) + 1) end
end

local Transport = {}
Transport.__index = Transport

local OPTIONS = {
  concurrency = "number", keepalive_timeout = "number", keepalive_pool = "number", max_body = "number",
  -- Removed: kept in the table so the message says so instead of
  -- suggesting another name.
  backend = "any",
}

local function positive_integer(opts, k)
  local v = opts[k]
  if v ~= nil and (v < 1 or v % 1 ~= 0) then
    error("clevertap.transport.ngx.new: " .. k .. " must be a positive integer", 3)
  end
end

-- opts (all optional):
--   concurrency        light threads running requests at once (default 200,
--                      the client's default `concurrency`; its caps still apply)
--   keepalive_timeout  ms a pooled connection may stay idle (default in
--                      transport/ngx/http.lua, below servers' keep-alive timeouts)
--   keepalive_pool     pooled connections per host/port/TLS setting (default: concurrency)
--   max_body           largest response body accepted (bytes, default 16 MiB)
-- Timeouts and TLS verification come with each request from the client.
-- The CA bundle is nginx's lua_ssl_trusted_certificate (cosockets cannot
-- take one per request), so req.ca_file is not used here.
-- Misuse (unknown options, bad values) raises at the caller; outside nginx
-- it returns nil, message.
function M.new(opts)
  if opts == nil then opts = {} end
  options.check(opts, OPTIONS, "clevertap.transport.ngx.new")
  if opts.backend ~= nil then
    -- The lua-resty-http backend was never tested where this library is
    -- tested (it is not packaged there); untested code users could pick is
    -- gone, and naming it must not silently fall back.
    error('clevertap.transport.ngx.new: option "backend" was removed: the lua-resty-http backend is gone'
      .. " and the built-in cosocket client is always used; drop the option", 2)
  end
  for _, k in ipairs({ "concurrency", "keepalive_timeout", "keepalive_pool", "max_body" }) do
    positive_integer(opts, k)
  end
  if not M.available() then
    return nil, "the ngx transport needs nginx with ngx_lua (OpenResty)"
  end
  local concurrency = opts.concurrency or require("clevertap.core").default_concurrency
  return setmetatable({
    concurrency = concurrency,
    impl = require("clevertap.transport.ngx.http"),
    http_opts = {
      keepalive_timeout = opts.keepalive_timeout,
      -- as many idle connections kept as threads that may want one: a
      -- smaller pool closes and reopens connections on every wave of requests
      keepalive_pool = opts.keepalive_pool or concurrency,
      max_body = opts.max_body,
    },
  }, Transport)
end

-- Raises a clear error where a send cannot run (init, init_worker, log,
-- header/body filters...). The client calls it before starting a job.
function Transport.check()
  M.check_phase(2)
end

function Transport:request(req)
  local problem = M.phase_problem()
  if problem then return nil, { kind = "network", sent = false, message = problem } end
  local o = {
    ssl_verify = req.verify_tls ~= false,
    keepalive_timeout = self.http_opts.keepalive_timeout,
    keepalive_pool = self.http_opts.keepalive_pool,
    max_body = self.http_opts.max_body,
  }
  if req.connect_timeout then o.connect_timeout = req.connect_timeout * 1000 end
  if req.timeout then o.total_timeout = req.timeout * 1000 end
  local lim = self.limiter
  if not lim then return self.impl.request(req, o) end
  -- a shared limiter (clevertap.limit.shdict, .redis_ngx): the account's limits first
  local names = lim.names_for(req.url)
  local token = lim:acquire(names)
  local res, err = self.impl.request(req, o)
  lim:release(names, token)
  if res and res.status == 429 then
    local ra = tonumber(res.headers and (res.headers["retry-after"] or res.headers["Retry-After"]) or "")
    lim:backoff(names, ra or 1)
  end
  return res, err
end

function Transport.spawn(_, fn)
  M.check_phase(2)
  local th, err = ngx.thread.spawn(fn)
  if not th then error("clevertap: cannot start a light thread: " .. tostring(err), 2) end
  return th
end

function Transport.join(_, th)
  local ok, err = ngx.thread.wait(th)
  -- A worker that raised must not vanish silently: the driver sees it.
  if not ok then error(err, 0) end
end

-- nginx's timer resolution is a millisecond; ngx.sleep(0) without
-- OpenResty's patches logs a warning on every call and waits for nothing.
function Transport.sleep(_, seconds)
  M.check_phase(2)
  ngx.sleep(math.max(seconds or 0, 0.001))
end

-- Lets the worker's event loop run between the slices of a large send's
-- check of `to` (client.lua): a millisecond, the timer's resolution.
function Transport.yield()
  M.check_phase(2)
  ngx.sleep(0.001)
end

function Transport.now()
  ngx.update_time()
  return ngx.now()
end

M.Transport = Transport
return M
