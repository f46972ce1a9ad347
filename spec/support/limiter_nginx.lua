--- The nginx of the limiter specs: 4 workers running
-- spec/support/limiter_worker.lua against the sandbox, and the sandbox's
-- view of what they sent.
--
--   local ln = require "support.limiter_nginx"
--   ln.start(dir, port, env [, { shdict = false }])  -- env: the worker's CT_* settings
--   ln.stop(dir)
--   ln.results(dir, port, n [, timeout])  -- the n workers' summaries once all are in
--   ln.times(path)          -- the sandbox's arrival times of path, sorted
--   ln.max_per_second(t)    -- the most arrivals in any sliding second
--   ln.max_within(t, span)  -- the most values of t less than span apart
--   ln.granted(text [, limit])  -- the starts a Redis limiter granted, from a MONITOR (redis.lua)
local sandbox = require "support.sandbox"
local files = require "support.files"
local ngxh = require "support.nginx"
local cjson = require "cjson"
local socket = require "socket"
local http = require "socket.http"

local M = {}
local NGINX = os.getenv("NGINX") or "/usr/sbin/nginx"

function M.times(path)
  local t = {}
  for _, r in ipairs(sandbox.requests { path = path }) do t[#t + 1] = r.time end
  table.sort(t)
  return t
end

function M.max_within(t, span)
  local best, j = 0, 1
  for i = 1, #t do
    while t[i] - t[j] >= span do j = j + 1 end
    if i - j + 1 > best then best = i - j + 1 end
  end
  return best
end

function M.max_per_second(t) return M.max_within(t, 1.0) end

-- The Redis limiter's script logs each start of a bucket (limit, default
-- send_rate) it grants: ZADD of its window, scored with the time of the
-- decision (Redis's clock, integer ms). Those times, sorted.
function M.granted(text, limit)
  local key = ("clevertap:{%s}:%s:window"):format(sandbox.account_id, limit or "send_rate")
  local pat = '"ZADD" "' .. key:gsub("%p", "%%%0") .. '" "(%d+)" "'
  local t = {}
  for ms in text:gmatch(pat) do t[#t + 1] = tonumber(ms) end
  table.sort(t)
  return t
end

-- opts.shdict = false: no lua_shared_dict clevertap_limits (the limiter comes from CT_LIMITER)
function M.start(dir, port, env, opts)
  local envs = { "env CT_URL=" .. sandbox.url() .. ";" }
  for k, v in pairs(env) do envs[#envs + 1] = "env " .. k .. "=" .. tostring(v) .. ";" end
  local root, build = ngxh.ROOT, ngxh.BUILD
  files.write(dir .. "/nginx.conf", table.concat({
    assert(ngxh.load_modules()), ngxh.user_line(),
    "worker_processes 4;", "daemon on;", "pid " .. dir .. "/nginx.pid;",
    "events { worker_connections 1024; }",
    table.concat(envs, "\n"),
    "http {",
    ('  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;%s/spec/support/?.lua;/usr/share/lua/5.1/?.lua;;";')
      :format(root, root, root),
    ('  lua_package_cpath "%s/%s/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;";'):format(root, build),
    "  access_log off;",
    (opts and opts.shdict == false) and "" or "  lua_shared_dict clevertap_limits 1m;",
    "  lua_shared_dict results 1m;",
    "  init_worker_by_lua_block { require('limiter_worker').start() }",
    "  server {",
    "    listen 127.0.0.1:" .. port .. ";",
    "    location /results { content_by_lua_block { require('limiter_worker').results() } }",
    "    location /held { content_by_lua_block { require('limiter_worker').held() } }",
    "  }",
    "}",
  }, "\n"))
  assert(os.execute(("env -u LD_PRELOAD %s -p %s -c %s/nginx.conf -e %s/error.log"):format(NGINX, dir, dir, dir)))
end

function M.stop(dir)
  local pid = (files.read(dir .. "/nginx.pid") or ""):match("%d+")
  if pid then os.execute("kill -QUIT " .. pid .. " 2>/dev/null") end
  socket.sleep(0.3)
end

function M.results(dir, port, n, timeout)
  local t0 = socket.gettime()
  while true do
    socket.sleep(0.2)
    local body = http.request("http://127.0.0.1:" .. port .. "/results")
    local results = body and cjson.decode(body) or {}
    local k = 0
    for _ in pairs(results) do k = k + 1 end
    if k >= n then return results end
    assert(socket.gettime() - t0 < (timeout or 40),
      "workers did not finish: " .. (files.read(dir .. "/error.log") or ""))
  end
end

return M
