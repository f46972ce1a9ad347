-- The Redis limiter inside nginx (cosockets): four workers on a
-- redis-server of the test's own keep to the account's limits together,
-- with Lua processes on hiredis sharing the same keys and script; a worker
-- killed with -9 frees its targets/* slots within the lease; a store that
-- goes away mid-send is handled per fail_mode, every identity accounted.
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local files = require "support.files"
local ln = require "support.limiter_nginx"
local cjson = require "cjson"
local socket = require "socket"

local quote = files.quote
local times = ln.times
local LUA = jit and "luajit" or "lua5.4" -- luacheck: ignore 113
local SEM = "clevertap:{SANDBOX-ACCOUNT-ID}:targets_concurrency"

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- The account's send ceiling as the limiter keeps it (docs/limits.md): at
-- most 1000 starts in any 1.05 s, the times of its own decisions on Redis's
-- clock (its window log, read from a MONITOR), and every request the sandbox
-- saw is one of them. The sandbox's arrival times are not the measure: they
-- add each request's way from the grant to the sandbox, which the 50 ms over
-- the second are for, and which a loaded machine stretches further (a member
-- not scheduled between its grants and its sends).
local function check_send_ceiling(mon, sends)
  local starts = ln.granted(mon:stop())
  assert.equal(#sends, #starts, "requests the sandbox saw against starts the limiter granted")
  local most = ln.max_within(starts, 1050)
  assert.is_true(most <= 1000, ("%d starts granted within 1.05 s (%d arrivals at the sandbox in a sliding second)")
    :format(most, ln.max_per_second(sends)))
end

-- a Lua process on the hiredis limiter (spec/support/limiter_member.lua)
local function spawn(env)
  local out = os.tmpname()
  env.CT_OUT, env.CT_URL = out, sandbox.url()
  local parts = {}
  for k, v in pairs(env) do parts[#parts + 1] = k .. "=" .. quote(tostring(v)) end
  local cmd = "env " .. table.concat(parts, " ") .. " LUA_PATH=" .. quote(package.path)
    .. " LUA_CPATH=" .. quote(package.cpath) .. " " .. LUA .. " spec/support/limiter_member.lua >"
    .. quote(out .. ".log") .. " 2>&1 &"
  assert(os.execute(cmd))
  return { out = out }
end

local function finished(m, timeout)
  local t0 = socket.gettime()
  while socket.gettime() - t0 < (timeout or 40) do
    local text = files.read(m.out)
    if text and text ~= "" then
      os.remove(m.out); os.remove(m.out .. ".log")
      return cjson.decode(text)
    end
    socket.sleep(0.05)
  end
  error("member did not finish: " .. (files.read(m.out .. ".log") or ""))
end

local function wait_logged(path, n, timeout)
  local t0 = socket.gettime()
  while #sandbox.requests { path = path } < n do
    assert(socket.gettime() - t0 < (timeout or 10), "the sandbox did not see " .. n .. " requests to " .. path)
    socket.sleep(0.02)
  end
end

local function check_workers(results, n, want)
  for w = 0, n - 1 do
    local r = results["w" .. w]
    assert(r, "no summary from worker " .. w)
    assert.same({}, r.errors or { r.error })
    assert.equal(0, r.unaccounted)
    for k, v in pairs(want) do assert.equal(v, r[k], k .. " of worker " .. w) end
  end
end

describe("redis limiter inside nginx", function()
  local dir, port, store
  before_each(function()
    sandbox.reset()
    dir, port = files.temp_dir(), free_port()
    store = redis.start()
  end)
  after_each(function()
    ln.stop(dir)
    if os.getenv("CT_DEBUG") then io.stderr:write(files.read(dir .. "/error.log") or "") end
    files.remove_dir(dir)
    store:stop()
  end)

  it("four workers share 1000 sends a second and 3 targets/* in flight", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 },
      { path = "/1/targets/list.json", fault = "latency", ms = 100 } }
    local mon = store:monitor()
    -- no shdict in nginx.conf: redis:// is the limiter
    ln.start(dir, port, { CT_LIMITER = store.url, CT_N = 1000, CT_LISTS = 6 }, { shdict = false })
    local results = ln.results(dir, port, 4)
    check_workers(results, 4, { accepted = 1000, lists = 6 })
    assert.is_nil(sandbox.stats().by_status["429"], "the sandbox answered 429")
    local sends = times("/1/send/push.json")
    assert.equal(4000, #sends)
    check_send_ceiling(mon, sends)
    local rate = (#sends - 1) / (sends[#sends] - sends[1])
    assert.is_true(rate >= 900, ("aggregate %.0f requests/s"):format(rate))
    -- the C limiter's keys
    local keys = store:cli("KEYS", "clevertap:{SANDBOX-ACCOUNT-ID}:*")
    for _, k in ipairs { "cfg", "members", "send_rate" } do
      assert.matches("clevertap:{SANDBOX-ACCOUNT-ID}:" .. k, keys, 1, true)
    end
    assert.not_matches("unusable", files.read(dir .. "/error.log") or "")
  end)

  it("nginx workers and a Lua process on hiredis share one Redis", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 } }
    local mon = store:monitor()
    local m = spawn { CT_LIMITER = store.url, CT_NAME = "p", CT_SENDS = 1200, CT_WARM = 1 }
    ln.start(dir, port, { CT_LIMITER = store.url, CT_N = 400 }, { shdict = false })
    check_workers(ln.results(dir, port, 4), 4, { accepted = 400 })
    assert.equal(1200, finished(m).accepted)
    assert.is_nil(sandbox.stats().by_status["429"], "the sandbox answered 429")
    local sends = times("/1/send/push.json")
    assert.equal(2800, #sends)
    check_send_ceiling(mon, sends)
    local rate = (#sends - 1) / (sends[#sends] - sends[1])
    assert.is_true(rate >= 850, ("aggregate %.0f requests/s"):format(rate))
  end)

  it("a worker killed with -9 frees its targets/* slots within the lease", function()
    sandbox.configure { targets_concurrency = 0 } -- the limiter alone keeps 3 in flight
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 20000, count = 3 } }
    ln.start(dir, port, { CT_LIMITER = store.url, CT_LISTS = 3, CT_LEASE = 1 }, { shdict = false })
    wait_logged("/1/targets/list.json", 3)
    socket.sleep(0.3)
    assert.equal(3, #sandbox.requests { path = "/1/targets/list.json" }) -- the others wait
    -- the leases are "host:pid:random-N": the pid holding most of them goes
    local count = {}
    for id in store:cli("ZRANGE", SEM, "0", "-1"):gmatch("[^\n]+") do
      local pid = id:match("^[^:]*:(%d+):")
      count[pid] = (count[pid] or 0) + 1
    end
    local pid, total = nil, 0
    for p, n in pairs(count) do
      total = total + n
      if not pid or n > count[pid] then pid = p end
    end
    assert.equal(3, total, cjson.encode(count))
    os.execute("kill -9 " .. pid)
    local tk = socket.gettime()
    wait_logged("/1/targets/list.json", 3 + count[pid], 5)
    local t = times("/1/targets/list.json")
    local regained = t[4] - tk
    assert.is_true(regained > 0.3 and regained <= 1.6, ("slots regained %.2f s after the kill"):format(regained))
  end)

  local function outage(mode)
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 } }
    ln.start(dir, port, { CT_LIMITER = store.url, CT_N = 150, CT_SEND_RATE = 100, CT_FAIL_MODE = mode,
      CT_MEMBERS = 4, CT_ATTEMPTS = 3 }, { shdict = false })
    wait_logged("/1/send/push.json", 120)
    store:stop()
    local down = socket.gettime()
    socket.sleep(1.5)
    local up = socket.gettime()
    store:start()
    local results = ln.results(dir, port, 4)
    check_workers(results, 4, { accepted = 150 })
    assert.equal(600, #times("/1/send/push.json"))
    local during = 0
    for _, t in ipairs(times("/1/send/push.json")) do
      if t > down + 0.2 and t < up then during = during + 1 end
    end
    local logs = {}
    for _, r in pairs(results) do logs[#logs + 1] = table.concat(r.logs, "\n") end
    return during, up - down - 0.2, table.concat(logs, "\n") .. (files.read(dir .. "/error.log") or "")
  end

  it("the store stopped mid-send, fail_mode closed: nothing is sent while it is down, then all", function()
    local during, _, text = outage("closed")
    assert.equal(0, during)
    assert.matches("fail_mode closed: no request starts until it answers", text, 1, true)
    assert.matches("answers again", text, 1, true)
  end)

  it("the store stopped mid-send, fail_mode local: each worker keeps its share (rate / members)", function()
    local during, span, text = outage("local")
    assert.is_true(during > 0, "nothing was sent during the outage")
    -- four workers, each 100/4 a second
    assert.is_true(during / span <= 100 * 1.15, ("%.1f requests/s during the outage"):format(during / span))
    assert.matches("fail_mode local", text, 1, true)
    assert.matches("answers again", text, 1, true)
  end)
end)
