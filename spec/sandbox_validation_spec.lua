-- The sandbox validates payloads with the project's own clevertap.validate
-- (built for LuaJIT, loaded inside nginx) and answers invalid ones as the API
-- would: HTTP 400, status fail, a message naming the problem.
local sandbox = require "support.sandbox"

local function health()
  local _, body = sandbox.request { method = "GET", path = "/_sandbox/health" }
  return body
end

describe("sandbox payload validation", function()
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
  end)

  it("is active: the module loads under LuaJIT inside nginx", function()
    assert.is_true(health().validation)
  end)

  it("refuses an invalid send with code 78 and the problem's location", function()
    local status, body = sandbox.api("send/push", { to = { Identity = { "JohnDoe" } }, content = { title = "t" } })
    assert.are.equal(400, status)
    assert.are.equal("fail", body.status)
    assert.are.equal(78, body.code)
    assert.is_truthy(body.error:find("/content/body", 1, true), body.error)
  end)

  it("refuses an invalid campaign and creates nothing", function()
    local p = sandbox.fixture("targets-create-sms")
    p.estimate_only = nil
    p.when = "20200101 10:00"
    p.target_mode = "carrier-pigeon"
    local status, body = sandbox.api("targets/create", p)
    assert.are.equal(400, status)
    assert.are.equal("fail", body.status)
    assert.is_truthy(body.error:find("/target_mode", 1, true), body.error)
    local _, listed = sandbox.api("targets/list", { from = 19700101, to = 99991231 })
    assert.are.same({}, listed.targets)
  end)

  it("does not refuse for what is only a warning", function()
    local p = sandbox.fixture("targets-create-sms")
    p.unknown_extra_key = true
    local status, body = sandbox.api("targets/create", p)
    assert.are.equal(200, status, body and body.error)
  end)

  it("can be switched off", function()
    sandbox.configure { validate = false }
    assert.is_false(health().validation)
    local status = sandbox.api("send/push", { to = { Identity = { "JohnDoe" } }, content = { title = "t" } })
    assert.are.equal(200, status)
  end)
end)
