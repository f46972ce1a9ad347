-- The shdict limiter inside nginx: four workers sending for one account
-- (nginx.conf has `lua_shared_dict clevertap_limits`, so it is the default)
-- keep to the account's limits together.
local sandbox = require "support.sandbox"
local files = require "support.files"
local cjson = require "cjson"
local socket = require "socket"
local http = require "socket.http"

local ROOT = assert(io.popen("pwd")):read("*l")
local BUILD = os.getenv("SANDBOX_BUILD") or os.getenv("BUILD") or "build"
local NGINX = os.getenv("NGINX") or "/usr/sbin/nginx"
local MODULES = "/usr/share/nginx/modules-available"

local function load_modules()
  local lines = {}
  for _, name in ipairs { "mod-http-ndk.conf", "mod-http-lua.conf" } do
    for path in (files.read(MODULES .. "/" .. name) or ""):gmatch("load_module%s+([^;]+);") do
      if path:sub(1, 1) ~= "/" then path = "/usr/share/nginx/" .. path end
      lines[#lines + 1] = "load_module " .. path .. ";"
    end
  end
  return table.concat(lines, "\n")
end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function times(path)
  local t = {}
  for _, r in ipairs(sandbox.requests { path = path }) do t[#t + 1] = r.time end
  table.sort(t)
  return t
end

local function max_per_second(t)
  local best, j = 0, 1
  for i = 1, #t do
    while t[i] - t[j] >= 1.0 do j = j + 1 end
    if i - j + 1 > best then best = i - j + 1 end
  end
  return best
end

-- nginx with 4 workers running spec/support/limiter_worker.lua; env: its settings
local function start(dir, port, env)
  local uid = assert(io.popen("id -u")):read("*l")
  local envs = { "env CT_URL=" .. sandbox.url() .. ";" }
  for k, v in pairs(env) do envs[#envs + 1] = "env " .. k .. "=" .. v .. ";" end
  files.write(dir .. "/nginx.conf", table.concat({
    load_modules(),
    uid == "0" and "user root root;" or "",
    "worker_processes 4;", "daemon on;", "pid " .. dir .. "/nginx.pid;",
    "events { worker_connections 1024; }",
    table.concat(envs, "\n"),
    "http {",
    ('  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;%s/spec/support/?.lua;/usr/share/lua/5.1/?.lua;;";')
      :format(ROOT, ROOT, ROOT),
    ('  lua_package_cpath "%s/%s/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;";'):format(ROOT, BUILD),
    "  access_log off;",
    "  lua_shared_dict clevertap_limits 1m;", "  lua_shared_dict results 1m;",
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

describe("shdict limiter inside nginx", function()
  local dir, port
  before_each(function()
    sandbox.reset()
    dir, port = files.temp_dir(), free_port()
  end)
  after_each(function()
    local pid = (files.read(dir .. "/nginx.pid") or ""):match("%d+")
    if pid then os.execute("kill -QUIT " .. pid .. " 2>/dev/null") end
    socket.sleep(0.3)
    files.remove_dir(dir)
  end)

  it("four workers share 1000 sends a second and 3 targets/* in flight", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 },
      { path = "/1/targets/list.json", fault = "latency", ms = 100 } }
    start(dir, port, { CT_N = 1000, CT_LISTS = 6 })
    local results
    local t0 = socket.gettime()
    repeat
      socket.sleep(0.2)
      local body = http.request("http://127.0.0.1:" .. port .. "/results")
      results = body and cjson.decode(body) or {}
      local n = 0
      for _ in pairs(results) do n = n + 1 end
      assert(socket.gettime() - t0 < 40, "workers did not finish: " .. (files.read(dir .. "/error.log") or ""))
    until n == 4
    for w = 0, 3 do
      local r = results["w" .. w]
      assert.same({}, r.errors or { r.error })
      assert.equal(1000, r.accepted)
      assert.equal(6, r.lists)
    end
    assert.is_nil(sandbox.stats().by_status["429"], "the sandbox answered 429")
    local sends = times("/1/send/push.json")
    assert.equal(4000, #sends)
    assert.is_true(max_per_second(sends) <= 1000, "a sliding second saw " .. max_per_second(sends))
    local rate = (#sends - 1) / (sends[#sends] - sends[1])
    assert.is_true(rate >= 900, ("aggregate %.0f requests/s"):format(rate))
  end)

  it("a worker killed with -9 frees its targets/* slots within the lease", function()
    sandbox.configure { targets_concurrency = 0 } -- the limiter alone keeps 3 in flight
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 20000, count = 3 } }
    start(dir, port, { CT_N = 0, CT_LISTS = 3, CT_LEASE = 1 })
    local t0 = socket.gettime()
    while #sandbox.requests { path = "/1/targets/list.json" } < 3 do
      assert(socket.gettime() - t0 < 10, "no list requests")
      socket.sleep(0.02)
    end
    socket.sleep(0.3)
    local body, code = http.request("http://127.0.0.1:" .. port .. "/held")
    assert(body, tostring(code) .. (files.read(dir .. "/error.log") or ""))
    local held = cjson.decode(body)
    local pid, total = nil, 0
    for p, n in pairs(held) do
      total = total + n
      if not pid or n > held[pid] then pid = p end
    end
    assert.equal(3, total, cjson.encode(held))
    -- the worker holding most of them goes; its slots come back to the others
    assert.equal(3, #sandbox.requests { path = "/1/targets/list.json" }) -- the others wait
    os.execute("kill -9 " .. pid)
    local tk = socket.gettime()
    while #sandbox.requests { path = "/1/targets/list.json" } < 4 do
      assert(socket.gettime() - tk < 5, "the slots did not come back")
      socket.sleep(0.02)
    end
    local t = times("/1/targets/list.json")
    local regained = t[4] - tk
    assert.is_true(regained > 0.3 and regained <= 1.6, ("slots regained %.2f s after the kill"):format(regained))
  end)
end)
