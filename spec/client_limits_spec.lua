-- In-flight caps and rates: targets/* (3 at once), targets/create (1/s),
-- send/* concurrency and rate; honoured under retries.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local core = require "clevertap.core"

local CAMPAIGN = {
  name = "Limits", where = {}, content = { title = "Hi", body = "There" }, devices = { "android" }, when = "now",
}

local function drive(client, jobs)
  local t0 = core.now()
  while true do
    local all = true
    for _, j in ipairs(jobs) do all = all and j:is_done() end
    if all then break end
    assert(core.now() - t0 < 30, "jobs did not finish")
    client:poll(0.05)
  end
end

describe("client limits", function()
  local client
  before_each(function() sandbox.reset() end)
  after_each(function()
    if client then client:close() end
    client = nil
  end)

  it("never has more than 3 targets/* requests in flight (the sandbox's 429 is never hit)", function()
    sandbox.faults { { path = "/1/targets/*", fault = "latency", ms = 150 } }
    -- one attempt: a 429 from the server would surface as an error
    client = U.client { retry = { attempts = 1 }, create_rate = false }
    sandbox.configure { create_rate_per_sec = 0 }
    local jobs = {}
    for _ = 1, 6 do jobs[#jobs + 1] = client:start("list", { from = 20240101, to = 20240102 }) end
    for i = 1, 3 do jobs[#jobs + 1] = client:start("result", 1700000000 + i) end
    for _ = 1, 3 do jobs[#jobs + 1] = client:start("create_campaign", CAMPAIGN) end
    local t0 = core.now()
    drive(client, jobs)
    for _, j in ipairs(jobs) do
      local res, err = j:result()
      if not res then assert.not_equal("rate_limited", err.kind, tostring(err)) end
    end
    assert.equal(3, client:peak("targets/list"))
    assert.is_true(core.now() - t0 >= 0.15 * 4 * 0.9) -- 12 calls, 3 at a time
  end)

  it("the cap is configurable and holds under retries", function()
    sandbox.faults {
      { path = "/1/targets/list.json", fault = "503", count = 4 },
      { path = "/1/targets/*", fault = "latency", ms = 100 },
    }
    client = U.client { targets_concurrency = 2 }
    local jobs = {}
    for _ = 1, 8 do jobs[#jobs + 1] = client:start("list", { from = 20240101, to = 20240102 }) end
    drive(client, jobs)
    for _, j in ipairs(jobs) do assert.is_table((j:result())) end
    assert.equal(2, client:peak("targets/list"))
  end)

  it("paces targets/create to 1 per second by default (no 429 from the sandbox's own limit)", function()
    client = U.client { retry = { attempts = 1 } }
    local t0 = core.now()
    for _ = 1, 3 do assert(client:create_campaign(CAMPAIGN)) end
    assert.is_true(core.now() - t0 >= 1.9)
    local times = {}
    for _, r in ipairs(U.logged("/1/targets/create.json")) do times[#times + 1] = r.time end
    assert.equal(3, #times)
    for i = 2, 3 do assert.is_true(times[i] - times[i - 1] >= 0.9) end
  end)

  it("create_rate is configurable", function()
    sandbox.configure { create_rate_per_sec = 0 }
    client = U.client { create_rate = 10 }
    local t0 = core.now()
    for _ = 1, 4 do assert(client:create_campaign(CAMPAIGN)) end
    local dt = core.now() - t0
    assert.is_true(dt >= 0.25 and dt < 1.5, "took " .. dt)
  end)

  it("send/* runs `concurrency` requests at once", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 100 } }
    client = U.client { concurrency = 4 }
    local t0 = core.now()
    local report = assert(client:send("push", { to = { Identity = U.ids(12000) }, content = U.content }))
    assert.equal(12, report.requests)
    assert.equal(4, client:peak("send/push"))
    assert.is_true(core.now() - t0 >= 0.27)
  end)

  it("send_rate limits requests per second", function()
    client = U.client { concurrency = 2, send_rate = 10 }
    local t0 = core.now()
    local report = assert(client:send("push", { to = { Identity = U.ids(6000) }, content = U.content }))
    assert.equal(6, report.requests)
    -- a burst of at most 50 ms worth (here 1), then one every 100 ms
    assert.is_true(core.now() - t0 >= 0.45)
  end)
end)
