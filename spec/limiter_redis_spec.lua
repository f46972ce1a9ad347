-- Account-wide limits on a Redis limiter: separate processes sending for
-- one account to the sandbox share its ceilings; leases of a killed member
-- come back; a store that goes away is handled per fail_mode.
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local files = require "support.files"
local cjson = require "cjson"
local socket = require "socket"
local U = require "support.client_util"

local quote = files.quote
local LUA = jit and "luajit" or "lua5.4" -- luacheck: ignore 113

-- a member process (a Lua one, or the program `bin`) with env; its summary in env.CT_OUT
local function spawn(env, bin)
  local out = os.tmpname()
  env.CT_OUT, env.CT_URL = out, sandbox.url()
  local parts = {}
  for k, v in pairs(env) do parts[#parts + 1] = k .. "=" .. quote(tostring(v)) end
  local cmd = "env " .. table.concat(parts, " ") .. " LUA_PATH=" .. quote(package.path)
    .. " LUA_CPATH=" .. quote(package.cpath) .. " "
    .. (bin and quote(bin) or (LUA .. " spec/support/limiter_member.lua")) .. " >"
    .. quote(out .. ".log") .. " 2>&1 & echo $!"
  local p = assert(io.popen(cmd, "r"))
  local pid = tonumber(p:read("*a"))
  p:close()
  return { pid = pid, out = out }
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

local function times(path)
  local t = {}
  for _, r in ipairs(sandbox.requests { path = path }) do t[#t + 1] = r.time end
  table.sort(t)
  return t
end

-- the most requests within any sliding second
local function max_per_second(t)
  local best, j = 0, 1
  for i = 1, #t do
    while t[i] - t[j] >= 1.0 do j = j + 1 end
    if i - j + 1 > best then best = i - j + 1 end
  end
  return best
end

local function wait_logged(path, n, timeout)
  local t0 = socket.gettime()
  while #sandbox.requests { path = path } < n do
    assert(socket.gettime() - t0 < (timeout or 10), "the sandbox did not see " .. n .. " requests to " .. path)
    socket.sleep(0.02)
  end
end

describe("redis limiter", function()
  local store
  before_each(function()
    sandbox.reset()
    store = redis.start()
  end)
  after_each(function()
    if store then store:stop() end
    store = nil
  end)

  it("three processes share the account's limits: 3 targets/*, 1 create a second, 1000 sends a second", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 },
      { path = "/1/targets/list.json", fault = "latency", ms = 100 } }
    local members = {}
    for i = 1, 3 do
      members[i] = spawn { CT_LIMITER = store.url, CT_NAME = "m" .. i, CT_SENDS = 1500, CT_LISTS = 8, CT_CREATES = 2,
        CT_WARM = 1 }
    end
    local total = 0
    for i = 1, 3 do
      local r = finished(members[i])
      assert.same({}, r.errors)
      assert.equal(1500, r.accepted)
      assert.equal(10, r.ok) -- 8 lists, 2 creates
      total = total + r.accepted
    end
    assert.equal(4500, total)
    -- While all three send (from the last one's first request to the first
    -- one's last), each gets about a third of the ceiling: no member starved.
    -- The window is measured, not assumed: a slow start (a sanitizer build)
    -- leaves the early requests to the members already up.
    local reqs = U.logged("/1/send/push.json")
    table.sort(reqs, function(x, y) return x.time < y.time end)
    local who, first, last = {}, {}, {}
    for i, r in ipairs(reqs) do
      who[i] = r.json.to.Identity[1]:match("^(m%d)-")
      first[who[i]] = first[who[i]] or i
      last[who[i]] = i
    end
    local from = math.max(first.m1, first.m2, first.m3)
    local to = math.min(last.m1, last.m2, last.m3)
    assert.is_true(to - from >= 900, ("the three members sent together for only %d requests"):format(to - from))
    local share = {}
    for i = from, to do share[who[i]] = (share[who[i]] or 0) + 1 end
    for i = 1, 3 do
      local f = (share["m" .. i] or 0) / (to - from + 1)
      assert.is_true(f > 0.22 and f < 0.45, ("member %d had %.0f%% of the requests"):format(i, f * 100))
    end
    local stats = sandbox.stats()
    assert.is_nil(stats.by_status["429"], "the sandbox answered 429")
    local sends = times("/1/send/push.json")
    assert.equal(4500, #sends)
    if os.getenv("CT_DEBUG") then
      local h = {}
      for _, t in ipairs(sends) do local k = math.floor((t - sends[1]) * 10) h[k] = (h[k] or 0) + 1 end
      for k = 0, 60 do io.stderr:write(k, ":", h[k] or 0, " ") end
    end
    assert.is_true(max_per_second(sends) <= 1000, "a sliding second saw " .. max_per_second(sends))
    local rate = (#sends - 1) / (sends[#sends] - sends[1])
    assert.is_true(rate >= 900, ("aggregate %.0f requests/s"):format(rate))
    local creates = times("/1/targets/create.json")
    assert.equal(6, #creates)
    for i = 2, #creates do assert.is_true(creates[i] - creates[i - 1] >= 0.99) end
    assert.matches("create_rate", store:cli("KEYS", "clevertap:{SANDBOX-ACCOUNT-ID}:*"))
  end)

  it("a C host (CLEVERTAP_LIMITER) and two Lua processes share the send ceiling", function()
    local build = os.getenv("BUILD") or "build"
    local bin = files.temp_dir() .. "/limiter_host"
    local cc = (os.getenv("CC") or "cc") .. " -std=c99 -O2 " .. (os.getenv("SAN") or "")
    assert(os.execute(cc .. " -Iinclude/clevertap spec/c/limiter_host.c " .. quote(build .. "/libclevertap.a")
      .. " -ljansson -lcurl -lhiredis -lsqlite3 -lm -o " .. quote(bin)))
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 } }
    local host = spawn({ CLEVERTAP_LIMITER = store.url, CLEVERTAP_ACCOUNT_ID = sandbox.account_id,
      CLEVERTAP_PASSCODE = sandbox.passcode, CLEVERTAP_BASE_URL = sandbox.url(), CT_NAME = "c", CT_SENDS = 1500 }, bin)
    local lua = {}
    for i = 1, 2 do lua[i] = spawn { CT_LIMITER = store.url, CT_NAME = "m" .. i, CT_SENDS = 1500, CT_WARM = 1 } end
    assert.same({ accepted = 1500, failed = 0, unknown = 0, not_sent = 0 }, finished(host))
    for i = 1, 2 do assert.equal(1500, finished(lua[i]).accepted) end
    assert.is_nil(sandbox.stats().by_status["429"])
    local sends = times("/1/send/push.json")
    assert.equal(4501, #sends)
    assert.is_true(max_per_second(sends) <= 1000, "a sliding second saw " .. max_per_second(sends))
    local share = 0
    for _, r in ipairs(U.logged("/1/send/push.json")) do
      if r.json.to.Identity[1]:match("^c%-") then share = share + 1 end
    end
    assert.equal(1500, share)
    os.remove(bin)
  end)

  it("a slow request keeps its slots (renewed); a member killed with -9 frees them within the lease", function()
    sandbox.configure { targets_concurrency = 0 } -- the limiter alone keeps 3 in flight
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 3000, count = 3 } }
    local sem = "clevertap:{SANDBOX-ACCOUNT-ID}:targets_concurrency"
    local a = spawn { CT_LIMITER = store.url, CT_NAME = "a", CT_LISTS = 3, CT_LEASE = 1, CT_WARM = 1 }
    wait_logged("/1/targets/list.json", 3)
    assert.equal("3", store:cli("ZCARD", sem):match("%d+"))
    local b = spawn { CT_LIMITER = store.url, CT_NAME = "b", CT_LISTS = 2, CT_LEASE = 1 }
    assert.equal(3, finished(a).ok)
    assert.equal(2, finished(b).ok)
    local t = times("/1/targets/list.json")
    -- b waited for a's three slow requests, three lease times long
    assert.equal(5, #t)
    assert.is_true(t[4] - t[3] >= 2.8, ("b started %.2f s after a"):format(t[4] - t[3]))

    sandbox.reset()
    sandbox.configure { targets_concurrency = 0 }
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 20000, count = 3 } }
    local killed = spawn { CT_LIMITER = store.url, CT_NAME = "k", CT_LISTS = 3, CT_LEASE = 1, CT_WARM = 1 }
    wait_logged("/1/targets/list.json", 3)
    assert.equal("3", store:cli("ZCARD", sem):match("%d+"))
    os.execute("kill -9 " .. killed.pid)
    local tk = socket.gettime()
    local c = spawn { CT_LIMITER = store.url, CT_NAME = "c", CT_LISTS = 3, CT_LEASE = 1 }
    assert.equal(3, finished(c).ok)
    t = times("/1/targets/list.json")
    assert.equal(6, #t) -- k's three, then c's
    local regained = t[4] - tk
    assert.is_true(regained > 0.3 and regained <= 1.6, ("slots regained %.2f s after the kill"):format(regained))
    os.remove(killed.out); os.remove(killed.out .. ".log")
  end)

  local function outage(mode)
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 } }
    local m = spawn { CT_LIMITER = store.url, CT_NAME = mode, CT_SENDS = 500, CT_SEND_RATE = 100,
      CT_FAIL_MODE = mode, CT_MEMBERS = 2, CT_ATTEMPTS = 3 }
    wait_logged("/1/send/push.json", 80)
    store:stop()
    local down = socket.gettime()
    socket.sleep(1.5)
    local up = socket.gettime() -- the member may reconnect before start() sees the store answer
    store:start()
    local r = finished(m)
    assert.equal(500, r.accepted, cjson.encode(r))
    assert.same({}, r.errors)
    local during = 0
    for _, t in ipairs(times("/1/send/push.json")) do
      if t > down + 0.2 and t < up then during = during + 1 end
    end
    return r, during, up - down - 0.2
  end

  it("fail_mode closed: nothing is sent while the store is down, then the send resumes, all accepted", function()
    local r, during = outage("closed")
    assert.equal(0, during)
    local text = table.concat(r.logs, "\n")
    assert.matches("fail_mode closed: no request starts until it answers", text, 1, true)
    assert.matches("answers again", text, 1, true)
  end)

  it("fail_mode local: while the store is down this process keeps its share (rate / members)", function()
    local r, during, span = outage("local")
    assert.is_true(during > 0, "nothing was sent during the outage")
    assert.is_true(during / span <= 100 / 2 * 1.15, ("%.1f requests/s during the outage"):format(during / span))
    local text = table.concat(r.logs, "\n")
    assert.matches("fail_mode local", text, 1, true)
    assert.matches("answers again", text, 1, true)
  end)

  it("a 429 seen by one member holds every member off for its Retry-After", function()
    sandbox.faults { { path = "/1/send/*", fault = "429-retry-after", retry_after = 1, every = 40, count = 1 } }
    local a = spawn { CT_LIMITER = store.url, CT_NAME = "a", CT_SENDS = 150, CT_SEND_RATE = 100, CT_ATTEMPTS = 3,
      CT_WARM = 1 }
    local b = spawn { CT_LIMITER = store.url, CT_NAME = "b", CT_SENDS = 150, CT_SEND_RATE = 100, CT_ATTEMPTS = 3,
      CT_WARM = 1 }
    assert.equal(150, finished(a).accepted)
    assert.equal(150, finished(b).accepted)
    assert.equal(1, sandbox.stats().by_status["429"])
    local t, gap = times("/1/send/push.json"), 0
    for i = 2, #t do gap = math.max(gap, t[i] - t[i - 1]) end
    assert.equal(301, #t)
    assert.is_true(gap >= 0.95, ("the longest pause was %.2f s"):format(gap))
  end)

  it("shared_concurrency: the send concurrency is the account's too", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 200 } }
    local m = {}
    for i = 1, 2 do
      m[i] = spawn { CT_LIMITER = store.url, CT_NAME = "m" .. i, CT_SENDS = 40, CT_CONCURRENCY = 4,
        CT_SHARED_CONCURRENCY = 1, CT_WARM = 1 }
    end
    for i = 1, 2 do assert.equal(40, finished(m[i]).accepted) end
    -- a slot is taken again only after its answer: 200 ms apart at least
    local t, most, j = times("/1/send/push.json"), 0, 1
    for i = 1, #t do
      while t[i] - t[j] >= 0.19 do j = j + 1 end
      most = math.max(most, i - j + 1)
    end
    assert.is_true(most <= 4, most .. " send requests started within 190 ms")
    assert.is_true(most >= 3, "the members did not overlap")
  end)

  it("members configured differently: a warning, and the strictest value applies to both", function()
    local logs = {}
    local loose = U.client { limiter = store.url, send_rate = 1000,
      logger = function(_, msg) logs[#logs + 1] = msg end }
    local strict = U.client { limiter = store.url, send_rate = 20 }
    assert(strict:send("push", { to = { Identity = { "s" } }, content = U.content }).ok)
    local to = { Identity = U.ids(10) }
    local report = assert(loose:send("push", { to = to, content = U.content }))
    assert.is_true(report.ok)
    local t0 = socket.gettime()
    for i = 1, 30 do
      assert(loose:send("push", { to = { Identity = { "x" .. i } }, content = U.content }).ok)
    end
    local dt = socket.gettime() - t0
    assert.is_true(dt >= 1.0, ("30 sends at the stricter 20/s took %.2f s"):format(dt))
    assert.matches("set send_rate to 20", table.concat(logs, "\n"), 1, true)
    loose:close()
    strict:close()
  end)
end)

describe("clevertap --limiter", function()
  local store
  before_each(function() store = redis.start() end)
  after_each(function() store:stop() end)

  it("shares the account's limits through --limiter or CLEVERTAP_LIMITER; the password never printed", function()
    local cli = require "support.cli"
    local PW = "s3cret-limiter-pw"
    store:cli("CONFIG", "SET", "requirepass", PW)
    local dir = files.temp_dir()
    local msg = files.write(dir .. "/msg.lua", [[return { tag_group = "t", content = { title = "T", body = "B" } }]])
    local ids = files.write(dir .. "/ids.txt", cli.user_ids(2500) .. "\n")
    local url = ("redis://default:%s@127.0.0.1:%d/0"):format(PW, store.port)
    local function keys()
      return store:cli("-a", PW, "--no-auth-warning", "KEYS", "clevertap:{SANDBOX-ACCOUNT-ID}:*")
    end
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", ids, "--type", "Identity", "--limiter", url, "-v" },
      { env = cli.sandbox_env() })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("2,500 accepted", r.stdout, 1, true)
    assert.equal(3, #sandbox.requests { path = "/1/send/push.json", since = since })
    assert.matches("send_rate", keys())
    assert.not_matches(PW, r.stdout .. r.stderr)
    -- the same from the variable
    store:cli("-a", PW, "--no-auth-warning", "FLUSHALL")
    r = cli.run({ "send", "push", msg, "--ids", ids, "--type", "Identity" },
      { env = cli.sandbox_env { CLEVERTAP_LIMITER = url } })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("send_rate", keys())
    -- a dry run contacts no store: a dead one does not matter
    r = cli.run({ "send", "push", msg, "--ids", ids, "--type", "Identity", "--dry-run",
      "--limiter", "redis://default:x@127.0.0.1:1/0" }, { env = cli.sandbox_env() })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("dry run", r.stdout)
  end)
end)

describe("redis limiter options", function()
  it("a redis URL's password never shows in errors or log lines", function()
    local ok, err = require("clevertap").new { account_id = "a", passcode = "p", base_url = "http://127.0.0.1:1/1",
      limiter = "redis://user:s3cret-pw@127.0.0.1:notaport/0" }
    assert.is_nil(ok)
    assert.not_matches("s3cret", tostring(err))
    local logs = {}
    local client = U.client { limiter = "redis://user:s3cret-pw@127.0.0.1:1/0",
      logger = function(_, msg) logs[#logs + 1] = msg end }
    local to = { Identity = U.ids(5) }
    local job = client:start_send("push", { to = to, content = U.content })
    client:poll(0.3)
    client:close()
    local report = job:result()
    assert.is_true(U.accounted(to, report))
    assert.equal(5, #report.not_sent[1].to.Identity)
    local text = table.concat(logs, "\n")
    assert.matches("unusable", text, 1, true)
    assert.not_matches("s3cret", text)
  end)

  it("misuse raises: fail_mode, unknown limiters", function()
    local clevertap = require "clevertap"
    assert.has_error(function() clevertap.new { limiter = "local", fail_mode = "open" } end,
      'clevertap.new: option "fail_mode" must be "closed" or "local"')
    local c, err = clevertap.new { account_id = "a", passcode = "p", limiter = "memcached://x" }
    assert.is_nil(c)
    assert.matches("unknown limiter", err.message)
    c = assert(clevertap.new { account_id = "a", passcode = "p", limiter = "local" })
    c:close()
  end)
end)
