-- targets/trigger (Bulletins): business events the sandbox is configured with.
local sandbox = require "support.sandbox"

describe("sandbox targets/trigger", function()
  before_each(function() sandbox.reset() end)

  it("triggers a configured business event", function()
    local status, body = sandbox.api("targets/trigger", sandbox.fixture("targets-trigger"))
    assert.are.equal(200, status)
    assert.are.same({ status = "success", targets = 1 }, body)
  end)

  it("answers Business Event Not Found for an unknown event", function()
    local status, body = sandbox.api("targets/trigger",
      { when = 1724123456, event = "order_failed", properties = { order_id = "12345" } })
    assert.are.equal(400, status)
    assert.are.equal("fail", body.status)
    assert.are.equal("Business Event Not Found", body.error)
  end)

  it("answers when the `when` key is missing", function()
    local status, body = sandbox.api("targets/trigger",
      { event = "order_placed", properties = { order_id = "12345" } })
    assert.are.equal(400, status)
    assert.are.equal('"when" has an incorrect value - null', body.error)
  end)

  it("answers when a required property is missing", function()
    local status, body = sandbox.api("targets/trigger",
      { when = 1724123456, event = "order_placed", properties = { order_id = "12345" } })
    assert.are.equal(400, status)
    assert.are.equal("Property product_category missing", body.error)
  end)

  it("knows the events set at run time, with their target counts", function()
    sandbox.configure { business_events = { ["Price Drop"] = { properties = { "sku" }, targets = 3 } } }
    local p = sandbox.fixture("targets-trigger")
    p.business_event = "Price Drop"
    p.properties = { sku = "A1" }
    local status, body = sandbox.api("targets/trigger", p)
    assert.are.equal(200, status)
    assert.are.same({ status = "success", targets = 3 }, body)
    sandbox.reset()
    status = sandbox.api("targets/trigger", p)
    assert.are.equal(400, status)
  end)
end)
