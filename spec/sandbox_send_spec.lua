-- The sandbox's send/* endpoints answer as the API reference documents.
local sandbox = require "support.sandbox"

local function push(to)
  return { to = to, content = { title = "Welcome", body = "Hello world!" } }
end

local function identities(n, prefix)
  local list = {}
  for i = 1, n do list[i] = (prefix or "user") .. i end
  return list
end

describe("sandbox send/*", function()
  before_each(function() sandbox.reset() end)

  it("accepts each documented example", function()
    for endpoint, fixture in pairs {
      ["send/push"] = "send-push", ["send/email"] = "send-email",
      ["send/sms"] = "send-sms", ["send/webpush"] = "send-webpush",
    } do
      local status, body, raw = sandbox.api(endpoint, sandbox.fixture(fixture))
      assert.are.equal(200, status, endpoint .. ": " .. tostring(raw))
      assert.are.same({ status = "success", message = "Added to queue for processing" }, body)
    end
  end)

  it("answers code 21 when `to` is missing", function()
    local status, body = sandbox.api("send/push", { content = { title = "t", body = "b" } })
    assert.are.equal(400, status)
    assert.are.same({ status = "fail", error = "to is a mandatory field", code = 21 }, body)
  end)

  it("answers code 73 when respect_frequency_caps is not a boolean", function()
    local p = push { Identity = { "JohnDoe" } }
    p.respect_frequency_caps = "false"
    local status, body = sandbox.api("send/push", p)
    assert.are.equal(400, status)
    assert.are.equal("fail", body.status)
    assert.are.equal(73, body.code)
  end)

  it("answers code 78 for a body that is not JSON", function()
    local status, body = sandbox.api("send/email", '{"to": {"Email": ["a@b.c"]')
    assert.are.equal(400, status)
    assert.are.same({ status = "fail", error = "Invalid JSON payload", code = 78 }, body)
    status, body = sandbox.api("send/email", "[1, 2]")
    assert.are.equal(400, status)
    assert.are.equal(78, body.code)
  end)

  it("answers code 84 for recipients that are empty or malformed", function()
    for _, to in ipairs { {}, { Identity = {} }, { Identity = "JohnDoe" }, { Identity = { 42 } } } do
      local status, body = sandbox.api("send/push", push(to))
      assert.are.equal(400, status)
      assert.are.same({ status = "fail", error = "Invalid recipients", code = 84 }, body)
    end
  end)

  it("accepts 1000 identities and refuses 1001, counted across identity types", function()
    local status = sandbox.api("send/push", push { Identity = identities(1000) })
    assert.are.equal(200, status)
    status = sandbox.api("send/push", push { Identity = identities(600), Email = identities(400, "e") })
    assert.are.equal(200, status)
    local body
    status, body = sandbox.api("send/push", push { Identity = identities(600), objectId = identities(401, "o") })
    assert.are.equal(400, status)
    assert.are.equal(84, body.code)
    status, body = sandbox.api("send/sms", { to = { Identity = identities(1001) }, content = { body = "Sms body" } })
    assert.are.equal(400, status)
    assert.are.equal("fail", body.status)
  end)

  it("limits requests per second when send_rate_per_sec is set", function()
    sandbox.configure { send_rate_per_sec = 3 }
    local got = {}
    for i = 1, 10 do
      local status, body = sandbox.api("send/push", push { Identity = { "JohnDoe" } })
      got[i] = status
      if status == 429 then assert.are.equal("fail", body.status) end
    end
    local limited = 0
    for _, s in ipairs(got) do if s == 429 then limited = limited + 1 end end
    assert.are.same({ 200, 200, 200 }, { got[1], got[2], got[3] })
    -- 10 requests fit in three seconds of 3 requests only if they take over 2 s
    assert.is_true(limited >= 1, table.concat(got, ","))
    sandbox.reset()
    assert.are.equal(200, (sandbox.api("send/push", push { Identity = { "JohnDoe" } })))
  end)

  it("refuses other methods and unknown endpoints", function()
    local status = sandbox.api("send/push", push { Identity = { "a" } }, { method = "PUT" })
    assert.are.equal(405, status)
    local body
    status, body = sandbox.api("send/pigeon", push { Identity = { "a" } })
    assert.are.equal(404, status)
    assert.are.equal("fail", body.status)
  end)
end)
