-- Credentials: X-CleverTap-Account-Id / X-CleverTap-Passcode must match the
-- sandbox's account on every API endpoint.
local sandbox = require "support.sandbox"

local payload = { to = { Identity = { "JohnDoe" } }, content = { title = "Welcome", body = "Hello world!" } }

describe("sandbox credentials", function()
  before_each(function() sandbox.reset() end)

  it("refuses a request without credentials", function()
    local status, body = sandbox.api("send/push", payload, { auth = false })
    assert.are.equal(401, status)
    assert.are.equal("fail", body.status)
    assert.is_string(body.error)
  end)

  it("refuses a wrong passcode and a wrong account id", function()
    for _, headers in ipairs {
      { ["X-CleverTap-Passcode"] = "WRONG" },
      { ["X-CleverTap-Account-Id"] = "OTHER-ACCOUNT" },
    } do
      local status, body = sandbox.api("targets/list", { from = 20250101, to = 20250131 }, { headers = headers })
      assert.are.equal(401, status)
      assert.are.equal("fail", body.status)
    end
  end)

  it("does not act on a refused request", function()
    local p = sandbox.fixture("targets-create-sms")
    p.estimate_only = nil
    sandbox.api("targets/create", p, { auth = false })
    local _, listed = sandbox.api("targets/list", { from = 19700101, to = 99991231 })
    assert.are.same({}, listed.targets)
  end)

  it("accepts header names in any case", function()
    local status = sandbox.api("send/push", payload, { auth = false, headers = {
      ["x-clevertap-account-id"] = sandbox.account_id, ["X-CLEVERTAP-PASSCODE"] = sandbox.passcode } })
    assert.are.equal(200, status)
  end)

  it("never records the passcode, right or wrong", function()
    sandbox.api("send/push", payload)
    sandbox.api("send/push", payload, { headers = { ["X-CleverTap-Passcode"] = "WRONG-SECRET" } })
    local log = sandbox.requests { path = "/1/send/push.json" }
    assert.are.equal(2, #log)
    for _, rec in ipairs(log) do
      assert.are.equal(sandbox.REDACTED, rec.headers["x-clevertap-passcode"])
    end
    local f = assert(io.open(sandbox.dir() .. "/requests.jsonl"))
    local text = f:read("*a")
    f:close()
    assert.is_nil(text:find(sandbox.passcode, 1, true))
    assert.is_nil(text:find("WRONG-SECRET", 1, true))
  end)
end)
