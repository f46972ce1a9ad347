-- Retries (429, 503, 500/89, failures before sending), Retry-After, bounds,
-- unknown outcomes, and the report's accounting under injected faults.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local core = require "clevertap.core"

local PUSH = "/1/send/push.json"

describe("client retries", function()
  local client
  before_each(function() sandbox.reset() end)
  after_each(function()
    if client then client:close() end
    client = nil
  end)

  local function push(ids, opts)
    client = client or U.client(opts)
    return client:send("push", { to = { Identity = ids }, content = U.content })
  end

  for _, fault in ipairs { "429", "503", "500-89" } do
    it("retries " .. fault .. " and then succeeds", function()
      sandbox.faults { { path = PUSH, fault = fault, count = 2 } }
      local report = assert(push(U.ids(1500)))
      assert.is_true(report.ok)
      assert.equal(1500, report.accepted)
      assert.equal(4, report.requests) -- 2 batches + 2 retries
      assert.equal(4, #U.logged(PUSH))
    end)
  end

  it("honours Retry-After", function()
    sandbox.faults { { path = PUSH, fault = "429-retry-after", retry_after = 1, count = 1 } }
    local t0 = core.now()
    local report = assert(push(U.ids(3)))
    assert.is_true(report.ok)
    assert.equal(2, report.requests)
    assert.is_true(core.now() - t0 >= 0.95, "retried before Retry-After")
  end)

  it("gives up after retry.attempts with a retryable error in failed", function()
    sandbox.faults { { path = PUSH, fault = "503" } }
    client = U.client { retry = { attempts = 3, base_delay = 0.01, max_delay = 0.02 } }
    local report = assert(push(U.ids(5)))
    assert.is_false(report.ok)
    assert.equal(0, report.accepted)
    assert.equal(3, report.requests)
    assert.equal(1, #report.failed)
    local err = report.failed[1].error
    assert.equal("http", err.kind)
    assert.equal(503, err.status)
    assert.is_true(err.retryable)
    assert.same({ Identity = U.ids(5) }, report.failed[1].to)
  end)

  it("an outage spends the client-wide retry quota, then fails fast; quota = 0 retries every request", function()
    sandbox.faults { { path = PUSH, fault = "503" } }
    -- 50 tokens: ten retries (5 each) for the whole client, not 4 per batch
    client = U.client { concurrency = 4, retry = { attempts = 5, base_delay = 0.01, max_delay = 0.02, quota = 50 } }
    local report = assert(push(U.ids(20000)))
    assert.equal(20 + 10, report.requests)
    assert.equal(20, #report.failed)
    local spent = 0
    for _, f in ipairs(report.failed) do
      if f.error.message:find("retry quota is spent", 1, true) then spent = spent + 1 end
    end
    assert.is_true(spent >= 10)
    client:close()
    sandbox.reset()
    sandbox.faults { { path = PUSH, fault = "503" } }
    client = U.client { concurrency = 4, retry = { attempts = 3, base_delay = 0.01, max_delay = 0.02, quota = 0 } }
    report = assert(push(U.ids(5000)))
    assert.equal(5 * 3, report.requests)
  end)

  it("a 429 never spends the quota: with Retry-After the retries are spread above the floor", function()
    sandbox.faults { { path = PUSH, fault = "429-retry-after", retry_after = 1, count = 30 } }
    client = U.client { concurrency = 30, retry = { attempts = 3, quota = 5 } }
    local report = assert(push(U.ids(30000)))
    assert.is_true(report.ok)
    assert.equal(60, report.requests)
    -- the 30 retries, told to come back in 1 s, arrive spread over more than 100 ms
    local retries = {}
    for _, r in ipairs(U.logged(PUSH)) do retries[#retries + 1] = r end
    table.sort(retries, function(a, b) return a.seq < b.seq end)
    local first, last = math.huge, 0
    for k = 31, 60 do
      first, last = math.min(first, retries[k].time), math.max(last, retries[k].time)
    end
    assert.is_true(last - first > 0.1, "retries landed within 100 ms")
  end)

  it("gives up when the total retry time is spent", function()
    sandbox.faults { { path = PUSH, fault = "429" } }
    client = U.client { retry = { attempts = 1000, base_delay = 0.05, max_delay = 0.1, max_total = 0.5 } }
    local t0 = core.now()
    local report = assert(push(U.ids(5)))
    assert.is_true(core.now() - t0 < 2)
    assert.equal("rate_limited", report.failed[1].error.kind)
    assert.equal(429, report.failed[1].error.status)
    assert.is_true(report.requests > 1 and report.requests < 1000)
  end)

  it("retries a connection that could not be made (nothing was sent)", function()
    -- a port nobody listens on: bound then closed
    local socket = require "socket"
    local s = assert(socket.bind("127.0.0.1", 0))
    local _, port = s:getsockname()
    s:close()
    client = U.client { base_url = "http://127.0.0.1:" .. port .. "/1",
      retry = { attempts = 3, base_delay = 0.01, max_delay = 0.02 } }
    local report = assert(client:send("push", { to = { Identity = { "a", "b" } }, content = U.content }))
    assert.equal(3, report.requests)
    assert.equal(1, #report.failed)
    assert.equal(0, #report.unknown)
    assert.equal("network", report.failed[1].error.kind)
    assert.is_true(report.failed[1].error.retryable)
  end)

  describe("unknown outcomes", function()
    it("are not re-sent by default (connection dropped after the request was processed)", function()
      sandbox.faults { { path = PUSH, fault = "drop", count = 1 } }
      local report = assert(push(U.ids(1200)))
      assert.is_false(report.ok)
      assert.equal(2, report.requests)
      assert.equal(1, #report.unknown)
      assert.equal(0, #report.failed)
      assert.equal("network", report.unknown[1].error.kind)
      assert.is_false(report.unknown[1].error.retryable)
      assert.equal(2, #U.logged(PUSH))
      local ok = U.accounted({ Identity = U.ids(1200) }, report)
      assert.is_true(ok)
    end)

    it("timeouts while waiting for the answer are unknown, kind timeout", function()
      sandbox.faults { { path = PUSH, fault = "trickle", ms = 400, bytes = 4, count = 1 } }
      client = U.client { timeout = 0.5 }
      local report = assert(push(U.ids(3)))
      assert.equal(1, report.requests)
      assert.equal(1, #report.unknown)
      assert.equal("timeout", report.unknown[1].error.kind)
      assert.equal(1, #U.logged(PUSH))
    end)

    it("a truncated answer is unknown", function()
      sandbox.faults { { path = PUSH, fault = "truncated", count = 1 } }
      local report = assert(push(U.ids(3)))
      assert.equal(1, #report.unknown)
      assert.equal(1, report.requests)
    end)

    it("a 200 that is not JSON is unknown, kind http", function()
      sandbox.faults { { path = PUSH, fault = "non-json", count = 1 } }
      local report = assert(push(U.ids(3)))
      assert.equal(1, #report.unknown)
      assert.equal("http", report.unknown[1].error.kind)
      assert.equal(200, report.unknown[1].error.status)
    end)

    it("are re-sent with resend_unknown = true", function()
      sandbox.faults { { path = PUSH, fault = "drop", count = 1 } }
      client = U.client { resend_unknown = true }
      local report = assert(push(U.ids(3)))
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      assert.equal(3, report.accepted)
    end)
  end)

  it("accounts for every identity exactly once under mixed faults", function()
    sandbox.faults({
      { path = PUSH, fault = "429", probability = 0.15 },
      { path = PUSH, fault = "500-89", probability = 0.1 },
      { path = PUSH, fault = "503", probability = 0.1 },
      { path = PUSH, fault = "drop", probability = 0.1 },
      { path = PUSH, fault = "non-json", probability = 0.05 },
    }, 7)
    client = U.client { retry = { attempts = 3, base_delay = 0.005, max_delay = 0.01 } }
    local to = { Identity = U.ids(15000, "i-"), Email = U.ids(4321, "e-") }
    local report = assert(client:send("push", { to = to, content = U.content }))
    local ok, total, counted, where = U.accounted(to, report)
    assert.is_true(ok, ("%d identities, %d accounted"):format(total, counted))
    assert.is_true(#report.unknown > 0 and report.accepted > 0)
    -- unknown identities were sent once and never again
    local seen = U.identities_sent(PUSH)
    for k, which in pairs(where) do
      if which == "unknown" then assert.equal(1, seen[k]) end
    end
    -- the server saw exactly the requests the report counts (no silent re-send)
    assert.equal(report.requests, sandbox.fault_status().rules[1].seen)
  end)

  it("api errors are not retried: 401 with kind api, code, and no passcode anywhere", function()
    client = U.client { passcode = "WRONG-SECRET-PASSCODE" }
    local report = assert(push(U.ids(2)))
    assert.equal(1, report.requests)
    local err = report.failed[1].error
    assert.equal("api", err.kind)
    assert.equal(401, err.status)
    assert.equal(401, err.code)
    assert.is_false(err.retryable)
    assert.is_nil(tostring(err):find("WRONG-SECRET-PASSCODE", 1, true))
  end)
end)
