-- create_campaign, estimate (sync and async), list, stop, result, trigger:
-- results, error kinds, validation before sending.
local sandbox = require "support.sandbox"
local U = require "support.client_util"

local CAMPAIGN = {
  name = "Spec campaign", where = { event_name = "App Launched", from = 20240101, to = 20240131 },
  content = { title = "Hi", body = "There" }, devices = { "android", "ios" }, when = "now",
}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

describe("client calls", function()
  local client
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    client = U.client { create_rate = false }
  end)
  after_each(function() client:close() end)

  it("create_campaign returns the decoded answer with an integer id", function()
    local res = assert(client:create_campaign(CAMPAIGN))
    assert.equal("success", res.status)
    assert.is_number(res.id)
    assert.equal(math.floor(res.id), res.id)
    assert.equal(("%d"):format(res.id), tostring(res.id))
    local logged = U.logged("/1/targets/create.json")
    assert.equal(1, #logged)
    assert.equal("Spec campaign", logged[1].json.name)
  end)

  it("an invalid payload makes no request and returns every problem", function()
    local bad = copy(CAMPAIGN)
    bad.when = "tomorrow at noon"
    bad.devices = { "toaster" }
    local res, err = client:create_campaign(bad)
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.is_false(err.retryable)
    assert.is_true(#err.errors >= 2)
    assert.is_string(tostring(err))
    assert.equal(0, #U.logged("/1/targets/create.json"))
  end)

  it("estimate sends estimate_only and returns estimates", function()
    local res = assert(client:estimate(CAMPAIGN))
    assert.is_table(res.estimates)
    assert.is_true(U.logged("/1/targets/create.json")[1].json.estimate_only)
    assert.is_nil(CAMPAIGN.estimate_only) -- the caller's table is untouched
  end)

  it("estimate with async_estimate follows the request id until ready", function()
    sandbox.configure { async_estimate_delay = 1 }
    local p = copy(CAMPAIGN)
    p.async_estimate = true
    local res = assert(client:estimate(p))
    assert.is_table(res.estimates)
    local logged = U.logged("/1/targets/create.json")
    assert.is_true(#logged >= 2)
    assert.is_not_nil(logged[#logged].json.req_id)
  end)

  it("result is not_completed while running, then the numbers", function()
    local created = assert(client:create_campaign(CAMPAIGN))
    local res, err = client:result(created.id)
    assert.is_nil(res)
    assert.equal("not_completed", err.kind)
    assert.is_true(err.retryable)
    sandbox.complete(created.id, { sent = 10, clicked = 3 })
    res = assert(client:result(created.id))
    assert.equal(10, res.result.sent)
  end)

  it("stop and list", function()
    local created = assert(client:create_campaign(CAMPAIGN))
    assert.equal("success", assert(client:stop(created.id)).status)
    local listed = assert(client:list { from = 20000101, to = 20991231 })
    assert.is_table(listed.targets)
    local _, err = client:stop(987654321)
    assert.equal("api", err.kind)
    assert.equal(400, err.status)
    assert.is_false(err.retryable)
  end)

  it("trigger", function()
    local res = assert(client:trigger { business_event = "Program Released", name = "Ep 12",
      properties = { program_id = "234567" }, ["c-by"] = "me@example.com", when = "now" })
    assert.equal("success", res.status)
  end)

  it("api errors carry status, code, message; http errors too", function()
    local _, err = client:trigger { business_event = "Nope", name = "x", properties = { a = "b" },
      ["c-by"] = "me@example.com", when = "now" }
    assert.equal("api", err.kind)
    assert.equal(400, err.status)
    assert.matches("Business Event Not Found", err.message)
    sandbox.faults { { path = "/1/targets/stop.json", fault = "503" } }
    client:close()
    client = U.client { retry = { attempts = 2, base_delay = 0.01 } }
    local _, e2 = client:stop(1)
    assert.equal("http", e2.kind)
    assert.equal(503, e2.status)
    assert.is_true(e2.retryable)
    assert.matches("HTTP 503", tostring(e2))
  end)

  it("timeouts: kind timeout", function()
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 1500 } }
    client:close()
    client = U.client { timeout = 0.3, retry = { attempts = 1 } }
    local _, err = client:list { from = 20240101, to = 20240102 }
    assert.equal("timeout", err.kind)
  end)

  it("a 429 on create is retried within the rate limit", function()
    sandbox.faults { { path = "/1/targets/create.json", fault = "429-retry-after", retry_after = 1, count = 1 } }
    local res = assert(client:create_campaign(CAMPAIGN))
    assert.is_number(res.id)
    assert.equal(2, #U.logged("/1/targets/create.json"))
  end)

  it("rate_limited when 429 persists", function()
    sandbox.faults { { path = "/1/targets/create.json", fault = "429" } }
    client:close()
    client = U.client { create_rate = false, retry = { attempts = 2, base_delay = 0.01 } }
    local _, err = client:create_campaign(CAMPAIGN)
    assert.equal("rate_limited", err.kind)
    assert.equal(429, err.status)
    assert.is_true(err.retryable)
  end)
end)
