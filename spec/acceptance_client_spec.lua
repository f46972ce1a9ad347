-- Acceptance: the client as SPEC.md ("Client", "send") and the API reference
-- (notifications-api-legacy.txt: headers, limits, error codes) describe it,
-- written from those texts against the sandbox: construction and the
-- environment, region hosts, every call's return shape, error fields and
-- kinds, validation before any request, the send report's accounting, the
-- exact headers on the wire, and the passcode kept out of errors.
local clevertap = require "clevertap"
local cjson = require "cjson"
local sandbox = require "support.sandbox"

local ACCOUNT, PASSCODE = sandbox.account_id, sandbox.passcode
local KINDS = { validation = true, http = true, api = true, network = true, timeout = true,
  rate_limited = true, not_completed = true }

local CAMPAIGN = {
  name = "Acceptance campaign",
  where = { event_name = "App Launched", from = 20240101, to = 20240131 },
  content = { title = "Hi!", body = "How are you doing today?" },
  devices = { "android", "ios" },
  when = "now",
}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function ids(n, prefix)
  local t = {}
  for i = 1, n do t[i] = (prefix or "u") .. i end
  return t
end

-- Fast retries keep fault tests short; everything else stays at its default.
local function new_client(extra)
  local o = { account_id = ACCOUNT, passcode = PASSCODE, base_url = sandbox.url(),
    retry = { base_delay = 0.01, max_delay = 0.05 } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return assert(clevertap.new(o))
end

-- An error as SPEC.md describes it, whatever its kind.
local function assert_err(err, kind)
  assert.is_table(err)
  assert.equal(kind, err.kind)
  assert.is_true(KINDS[err.kind] ~= nil)
  assert.is_string(err.message)
  assert.is_true(#err.message > 0)
  assert.is_boolean(err.retryable)
  assert.is_true(err.status == nil or type(err.status) == "number")
  assert.is_true(err.code == nil or type(err.code) == "number")
  local line = tostring(err)
  assert.is_string(line)
  assert.is_nil(line:find("[\r\n]"), "tostring(err) is one line: " .. line)
  assert.is_nil(line:find(PASSCODE, 1, true))
  assert.is_nil(err.message:find(PASSCODE, 1, true))
  return err
end

-- Runs Lua code in a child with only the given CLEVERTAP_* variables set.
local function run_with_env(env, code)
  local interp = os.getenv("CT_LUA") or "lua5.4"
  local parts = { "env -u CLEVERTAP_ACCOUNT_ID -u CLEVERTAP_PASSCODE -u CLEVERTAP_REGION -u CLEVERTAP_BASE_URL" }
  for k, v in pairs(env) do parts[#parts + 1] = k .. "='" .. v .. "'" end
  local cmd = table.concat(parts, " ") .. (" %s -e %q 2>&1"):format(interp, code)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

-- A transport that records requests and answers as told (no network).
local function recorder(answer)
  local seen = {}
  local function transport(req)
    seen[#seen + 1] = req
    if answer then return answer(req) end
    return { status = 200, headers = {}, body = '{"status":"success"}' }
  end
  return transport, seen
end

-- Every identity of `to` in exactly one of: accepted batch, failed, unknown.
local function accounted(to, report)
  local total = 0
  for _, list in pairs(to) do total = total + #list end
  local where, elsewhere = {}, 0
  for _, which in ipairs { "failed", "unknown" } do
    for _, e in ipairs(report[which]) do
      assert.is_table(e.to)
      assert.is_table(e.error)
      for ty, list in pairs(e.to) do
        for _, id in ipairs(list) do
          local k = ty .. ":" .. id
          assert.is_nil(where[k], k .. " appears twice in the report")
          where[k] = which
          elsewhere = elsewhere + 1
        end
      end
    end
  end
  assert.equal(total, report.accepted + elsewhere)
  return where
end

describe("acceptance: client", function()
  before_each(function()
    sandbox.reset()
  end)

  describe("clevertap.new", function()
    it("returns a client with every call of SPEC.md", function()
      local c = new_client()
      for _, name in ipairs { "create_campaign", "estimate", "list", "stop", "result", "trigger", "send" } do
        assert.is_function(c[name], name)
      end
    end)

    it("maps regions to their hosts: Europe without a prefix, others <region>.api.clevertap.com", function()
      local want = {
        eu1 = "https://api.clevertap.com/1/targets/stop.json",
        in1 = "https://in1.api.clevertap.com/1/targets/stop.json",
        sg1 = "https://sg1.api.clevertap.com/1/targets/stop.json",
        us1 = "https://us1.api.clevertap.com/1/targets/stop.json",
        aps3 = "https://aps3.api.clevertap.com/1/targets/stop.json",
        mec1 = "https://mec1.api.clevertap.com/1/targets/stop.json",
      }
      for region, url in pairs(want) do
        local t, seen = recorder()
        local c = assert(clevertap.new { account_id = "a", passcode = "p", region = region, transport = t })
        assert(c:stop(1457432766))
        assert.equal(1, #seen)
        assert.equal(url, seen[1].url)
        assert.equal("POST", seen[1].method)
      end
      -- no region: Europe
      local t, seen = recorder()
      local c = assert(clevertap.new { account_id = "a", passcode = "p", transport = t })
      assert(c:stop(1))
      assert.equal(want.eu1, seen[1].url)
    end)

    it("base_url overrides the region", function()
      local c = assert(clevertap.new { account_id = ACCOUNT, passcode = PASSCODE, region = "in1",
        base_url = sandbox.url() })
      assert(c:list { from = 20250101, to = 20250131 })
      assert.equal(1, #sandbox.requests { path = "/1/targets/list.json" })
    end)

    it("refuses an unknown region and missing credentials with nil, err of kind validation", function()
      local c, err = clevertap.new { account_id = "a", passcode = "p", region = "mars1" }
      assert.is_nil(c)
      assert_err(err, "validation")
      assert.is_false(err.retryable)
      local out = run_with_env({}, [[
        local c, err = require("clevertap").new{ base_url = "http://127.0.0.1:1/1" }
        print(c == nil and err.kind)]])
      assert.equal("validation", out)
      out = run_with_env({ CLEVERTAP_ACCOUNT_ID = "a" }, [[
        local c, err = require("clevertap").new{ base_url = "http://127.0.0.1:1/1" }
        print(c == nil and err.kind)]])
      assert.equal("validation", out)
    end)

    it("takes credentials and base URL from CLEVERTAP_ACCOUNT_ID/PASSCODE/BASE_URL", function()
      local out = run_with_env({ CLEVERTAP_ACCOUNT_ID = ACCOUNT, CLEVERTAP_PASSCODE = PASSCODE,
        CLEVERTAP_BASE_URL = sandbox.url() }, [[
        local c = assert(require("clevertap").new{})
        local res, err = c:list{ from = 20250101, to = 20250131 }
        print(res and res.status or tostring(err))]])
      assert.equal("success", out)
      local logged = sandbox.requests { path = "/1/targets/list.json" }
      assert.equal(1, #logged)
      assert.equal(ACCOUNT, logged[1].headers["x-clevertap-account-id"])
      -- nothing given at all in code: clevertap.new() works too
      out = run_with_env({ CLEVERTAP_ACCOUNT_ID = ACCOUNT, CLEVERTAP_PASSCODE = PASSCODE,
        CLEVERTAP_BASE_URL = sandbox.url() }, [[
        local c = assert(require("clevertap").new())
        print((assert(c:stop(1)) or {}).status)]])
      -- campaign 1 does not exist: the call fails, but it was made with the env's credentials
      assert.is_nil(out:find("Invalid account ID", 1, true))
    end)

    it("takes the region from CLEVERTAP_REGION; options in code win over the environment", function()
      local code = [[
        local seen
        local c = assert(require("clevertap").new{ account_id = "a", passcode = "p", %s
          transport = function(req) seen = req.url
            return { status = 200, body = '{"status":"success"}' } end })
        c:stop(1)
        print(seen)]]
      assert.equal("https://sg1.api.clevertap.com/1/targets/stop.json",
        run_with_env({ CLEVERTAP_REGION = "sg1" }, code:format("")))
      assert.equal("https://in1.api.clevertap.com/1/targets/stop.json",
        run_with_env({ CLEVERTAP_REGION = "sg1" }, code:format("region = 'in1',")))
      assert.equal("http://127.0.0.1:9/1/targets/stop.json",
        run_with_env({ CLEVERTAP_REGION = "sg1", CLEVERTAP_BASE_URL = "http://127.0.0.1:9/1" }, code:format("")))
    end)
  end)

  describe("headers", function()
    it("sends exactly the documented headers with every request", function()
      local c = new_client()
      assert(c:send("push", { to = { Identity = { "a" } }, content = { title = "t", body = "b" } }))
      assert(c:list { from = 20250101, to = 20250131 })
      local reqs = sandbox.requests {}
      assert.equal(2, #reqs)
      for _, r in ipairs(reqs) do
        assert.equal("POST", r.method)
        assert.equal(ACCOUNT, r.headers["x-clevertap-account-id"])
        -- the sandbox redacts the passcode in its log; its presence and
        -- correctness show in the 200 answer (wrong credentials get 401)
        assert.equal("REDACTED", r.headers["x-clevertap-passcode"])
        assert.equal("application/json; charset=utf-8", r.headers["content-type"])
        assert.is_string(r.headers["user-agent"])
        assert.matches("^lua%-clevertap/", r.headers["user-agent"])
        for name in pairs(r.headers) do
          assert.is_true(({ host = true, ["user-agent"] = true, ["x-clevertap-account-id"] = true,
            ["x-clevertap-passcode"] = true, ["content-type"] = true, ["content-length"] = true })[name],
            "unexpected header " .. name)
        end
      end
      -- the passcode itself, exactly
      local t, seen = recorder()
      local c2 = assert(clevertap.new { account_id = ACCOUNT, passcode = PASSCODE, transport = t })
      assert(c2:stop(5))
      assert.equal(PASSCODE, seen[1].headers["X-CleverTap-Passcode"])
      assert.equal(ACCOUNT, seen[1].headers["X-CleverTap-Account-Id"])
      assert.equal("application/json; charset=utf-8", seen[1].headers["Content-Type"])
      assert.same({ id = 5 }, cjson.decode(seen[1].body))
    end)
  end)

  describe("calls", function()
    it("create_campaign returns the decoded answer; result is nil, not_completed until done", function()
      local c = new_client()
      local res, err = c:create_campaign(CAMPAIGN)
      assert.is_nil(err)
      assert.equal("success", res.status)
      assert.is_number(res.id)
      assert.equal(math.floor(res.id), res.id)
      local logged = sandbox.requests { path = "/1/targets/create.json" }
      assert.equal(1, #logged)
      assert.equal("Acceptance campaign", cjson.decode(logged[1].body).name)

      local r2, e2 = c:result(res.id)
      assert.is_nil(r2)
      assert_err(e2, "not_completed")
      assert.equal(1, #sandbox.requests { path = "/1/targets/result.json" })

      sandbox.complete(res.id, { sent = 82, clicked = 28 })
      local r3 = assert(c:result(res.id))
      assert.equal("success", r3.status)
      assert.equal(82, r3.result.sent)
      assert.equal(28, r3.result.clicked)
    end)

    it("estimate posts targets/create with estimate_only = true and creates nothing", function()
      local c = new_client()
      local res = assert(c:estimate(CAMPAIGN))
      assert.equal("success", res.status)
      assert.is_table(res.estimates)
      local logged = sandbox.requests { path = "/1/targets/create.json" }
      assert.equal(1, #logged)
      assert.is_true(cjson.decode(logged[1].body).estimate_only)
      assert.equal(0, #(sandbox.complete_all() or {}))
    end)

    it("list, stop and trigger return the decoded answers", function()
      local c = new_client()
      local later = copy(CAMPAIGN)
      later.when = os.date("!%Y%m%d %H:%M", os.time() + 10 * 86400)
      local created = assert(c:create_campaign(later))
      local day = tonumber(os.date("!%Y%m%d"))
      local listed = assert(c:list { from = day - 1, to = tonumber(os.date("!%Y%m%d", os.time() + 20 * 86400)) })
      assert.equal("success", listed.status)
      assert.is_table(listed.targets)
      local found = false
      for _, t in ipairs(listed.targets) do found = found or t.id == created.id end
      assert.is_true(found)
      local stopped = assert(c:stop(created.id))
      assert.equal("success", stopped.status)
      assert.same({ id = created.id }, cjson.decode(sandbox.requests { path = "/1/targets/stop.json" }[1].body))

      local trig = assert(c:trigger(sandbox.fixture("targets-trigger")))
      assert.equal("success", trig.status)
      assert.equal(1, #sandbox.requests { path = "/1/targets/trigger.json" })
    end)

    it("an API failure is nil, err of kind api with status and code", function()
      local c = new_client()
      local res, err = c:stop(42) -- no such campaign
      assert.is_nil(res)
      assert_err(err, "api")
      assert.equal(400, err.status)
      assert.is_number(err.code)
      assert.is_false(err.retryable)
    end)
  end)

  describe("validation", function()
    local bad = copy(CAMPAIGN)
    bad.when = "tomorrow at noon"
    bad.devices = { "toaster" }

    it("an invalid payload returns kind validation with err.errors and makes NO request", function()
      local c = new_client()
      local before = sandbox.last_seq()
      for _, call in ipairs {
        function() return c:create_campaign(bad) end,
        function() return c:estimate(bad) end,
        function() return c:trigger { name = 12 } end,
        function() return c:send("push", { to = { Identity = { "a" } }, content = { title = 1 } }) end,
        function() return c:send("push", { to = { Identity = { "a" } } }) end,
        function() return c:send("email", { to = {}, content = { subject = "s", body = "b" } }) end,
      } do
        local res, err = call()
        assert.is_nil(res)
        assert_err(err, "validation")
        assert.is_false(err.retryable)
        assert.is_nil(err.status)
        assert.is_table(err.errors)
        local n_errors = 0
        for _, p in ipairs(err.errors) do
          assert.is_string(p.pointer)
          assert.is_string(p.message)
          assert.is_true(p.severity == "error" or p.severity == "warning")
          if p.severity == "error" then n_errors = n_errors + 1 end
        end
        assert.is_true(n_errors >= 1)
      end
      local res, err = c:create_campaign(bad)
      assert.is_nil(res)
      assert.is_true(#err.errors >= 2) -- every problem, not only the first
      assert.equal(before, sandbox.last_seq())
      assert.equal(0, sandbox.stats().requests)
    end)

    it("a bad identity refuses the whole send before any request", function()
      local c = new_client()
      local to = { Identity = ids(1500), Email = { "a@example.com", 7 } }
      local res, err = c:send("push", { to = to, content = { title = "t", body = "b" } })
      assert.is_nil(res)
      assert_err(err, "validation")
      local pointers = {}
      for _, p in ipairs(err.errors) do pointers[#pointers + 1] = p.pointer end
      assert.matches("/to/Email/1", table.concat(pointers, " "), 1, true)
      assert.equal(0, sandbox.stats().requests)
    end)
  end)

  describe("error kinds", function()
    it("status fail inside HTTP 200 is kind api with code and message", function()
      local t = recorder(function()
        return { status = 200, headers = { ["content-type"] = "application/json" },
          body = '{"status":"fail","error":"Invalid recipients","code":84}' }
      end)
      local c = assert(clevertap.new { account_id = "a", passcode = "p", transport = t })
      local res, err = c:stop(7)
      assert.is_nil(res)
      assert_err(err, "api")
      assert.equal(84, err.code)
      assert.equal(200, err.status)
      assert.matches("Invalid recipients", err.message, 1, true)
      assert.is_false(err.retryable)
      -- also from the server itself (result before completion is HTTP 200 fail)
      local r = assert(new_client():create_campaign(CAMPAIGN))
      local _, e2 = new_client():result(r.id)
      assert.equal("not_completed", e2.kind)
      assert.equal(200, e2.status)
    end)

    it("a send whose batch gets status fail in HTTP 200 reports it failed with kind api", function()
      local n = 0
      local t = recorder(function()
        n = n + 1
        if n == 2 then
          return { status = 200, body = '{"status":"fail","error":"to is a mandatory field","code":21}' }
        end
        return { status = 200, body = '{"status":"success","message":"Added to queue for processing"}' }
      end)
      local c = assert(clevertap.new { account_id = "a", passcode = "p", transport = t, concurrency = 1 })
      local to = { Identity = ids(2500) }
      local report = assert(c:send("push", { to = to, content = { title = "t", body = "b" } }))
      assert.is_false(report.ok)
      assert.equal(1500, report.accepted)
      assert.equal(1, #report.failed)
      assert_err(report.failed[1].error, "api")
      assert.equal(21, report.failed[1].error.code)
      accounted(to, report)
    end)

    it("HTTP errors without a CleverTap body are kind http with the status", function()
      local c = new_client()
      sandbox.faults { { path = "/1/targets/stop.json", fault = "non-json", status = 404 } }
      local res, err = c:stop(1)
      assert.is_nil(res)
      assert_err(err, "http")
      assert.equal(404, err.status)
      assert.is_false(err.retryable)
    end)

    it("500 with code 89 is retried; when it persists it is kind api, code 89, retryable", function()
      local c = new_client { retry = { attempts = 3, base_delay = 0.01, max_delay = 0.02 } }
      sandbox.faults { { path = "/1/targets/stop.json", fault = "500-89", count = 1 } }
      local res = assert(c:stop((assert(c:create_campaign(CAMPAIGN)).id)))
      assert.equal("success", res.status)
      assert.equal(2, #sandbox.requests { path = "/1/targets/stop.json" })
      sandbox.faults { { path = "/1/targets/stop.json", fault = "500-89" } }
      local _, err = c:stop(1)
      assert_err(err, "api")
      assert.equal(500, err.status)
      assert.equal(89, err.code)
      assert.is_true(err.retryable)
    end)

    it("429 is kind rate_limited and retryable, Retry-After honoured", function()
      local c = new_client { retry = { attempts = 2, base_delay = 0.01, max_delay = 0.02 } }
      sandbox.faults { { path = "/1/targets/list.json", fault = "429" } }
      local _, err = c:list { from = 20250101, to = 20250131 }
      assert_err(err, "rate_limited")
      assert.equal(429, err.status)
      assert.is_true(err.retryable)
      assert.equal(2, #sandbox.requests { path = "/1/targets/list.json" })

      sandbox.reset()
      sandbox.faults { { path = "/1/targets/list.json", fault = "429-retry-after", retry_after = 1, count = 1 } }
      local socket = require "socket"
      local s0 = socket.gettime()
      assert(c:list { from = 20250101, to = 20250131 })
      local took = socket.gettime() - s0
      assert.is_true(took >= 0.9 and took < 5, "Retry-After: 1 honoured, took " .. took)
    end)

    it("a refused connection is kind network, retryable", function()
      local c = assert(clevertap.new { account_id = ACCOUNT, passcode = PASSCODE,
        base_url = "http://127.0.0.1:1/1", retry = { attempts = 2, base_delay = 0.01, max_delay = 0.02 } })
      local _, err = c:list { from = 20250101, to = 20250131 }
      assert_err(err, "network")
      assert.is_nil(err.status)
      assert.is_true(err.retryable)
    end)

    it("a request that outlives its timeout is kind timeout", function()
      local c = new_client { timeout = 0.3, retry = { attempts = 1 } }
      sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 1500 } }
      local _, err = c:list { from = 20250101, to = 20250131 }
      assert_err(err, "timeout")
      assert.is_nil(err.status)
    end)

    it("wrong credentials: the passcode is in no message, tostring or report", function()
      local secret = "S3CRET-PASSCODE-XYZ"
      local c = assert(clevertap.new { account_id = ACCOUNT, passcode = secret, base_url = sandbox.url() })
      local _, err = c:list { from = 20250101, to = 20250131 }
      assert.is_table(err)
      assert.equal(401, err.status)
      assert.is_nil(err.message:find(secret, 1, true))
      assert.is_nil(tostring(err):find(secret, 1, true))
      local report = assert(c:send("push", { to = { Identity = { "a" } }, content = { title = "t", body = "b" } }))
      assert.is_false(report.ok)
      assert.equal(1, #report.failed)
      assert.is_nil(tostring(report.failed[1].error):find(secret, 1, true))
      -- a server echoing the passcode back
      local t = recorder(function(req)
        return { status = 400, body = cjson.encode { status = "fail", code = 401,
          error = "bad passcode " .. req.headers["X-CleverTap-Passcode"] } }
      end)
      local c2 = assert(clevertap.new { account_id = "a", passcode = secret, transport = t })
      local _, e2 = c2:stop(1)
      assert.equal("api", e2.kind)
      assert.is_nil(e2.message:find(secret, 1, true))
      assert.is_nil(tostring(e2):find(secret, 1, true))
      assert.is_nil(cjson.encode(e2.body or {}):find(secret, 1, true))
      local _, e3 = clevertap.new { account_id = "a", passcode = secret, region = "nowhere" }
      assert.is_nil(e3.message:find(secret, 1, true))
    end)

    it("a short passcode is hidden where it stands alone, and ordinary words stay readable", function()
      local t = recorder(function()
        return { status = 400, body = '{"status":"fail","code":401,"error":"Invalid passcode pass for CleverTap"}' }
      end)
      local c = assert(clevertap.new { account_id = "a", passcode = "pass", transport = t })
      local _, err = c:stop(1)
      assert.equal("api", err.kind)
      assert.is_nil(err.message:find(" pass ", 1, true))
      assert.matches("Invalid passcode", err.message, 1, true)
      assert.matches("CleverTap", err.message, 1, true)
    end)
  end)

  describe("send", function()
    local content = { title = "Welcome", body = "Hello world!" }

    it("returns the report of SPEC.md for every channel", function()
      local c = new_client()
      local payloads = {
        push = { to = { Identity = { "JohnDoe" } }, content = content },
        webpush = { to = { Identity = { "JohnDoe" } }, content = content },
        email = { to = { Email = { "john@doe.com" } }, content = { subject = "Welcome", body = "<div>Hi</div>" } },
        sms = { to = { Identity = { "JohnDoe" } }, content = { body = "Hello" } },
      }
      for channel, payload in pairs(payloads) do
        local report, err = c:send(channel, payload)
        assert.is_nil(err, channel .. ": " .. tostring(err))
        assert.is_true(report.ok)
        assert.equal(1, report.accepted)
        assert.same({}, report.failed)
        assert.same({}, report.unknown)
        assert.equal(1, report.requests)
        assert.equal(1, #sandbox.requests { path = "/1/send/" .. channel .. ".json" })
      end
    end)

    it("sends the reference's example payloads", function()
      local c = new_client()
      for _, name in ipairs { "send-push-legacy", "send-email-legacy" } do
        local payload = sandbox.fixture(name)
        local report = assert(c:send(name:match("send%-(%a+)"), payload))
        assert.is_true(report.ok)
        assert.equal(8, report.accepted)
        assert.equal(1, report.requests)
      end
    end)

    for _, n in ipairs { 1, 999, 1000, 1001, 2500 } do
      it(("splits %d identities over several types into requests of at most 1000"):format(n), function()
        local c = new_client()
        local to = { Identity = ids(n, "id-") }
        if n > 2 then
          local half = math.floor(n / 2)
          to = { Identity = ids(half, "id-"), Email = {}, objectId = {} }
          for i = 1, n - half do
            if i % 2 == 0 then to.Email[#to.Email + 1] = "e" .. i .. "@example.com"
            else to.objectId[#to.objectId + 1] = "_obj" .. i end
          end
        end
        local report = assert(c:send("push", { to = to, content = content }))
        local want = math.ceil(n / 1000)
        assert.is_true(report.ok)
        assert.equal(n, report.accepted)
        assert.equal(want, report.requests)
        local logged = sandbox.requests { path = "/1/send/push.json" }
        assert.equal(want, #logged)
        local seen, total = {}, 0
        for _, r in ipairs(logged) do
          local body = cjson.decode(r.body)
          assert.same(content, body.content)
          local in_req = 0
          for ty, list in pairs(body.to) do
            for _, id in ipairs(list) do
              local k = ty .. ":" .. id
              assert.is_nil(seen[k], "sent twice: " .. k)
              seen[k] = true
              in_req = in_req + 1
            end
          end
          assert.is_true(in_req <= 1000)
          total = total + in_req
        end
        assert.equal(n, total)
        accounted(to, report)
      end)
    end

    it("accounts for every identity under faults: failed, unknown, accepted, each exactly once", function()
      local c = new_client { concurrency = 1 }
      sandbox.faults {
        { path = "/1/send/push.json", fault = "non-json", status = 400, every = 5 },
        { path = "/1/send/push.json", fault = "drop", every = 3 },
        { path = "/1/send/push.json", fault = "500-89", count = 1 },
      }
      local to = { Identity = ids(6000, "i"), Email = ids(1500, "m") }
      local report = assert(c:send("push", { to = to, content = content }))
      assert.is_false(report.ok)
      assert.is_true(#report.failed >= 1)
      assert.is_true(#report.unknown >= 1)
      for _, which in ipairs { "failed", "unknown" } do
        for _, e in ipairs(report[which]) do
          assert.is_table(e.to)
          local first = next(e.to)
          assert.is_true(({ FBID = 1, GPID = 1, Email = 1, Identity = 1, objectId = 1 })[first] ~= nil)
          assert_err(e.error, e.error.kind)
        end
      end
      for _, e in ipairs(report.failed) do assert.equal("http", e.error.kind) end
      for _, e in ipairs(report.unknown) do
        assert.is_true(e.error.kind == "network" or e.error.kind == "timeout")
      end
      local where = accounted(to, report)
      assert.is_table(where)
      -- requests counts every HTTP request, retries included, and matches the server's count
      assert.equal(#sandbox.requests { path = "/1/send/push.json" }, report.requests)
      assert.is_true(report.requests > 8)
    end)

    it("never re-sends a batch whose outcome is unknown", function()
      local c = new_client()
      sandbox.faults { { path = "/1/send/push.json", fault = "drop" } }
      local to = { Identity = ids(1200) }
      local report = assert(c:send("push", { to = to, content = content }))
      assert.is_false(report.ok)
      assert.equal(0, report.accepted)
      assert.equal(2, #report.unknown)
      assert.equal(2, report.requests)
      assert.equal(2, #sandbox.requests { path = "/1/send/push.json" })
      accounted(to, report)
    end)

    it("an unknown channel is a misuse error", function()
      local c = new_client()
      assert.has_error(function() c:send("fax", { to = { Identity = { "a" } }, content = content }) end)
    end)
  end)
end)
