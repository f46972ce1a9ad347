-- Fault injection, per request (X-Sandbox-Fault) and per run (rules).
local sandbox = require "support.sandbox"
local socket = require "socket"

local payload = { to = { Identity = { "JohnDoe" } }, content = { title = "Welcome", body = "Hello world!" } }
local PUSH = "/1/send/push.json"

local function push(opts) return sandbox.api("send/push", payload, opts) end

local function statuses(n)
  local out = {}
  for i = 1, n do out[i] = (push()) end
  return out
end

local function raw_push(fault, timeout)
  local body = require("cjson").encode(payload)
  return sandbox.raw(sandbox.raw_post("send/push", body, { ["X-Sandbox-Fault"] = fault, Connection = "close" }),
    timeout)
end

describe("sandbox faults", function()
  before_each(function() sandbox.reset() end)

  describe("per request", function()
    it("429 without and with Retry-After", function()
      local status, body, _, headers = push { fault = "429" }
      assert.are.equal(429, status)
      assert.are.equal("fail", body.status)
      assert.is_nil(headers["retry-after"])
      status, _, _, headers = push { fault = "429-retry-after;retry_after=7" }
      assert.are.equal(429, status)
      assert.are.equal("7", headers["retry-after"])
    end)

    it("takes other names for kinds", function()
      assert.are.equal(500, (push { fault = "500" }))
      local text, err = raw_push("disconnect")
      assert.are.equal("", text)
      assert.are.equal("closed", err)
      sandbox.faults { { path = PUSH, fault = "500", count = 1 } }
      assert.are.same({ 500, 200 }, statuses(2))
    end)

    it("takes option aliases in the header", function()
      local status, _, _, headers = push { fault = "429-retry-after;retry-after=4" }
      assert.are.equal(429, status)
      assert.are.equal("4", headers["retry-after"])
      local t0 = socket.gettime()
      assert.are.equal(200, (push { fault = "latency;delay=150" }))
      assert.is_true(socket.gettime() - t0 >= 0.14)
    end)

    it("500 with code 89", function()
      local status, body = push { fault = "500-89" }
      assert.are.equal(500, status)
      assert.are.same({ status = "fail", error = "Unexpected error, please try again", code = 89 }, body)
    end)

    it("503 with a body that is not JSON, Retry-After on request", function()
      local status, body, raw, headers = push { fault = "503" }
      assert.are.equal(503, status)
      assert.is_nil(body)
      assert.is_true(#raw > 0)
      assert.is_nil(headers["retry-after"])
      local again, _, _, later = push { fault = "503;retry_after=2" }
      assert.are.equal(503, again)
      assert.are.equal("2", later["retry-after"])
    end)

    it("latency delays the normal answer", function()
      local t0 = socket.gettime()
      local status = push { fault = "latency;ms=300" }
      assert.are.equal(200, status)
      assert.is_true(socket.gettime() - t0 >= 0.29)
      for _, spelled in ipairs { "latency=150", "latency:150ms" } do
        t0 = socket.gettime()
        assert.are.equal(200, (push { fault = spelled }))
        assert.is_true(socket.gettime() - t0 >= 0.14, spelled)
      end
    end)

    it("drop closes the connection without an answer, after reading the request", function()
      local text, err = raw_push("drop")
      assert.are.equal("", text)
      assert.are.equal("closed", err)
      assert.are.equal(1, #sandbox.requests { path = PUSH })
    end)

    it("dropped and truncated targets/* requests give back their concurrency slot", function()
      local body = '{"from":20250101,"to":20250131}'
      for _, fault in ipairs { "drop", "drop", "truncated", "drop", "truncated" } do
        local _, err = sandbox.raw(sandbox.raw_post("targets/list", body,
          { ["X-Sandbox-Fault"] = fault, Connection = "close" }))
        assert.are.equal("closed", err)
      end
      assert.are.equal(200, (sandbox.api("targets/list", { from = 20250101, to = 20250131 })))
    end)

    it("truncated promises more bytes than it sends, then closes", function()
      local text, err = raw_push("truncated")
      assert.are.equal("closed", err)
      local head, body = text:match("^(.-)\r\n\r\n(.*)$")
      local declared = tonumber(head:lower():match("content%-length:%s*(%d+)"))
      assert.is_true(declared > #body)
      assert.is_truthy(head:match("^HTTP/1.1 200"))
    end)

    it("non-json answers 200 with an HTML body", function()
      local status, body, raw, headers = push { fault = "non-json" }
      assert.are.equal(200, status)
      assert.is_nil(body)
      assert.is_truthy(raw:find("<html>", 1, true))
      assert.is_truthy(headers["content-type"]:find("text/html", 1, true))
    end)

    it("trickle sends the normal answer slowly", function()
      local t0 = socket.gettime()
      local status, body = push { fault = "trickle;ms=20;bytes=10" }
      local elapsed = socket.gettime() - t0
      assert.are.equal(200, status)
      assert.are.equal("success", body.status)
      -- 62 bytes in 10-byte pieces, 20 ms apart
      assert.is_true(elapsed >= 0.12, "took " .. elapsed)
    end)

    it("huge answers 200 with a body of the size asked, streamed", function()
      local status, _, raw, headers = push { fault = "huge;bytes=300000" }
      assert.are.equal(200, status)
      assert.are.equal(300000, #raw)
      assert.are.equal("300000", headers["content-length"])
      assert.is_truthy(raw:find('^{"status":"success"'))
      local text, err = raw_push("huge;bytes=100000;chunked=true")
      assert.are.equal("closed", err)
      local head = text:match("^(.-)\r\n\r\n")
      assert.is_truthy(head:lower():find("transfer-encoding: chunked", 1, true))
      assert.is_nil(head:lower():find("content-length", 1, true))
    end)

    it("reset closes before reading the body: nothing logged, counted as dropped", function()
      local text, err = raw_push("reset")
      assert.are.equal("", text)
      assert.is_truthy(err == "closed" or err:find("reset", 1, true), err)
      assert.are.equal(0, #sandbox.requests { path = PUSH })
      assert.are.equal(1, sandbox.stats().by_status["444"])
      -- a normal request is logged with the connection that carried it
      push()
      local rec = sandbox.requests { path = PUSH }[1]
      assert.is_number(rec.connection)
      assert.are.equal(1, rec.connection_requests)
    end)

    it("refuses an unknown fault", function()
      local status, body = push { fault = "meteor" }
      assert.are.equal(400, status)
      assert.is_truthy(body.error:find("meteor", 1, true))
    end)
  end)

  describe("rules", function()
    it("count limits how many requests fail", function()
      sandbox.faults { { path = PUSH, fault = "500-89", count = 2 } }
      assert.are.same({ 500, 500, 200, 200 }, statuses(4))
    end)

    it("accepts type/times/nth/latency_ms as other spellings", function()
      sandbox.faults { { path = PUSH, type = "500-89", times = 1 }, { path = PUSH, kind = "429", nth = 2 } }
      assert.are.same({ 500, 200, 429, 200, 429 }, statuses(5))
    end)

    it("every fails each Nth matching request", function()
      sandbox.faults { { path = PUSH, fault = "429", every = 3 } }
      assert.are.same({ 200, 200, 429, 200, 200, 429 }, statuses(6))
    end)

    it("only matches its path, or a prefix ending in *", function()
      sandbox.faults { { path = "/1/targets/*", fault = "503" } }
      assert.are.equal(200, (push()))
      assert.are.equal(503, (sandbox.api("targets/list", { from = 20250101, to = 20250131 })))
    end)

    it("probability is deterministic for a seed", function()
      local rules = { { path = PUSH, fault = "500-89", probability = 0.5 } }
      sandbox.faults(rules, 42)
      local first = statuses(20)
      sandbox.faults(rules, 42)
      assert.are.same(first, statuses(20))
      local failed = 0
      for _, s in ipairs(first) do if s == 500 then failed = failed + 1 end end
      assert.is_true(failed > 2 and failed < 18, "failed " .. failed .. " of 20")
      sandbox.faults(rules, 43)
      assert.are_not.same(first, statuses(20))
    end)

    it("the first matching rule that fires wins, and status shows the counts", function()
      sandbox.faults { { path = PUSH, fault = "429", count = 1 }, { path = PUSH, fault = "500-89", count = 1 } }
      assert.are.same({ 429, 500, 200 }, statuses(3))
      local st = sandbox.fault_status()
      assert.are.equal(1, st.rules[1].fired)
      assert.are.equal(1, st.rules[2].fired)
    end)

    it("a faulted create has no effect", function()
      sandbox.configure { create_rate_per_sec = 0 }
      sandbox.faults { { path = "/1/targets/create.json", fault = "500-89", count = 1 } }
      local p = sandbox.fixture("targets-create-sms")
      p.estimate_only = nil
      assert.are.equal(500, (sandbox.api("targets/create", p)))
      local _, listed = sandbox.api("targets/list", { from = 19700101, to = 99991231 })
      assert.are.same({}, listed.targets)
    end)

    it("clear and reset remove the rules", function()
      sandbox.faults { { path = PUSH, fault = "503" } }
      sandbox.clear_faults()
      assert.are.equal(200, (push()))
      sandbox.faults { { path = PUSH, fault = "503" } }
      sandbox.reset()
      assert.are.equal(200, (push()))
    end)

    it("refuses malformed rules", function()
      local status = sandbox.request { method = "POST", path = "/_sandbox/faults",
        body = { rules = { { path = PUSH, fault = "gremlins" } } } }
      assert.are.equal(400, status)
    end)
  end)
end)
