-- Lua transports (function and table with concurrency hooks) driving the
-- same engine, the pump, and the generic request runner (clevertap.http).
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local cjson = require "cjson"

-- A function transport over luasocket: what a user without libcurl writes.
local function socket_transport(log)
  local http = require "socket.http"
  local ltn12 = require "ltn12"
  return function(req)
    if log then log[#log + 1] = req end
    local chunks = {}
    local headers = {}
    for k, v in pairs(req.headers) do headers[k] = v end
    headers["Content-Length"] = tostring(#req.body)
    local ok, status, rheaders = http.request {
      url = req.url, method = req.method, headers = headers,
      source = ltn12.source.string(req.body), sink = ltn12.sink.table(chunks),
    }
    if not ok then return nil, { kind = "network", sent = true, message = tostring(status) } end
    return { status = status, headers = rheaders, body = table.concat(chunks) }
  end
end

describe("Lua function transport", function()
  before_each(function() sandbox.reset() end)

  it("drives batching and the report like libcurl does", function()
    local log = {}
    local client = U.client { transport = socket_transport(log) }
    local report = assert(client:send("push", { to = { Identity = U.ids(2500) }, content = U.content }))
    client:close()
    assert.is_true(report.ok)
    assert.equal(2500, report.accepted)
    assert.equal(3, report.requests)
    assert.equal(3, #log)
    local r = log[1]
    assert.equal("POST", r.method)
    assert.equal(sandbox.url() .. "/send/push.json", r.url)
    assert.equal("application/json; charset=utf-8", r.headers["Content-Type"])
    assert.matches("^lua%-clevertap/[%d.]+ %(lua%)$", r.headers["User-Agent"])
    assert.is_true(r.verify_tls)
    assert.equal(1, r.attempt)
    assert.equal(3, #U.logged("/1/send/push.json"))
  end)

  it("works for single calls", function()
    local client = U.client { transport = socket_transport() }
    local res = assert(client:list { from = 20240101, to = 20240102 })
    client:close()
    assert.equal("success", res.status)
  end)

  it("retries failures before sending, not after", function()
    local calls = 0
    local client = U.client { transport = function()
      calls = calls + 1
      if calls <= 2 then return nil, { kind = "network", sent = false, message = "connection refused" } end
      return { status = 200, body = '{"status":"success"}' }
    end }
    local report = assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
    assert.is_true(report.ok)
    assert.equal(3, report.requests)

    calls = 0
    local c2 = U.client { transport = function()
      calls = calls + 1
      return nil, { kind = "timeout", sent = true, message = "no answer" }
    end }
    local r2 = assert(c2:send("push", { to = { Identity = { "a", "b" } }, content = U.content }))
    assert.equal(1, calls)
    assert.equal(1, #r2.unknown)
    assert.equal("timeout", r2.unknown[1].error.kind)
    client:close()
    c2:close()
  end)

  it("a transport that raises or returns nothing is an unknown outcome", function()
    local client = U.client { transport = function() error("socket exploded") end }
    local report = assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
    assert.equal(1, #report.unknown)
    assert.matches("socket exploded", report.unknown[1].error.message)
    client:close()
    local c2 = U.client { transport = function() end }
    local r2 = assert(c2:send("push", { to = { Identity = { "a" } }, content = U.content }))
    assert.equal(1, #r2.unknown)
    c2:close()
  end)

  it("Retry-After from a Lua transport is honoured", function()
    local core = require "clevertap.core"
    local times = {}
    local client = U.client { transport = function()
      times[#times + 1] = core.now()
      if #times == 1 then
        return { status = 429, headers = { ["retry-after"] = "1" }, body = '{"status":"fail","code":429}' }
      end
      return { status = 200, body = '{"status":"success"}' }
    end }
    assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
    client:close()
    assert.equal(2, #times)
    assert.is_true(times[2] - times[1] >= 0.95)
  end)

  it("raises on a malformed transport (misuse)", function()
    local clevertap = require "clevertap"
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", transport = 42 } end)
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", transport = {} } end)
    assert.has_error(function()
      clevertap.new { account_id = "a", passcode = "p", transport = { request = print, spawn = print } }
    end)
  end)
end)

describe("table transport with coroutine workers", function()
  -- a minimal cooperative scheduler, as OpenResty's light threads would be
  local function scheduler()
    local threads = {}
    local s = {}
    function s.spawn(_, fn)
      local co = coroutine.create(fn)
      threads[#threads + 1] = co
      return co
    end
    function s.step()
      for _, co in ipairs(threads) do
        if coroutine.status(co) == "suspended" then assert(coroutine.resume(co)) end
      end
    end
    function s.join(_, co)
      while coroutine.status(co) ~= "dead" do s.step() end
    end
    function s.sleep() coroutine.yield() end
    return s
  end

  it("runs requests concurrently within the send cap", function()
    local sch = scheduler()
    local inflight, peak, calls = 0, 0, 0
    local transport = {
      concurrency = 8, spawn = sch.spawn, join = sch.join, sleep = sch.sleep,
      request = function(_, req)
        calls = calls + 1
        inflight = inflight + 1
        if inflight > peak then peak = inflight end
        for _ = 1, 3 do coroutine.yield() end -- waiting on the network
        inflight = inflight - 1
        local body = cjson.decode(req.body)
        assert(#body.to.Identity <= 1000)
        return { status = 200, body = '{"status":"success"}' }
      end,
    }
    local client = U.client { transport = transport, concurrency = 3 }
    local report = assert(client:send("push", { to = { Identity = U.ids(9000) }, content = U.content }))
    client:close()
    assert.equal(9000, report.accepted)
    assert.equal(9, calls)
    assert.equal(3, peak)
  end)
end)

describe("the pump", function()
  it("hands out requests and takes outcomes; unknown ids raise", function()
    local client = U.client { transport = function() error("unused") end }
    local job = client:start_send("push", { to = { Identity = U.ids(1500) }, content = U.content })
    local a = assert(client:next_request())
    local b = assert(client:next_request())
    assert.not_equal(a.id, b.id)
    assert.is_nil((client:next_request()))
    assert.equal(2, client:pending())
    client:complete(a.id, { status = 200, body = '{"status":"success"}' })
    client:complete(b.id, nil, { kind = "network", sent = true, message = "lost" })
    assert.has_error(function() client:complete(a.id, { status = 200 }) end)
    -- the report may take more than one poll's budget to build
    local core = require "clevertap.core"
    local t0 = core.now()
    repeat client:poll(0) until job:is_done() or core.now() - t0 > 5
    local report = assert(job:result())
    assert.equal(1000, report.accepted)
    assert.equal(500, report.unknown[1].count)
    client:close()
  end)
end)

describe("clevertap.http runner", function()
  local http = require "clevertap.http"
  before_each(function() sandbox.reset() end)

  local function provider_url(name) return sandbox.root() .. "/provider/" .. name .. "/send" end

  it("runs requests with a per-item report; classify turns 200 failures into fails", function()
    sandbox.provider("acme", { auth = "none", status = 200,
      body = { status = "error", error = "invalid number" } })
    sandbox.provider("okco", { auth = "none" })
    local runner = http.new { concurrency = 4, retry = { base_delay = 0.01 } }
    local reqs = {}
    for i = 1, 6 do
      local name = i % 2 == 0 and "acme" or "okco"
      reqs[i] = { method = "POST", url = provider_url(name), headers = { ["Content-Type"] = "application/json" },
        body = cjson.encode { to = "+1555000" .. i }, items = { "+1555000" .. i } }
    end
    local report = assert(runner:run(reqs, { classify = function(res)
      local b = cjson.decode(res.body)
      if res.status == 200 and b.status == "success" then return "ok" end
      return "fail", { kind = "api", message = b.error }
    end }))
    runner:close()
    assert.equal(3, report.accepted)
    assert.equal(3, #report.failed)
    assert.equal("invalid number", report.failed[1].error.message)
    assert.equal("api", report.failed[1].error.kind)
    assert.equal(6, report.requests)
    assert.equal(6, #sandbox.requests { prefix = "/provider/" })
  end)

  it("refreshes a header before retrying a 401 (OAuth2 token refresh)", function()
    sandbox.provider("oauthco", { auth = "oauth" })
    local runner = http.new { retry = { base_delay = 0.01 } }
    local function token()
      local _, body = sandbox.request { method = "POST", path = "/provider/oauth/token",
        body = "grant_type=client_credentials&client_id=sandbox-client&client_secret=sandbox-secret",
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
      return body.access_token
    end
    local refreshed = 0
    local report = assert(runner:run({
      { url = provider_url("oauthco"), headers = { Authorization = "Bearer stale" }, body = "{}", items = { 1, 2 } },
    }, { classify = function(res, req)
      if res.status == 401 and req.attempt == 1 then
        refreshed = refreshed + 1
        return "retry", { headers = { Authorization = "Bearer " .. token() }, after = 0 }
      end
      return http.default_classify(res)
    end }))
    runner:close()
    assert.equal(1, refreshed)
    assert.is_true(report.ok)
    assert.equal(2, report.accepted)
    assert.equal(2, report.requests)
  end)

  it("logs retries, refusals and unknown outcomes through its logger", function()
    sandbox.provider("logco", { auth = "none" })
    sandbox.faults {
      { path = "/provider/logco/*", fault = "429", count = 1 },
      { path = "/provider/logco/*", fault = "drop", count = 1 },
    }
    local lines = {}
    local runner = http.new { concurrency = 1, retry = { base_delay = 0.01, max_delay = 0.02 },
      logger = function(level, message) lines[#lines + 1] = level .. " " .. message end }
    local report = assert(runner:run {
      { url = provider_url("logco"), body = "{}" },
      { url = provider_url("logco"), body = "{}" },
      { url = sandbox.root() .. "/nowhere/at/all", body = "{}" },
    })
    runner:close()
    assert.equal(1, report.accepted)
    assert.equal(1, #report.unknown)
    assert.equal(1, #report.failed)
    local text = table.concat(lines, "\n")
    assert.matches("warn POST [^\n]*/provider/logco/send: HTTP 429", text)
    assert.matches("retry 1 of", text, 1, true)
    assert.matches("/nowhere/at/all", text, 1, true)
    assert.is_true(#lines >= 3, text)
    assert.has_error(function() http.new { logger = "yes" } end)
  end)

  it("refuses bad requests before sending and reports unknown outcomes", function()
    local runner = http.new {}
    local _, err = runner:run { { url = "http://x/", headers = { A = "x\r\ny" } } }
    assert.equal("validation", err.kind)
    assert.has_error(function() http.new { concurrency = 0 } end)
    assert.has_error(function() runner:run({}, { clasify = print }) end)
    sandbox.faults { { path = "/provider/*", fault = "drop", count = 1 } }
    local report = assert(runner:run({ { url = provider_url("x"), body = "{}" } }))
    assert.equal(1, #report.unknown)
    assert.equal(1, report.requests)
    runner:close()
  end)

  it("takes requests from an iterator and a Lua transport", function()
    local seen = 0
    local runner = http.new { transport = function(req)
      seen = seen + 1
      assert.equal("PUT", req.method)
      return { status = 200, body = "" }
    end }
    local i = 0
    local report = assert(runner:run(function()
      i = i + 1
      if i <= 5 then return { method = "PUT", url = "http://example.invalid/" .. i } end
    end))
    runner:close()
    assert.equal(5, seen)
    assert.equal(5, report.accepted)
  end)

  it("keeps to its concurrency and retries 429 honouring Retry-After", function()
    local core = require "clevertap.core"
    sandbox.faults { { path = "/provider/slow/*", fault = "latency", ms = 150 } }
    local runner = http.new { concurrency = 2 }
    local reqs = {}
    for i = 1, 6 do reqs[i] = { url = provider_url("slow"), body = "{}", items = { i } } end
    local t0 = core.now()
    local report = assert(runner:run(reqs))
    local dt = core.now() - t0
    assert.equal(6, report.accepted)
    assert.is_true(dt >= 0.44 and dt < 0.9, "took " .. dt) -- 3 rounds of 2
    sandbox.faults { { path = "/provider/*", fault = "429-retry-after", retry_after = 1, count = 1 } }
    t0 = core.now()
    report = assert(runner:run { { url = provider_url("r"), body = "{}" } })
    runner:close()
    assert.is_true(report.ok)
    assert.equal(2, report.requests)
    assert.is_true(core.now() - t0 >= 0.95)
  end)
end)

-- Inside nginx (stubbed: the ngx globals the transport looks for) the
-- default transport is the cosocket one, sized by the options, and libcurl
-- is refused: its waiting would block the nginx worker.
describe("transport inside nginx (stubbed ngx)", function()
  local clevertap = require "clevertap"
  local saved
  before_each(function()
    saved = rawget(_G, "ngx")
    rawset(_G, "ngx", {
      socket = { tcp = function() error("no network in this spec") end },
      get_phase = function() return "timer" end,
      thread = { spawn = function() end, wait = function() end },
      sleep = function() end, now = function() return 0 end, update_time = function() end,
    })
  end)
  after_each(function() rawset(_G, "ngx", saved) end)

  it("defaults to clevertap.transport.ngx with the client's concurrency", function()
    local c = assert(clevertap.new { account_id = "a", passcode = "p", concurrency = 16 })
    assert.is_table(c.transport)
    assert.equal(16, c.transport.concurrency)
    assert.matches("%(lua%)", c:info().user_agent)
    local c2 = assert(clevertap.new { account_id = "a", passcode = "p" })
    assert.equal(200, c2.transport.concurrency)
    assert.equal(require("clevertap.core").default_concurrency, c2.transport.concurrency)
    local runner = require("clevertap.http").new { concurrency = 5 }
    assert.equal(5, runner.transport.concurrency)
  end)

  it("refuses transport = \"curl\" with an error naming the reason", function()
    local ok, err = pcall(clevertap.new, { account_id = "a", passcode = "p", transport = "curl" })
    assert.is_false(ok)
    assert.matches("curl", err)
    assert.matches("block the nginx worker", err, 1, true)
    ok, err = pcall(require("clevertap.http").new, { transport = "curl" })
    assert.is_false(ok)
    assert.matches("block the nginx worker", err, 1, true)
  end)

  it("outside nginx, \"curl\" is the default and accepted", function()
    rawset(_G, "ngx", nil)
    local c = assert(clevertap.new { account_id = "a", passcode = "p", transport = "curl" })
    assert.is_nil(c.transport)
    assert.matches("libcurl", c:info().user_agent)
  end)
end)
