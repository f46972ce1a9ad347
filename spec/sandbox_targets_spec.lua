-- targets/create, list, stop, result against the sandbox: ids, estimates,
-- completion, and the documented limits (1 create/s, 3 concurrent).
local sandbox = require "support.sandbox"
local socket = require "socket"

local function campaign(name, when)
  local p = sandbox.fixture("targets-create-sms")
  p.estimate_only = nil
  p.name = name or "sandbox spec campaign"
  p.when = when or "now"
  return p
end

local function today()
  return tonumber(os.date("!%Y%m%d"))
end

describe("sandbox targets/*", function()
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
  end)

  describe("create", function()
    it("gives each campaign a new numeric id and its estimates", function()
      local status, a = sandbox.api("targets/create", campaign("a"))
      assert.are.equal(200, status)
      assert.are.equal("success", a.status)
      assert.are.equal("number", type(a.id))
      assert.are.equal(math.floor(a.id), a.id)
      assert.are.equal("number", type(a.estimates.sms))
      local _, b = sandbox.api("targets/create", campaign("b"))
      assert.are_not.equal(a.id, b.id)
    end)

    it("omits estimates with skip_estimate", function()
      local p = campaign()
      p.skip_estimate = true
      local status, body = sandbox.api("targets/create", p)
      assert.are.equal(200, status)
      assert.is_number(body.id)
      assert.is_nil(body.estimates)
    end)

    it("estimate_only answers estimates without creating a campaign", function()
      local status, body = sandbox.api("targets/create", sandbox.fixture("targets-create-push-legacy"))
      assert.are.equal(200, status)
      assert.are.equal("success", body.status)
      assert.is_nil(body.id)
      for _, device in ipairs { "android", "ios", "windows" } do
        assert.is_number(body.estimates[device])
      end
      local _, listed = sandbox.api("targets/list", { from = 19700101, to = 99991231 })
      assert.are.same({}, listed.targets)
    end)

    it("derives estimates deterministically from the where clause", function()
      local p = sandbox.fixture("targets-create-webpush")
      local _, first = sandbox.api("targets/create", p)
      local _, again = sandbox.api("targets/create", p)
      assert.are.same(first.estimates, again.estimates)
      assert.is_number(first.estimates.web)
      p.where.event_name = "App Launched"
      local _, other = sandbox.api("targets/create", p)
      assert.are_not.same(first.estimates, other.estimates)
    end)

    it("gives the same estimates whatever the key order of the where clause", function()
      local head = '{"name":"order","estimate_only":true,"target_mode":"sms","content":{"body":"Sms body"},'
        .. '"when":"now","where":'
      local a = head .. '{"event_name":"Charged","from":20171001,"to":20171220,'
        .. '"common_profile_properties":{"profile_fields":[{"name":"Customer Type","operator":"equals",'
        .. '"value":"Platinum"}]}}}'
      local b = head .. '{"common_profile_properties":{"profile_fields":[{"value":"Platinum",'
        .. '"operator":"equals","name":"Customer Type"}]},"to":20171220,"from":20171001,"event_name":"Charged"}}'
      local sa, ea = sandbox.api("targets/create", a)
      local sb, eb = sandbox.api("targets/create", b)
      assert.are.equal(200, sa)
      assert.are.equal(200, sb)
      assert.are.same(ea.estimates, eb.estimates)
    end)

    it("resolves an async estimate by its request id", function()
      local p = sandbox.fixture("targets-create-sms")
      p.async_estimate = true
      local status, pending = sandbox.api("targets/create", p)
      assert.are.equal(200, status)
      assert.are.equal("success", pending.status)
      assert.is_not_nil(pending.req_id)
      assert.is_nil(pending.estimates)
      local _, direct = sandbox.api("targets/create", sandbox.fixture("targets-create-sms"))
      local _, resolved = sandbox.api("targets/create", { req_id = pending.req_id })
      assert.are.equal("success", resolved.status)
      assert.are.same(direct.estimates, resolved.estimates)
      local bad_status, bad = sandbox.api("targets/create", { req_id = 12345 })
      assert.are.equal(400, bad_status)
      assert.are.equal("fail", bad.status)
    end)

    it("answers pending until a delayed async estimate is ready", function()
      sandbox.configure { async_estimate_delay = 0.3 }
      local p = sandbox.fixture("targets-create-sms")
      p.async_estimate = true
      local _, first = sandbox.api("targets/create", p)
      local _, early = sandbox.api("targets/create", { req_id = first.req_id })
      assert.are.equal("pending", early.status)
      socket.sleep(0.4)
      local _, late = sandbox.api("targets/create", { req_id = first.req_id })
      assert.are.equal("success", late.status)
      assert.is_number(late.estimates.sms)
    end)

    it("refuses a payload that is not JSON with code 78", function()
      local status, body = sandbox.api("targets/create", "{nope")
      assert.are.equal(400, status)
      assert.are.same({ status = "fail", error = "Invalid JSON payload", code = 78 }, body)
    end)

    it("refuses a payload without a name", function()
      local p = campaign()
      p.name = nil
      local status, body = sandbox.api("targets/create", p)
      assert.are.equal(400, status)
      assert.are.equal("fail", body.status)
      assert.is_string(body.error)
    end)

    it("is limited to 1 request per second by default", function()
      sandbox.reset()
      local s1 = sandbox.api("targets/create", campaign("first"))
      local s2, body, _, headers = sandbox.api("targets/create", campaign("second"))
      assert.are.equal(200, s1)
      assert.are.equal(429, s2)
      assert.are.equal("fail", body.status)
      assert.is_not_nil(headers["retry-after"])
      socket.sleep(1.05)
      assert.are.equal(200, (sandbox.api("targets/create", campaign("third"))))
    end)
  end)

  describe("concurrency", function()
    it("answers 429 to a 4th concurrent targets/* request", function()
      local slow = {}
      for i = 1, 3 do
        local c = assert(socket.tcp())
        c:settimeout(5)
        assert(c:connect(sandbox.host_port()))
        assert(c:send(sandbox.raw_post("targets/list", '{"from":20250101,"to":20250131}',
          { ["X-Sandbox-Fault"] = "latency;ms=700" })))
        slow[i] = c
      end
      socket.sleep(0.2)
      local status, body = sandbox.api("targets/list", { from = 20250101, to = 20250131 })
      assert.are.equal(429, status)
      assert.are.equal("fail", body.status)
      for _, c in ipairs(slow) do
        local line = c:receive("*l")
        assert.are.equal("HTTP/1.1 200 OK", line)
        c:close()
      end
      assert.are.equal(200, (sandbox.api("targets/list", { from = 20250101, to = 20250131 })))
    end)
  end)

  describe("concurrency without injected latency", function()
    it("answers 429 to some of 8 requests sent together", function()
      local conns = {}
      for i = 1, 8 do
        local c = assert(socket.tcp())
        c:settimeout(5)
        assert(c:connect(sandbox.host_port()))
        conns[i] = c
      end
      local raw = sandbox.raw_post("targets/list", '{"from":20250101,"to":20250131}')
      for _, c in ipairs(conns) do assert(c:send(raw)) end
      local ok, limited = 0, 0
      for _, c in ipairs(conns) do
        local line = assert(c:receive("*l"))
        if line:match(" 200 ") then ok = ok + 1 elseif line:match(" 429 ") then limited = limited + 1 end
        c:close()
      end
      assert.is_true(ok >= 3, ok .. " answered")
      assert.is_true(limited >= 1, limited .. " limited")
      assert.are.equal(8, ok + limited)
    end)
  end)

  describe("result and complete", function()
    it("says the target hasn't been completed until it is, then gives sent and clicked", function()
      local _, created = sandbox.api("targets/create", campaign())
      local status, body = sandbox.api("targets/result", { id = created.id })
      assert.are.equal(200, status)
      assert.are.same({ status = "fail", error = "This target hasn't been completed" }, body)
      sandbox.complete(created.id, { sent = 82, clicked = 28 })
      status, body = sandbox.api("targets/result", { id = created.id })
      assert.are.equal(200, status)
      assert.are.same({ status = "success", result = { sent = 82, clicked = 28 } }, body)
    end)

    it("reports numbers derived from the estimates when completed without numbers", function()
      local _, created = sandbox.api("targets/create", campaign())
      sandbox.complete(created.id)
      local _, body = sandbox.api("targets/result", { id = created.id })
      assert.are.equal(created.estimates.sms, body.result.sent)
      assert.is_true(body.result.clicked <= body.result.sent)
    end)

    it("completes campaigns on its own after complete_after seconds", function()
      sandbox.configure { complete_after = 0.3 }
      local _, created = sandbox.api("targets/create", campaign())
      local _, early = sandbox.api("targets/result", { id = created.id })
      assert.are.equal("fail", early.status)
      socket.sleep(0.4)
      local _, late = sandbox.api("targets/result", { id = created.id })
      assert.are.equal("success", late.status)
    end)

    it("completes every running or scheduled campaign at once", function()
      local _, a = sandbox.api("targets/create", campaign("a"))
      local _, b = sandbox.api("targets/create", campaign("b", {
        type = "later", delivery_date_time = { "20350420 13:00" } }))
      local _, c = sandbox.api("targets/create", campaign("c"))
      sandbox.api("targets/stop", { id = c.id })
      local done = sandbox.complete_all()
      table.sort(done)
      assert.are.same({ a.id, b.id }, done)
      assert.are.equal("success", select(2, sandbox.api("targets/result", { id = b.id })).status)
      assert.are.equal("fail", select(2, sandbox.api("targets/result", { id = c.id })).status)
    end)

    it("refuses unknown ids and missing ids", function()
      local status, body = sandbox.api("targets/result", { id = 42 })
      assert.are.equal(400, status)
      assert.are.equal("fail", body.status)
      status = sandbox.api("targets/result", {})
      assert.are.equal(400, status)
    end)
  end)

  describe("stop", function()
    it("stops a scheduled campaign", function()
      local _, created = sandbox.api("targets/create", campaign("later", {
        type = "later", delivery_date_time = { "20350420 13:00" } }))
      assert.are.equal("scheduled", sandbox.campaign(created.id).status)
      local status, body = sandbox.api("targets/stop", { id = created.id })
      assert.are.equal(200, status)
      assert.are.same({ status = "success" }, body)
      assert.are.equal("stopped", sandbox.campaign(created.id).status)
    end)

    it("refuses unknown and completed campaigns", function()
      local status, body = sandbox.api("targets/stop", { id = 7 })
      assert.are.equal(400, status)
      assert.are.equal("fail", body.status)
      local _, created = sandbox.api("targets/create", campaign())
      sandbox.complete(created.id)
      status = sandbox.api("targets/stop", { id = created.id })
      assert.are.equal(400, status)
    end)
  end)

  describe("list", function()
    it("lists campaigns scheduled within the date range", function()
      local _, now = sandbox.api("targets/create", campaign("now"))
      local _, later = sandbox.api("targets/create", campaign("later", {
        type = "later", delivery_date_time = { "20350420 13:00" } }))
      local status, body = sandbox.api("targets/list", { from = today(), to = today() })
      assert.are.equal(200, status)
      assert.are.equal("success", body.status)
      assert.are.equal(1, #body.targets)
      assert.are.equal(now.id, body.targets[1].id)
      assert.are.equal("now", body.targets[1].name)
      assert.are.equal("running", body.targets[1].status)
      local _, future = sandbox.api("targets/list", { from = 20350401, to = 20350430 })
      assert.are.equal(1, #future.targets)
      assert.are.equal(later.id, future.targets[1].id)
      assert.are.equal(203504201300, future.targets[1].scheduled_on)
      assert.are.equal("scheduled", future.targets[1].status)
      local _, none = sandbox.api("targets/list", { from = 20000101, to = 20000102 })
      assert.are.same({}, none.targets)
    end)

    it("takes the range from the query string of a GET", function()
      local _, created = sandbox.api("targets/create", campaign("now"))
      local status, body = sandbox.request { method = "GET",
        path = "/1/targets/list.json?from=" .. today() .. "&to=" .. today(), headers = sandbox.auth_headers() }
      assert.are.equal(200, status)
      assert.are.equal(created.id, body.targets[1].id)
    end)

    it("requires from and to as YYYYMMDD", function()
      local status, body = sandbox.api("targets/list", { from = 20250101 })
      assert.are.equal(400, status)
      assert.are.equal("fail", body.status)
      status = sandbox.api("targets/list", { from = "yesterday", to = 20250101 })
      assert.are.equal(400, status)
    end)
  end)
end)
