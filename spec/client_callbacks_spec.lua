-- What user callbacks may do to the client that calls them: close it, drive
-- it, raise. Nothing crashes, nothing is sent twice, and every identity ends
-- in exactly one outcome of its job's report.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local http = require "clevertap.http"

-- identities in a report, by outcome
local function counted(report)
  local n = { accepted = report.accepted, failed = 0, unknown = 0, not_sent = 0 }
  for _, which in ipairs { "failed", "unknown", "not_sent" } do
    for _, b in ipairs(report[which] or {}) do
      for _, list in pairs(b.to) do n[which] = n[which] + #list end
    end
  end
  n.total = n.accepted + n.failed + n.unknown + n.not_sent
  return n
end

describe("a client closed from inside its own callbacks", function()
  before_each(function()
    sandbox.reset()
  end)

  it("an identity iterator that closes the client ends the send with a report, no crash", function()
    local c = U.client()
    local i = 0
    local report, err = c:send("push", { content = U.content, to = { Identity = function()
      i = i + 1
      if i == 10 then c:close() end
      if i <= 3000 then return "u" .. i end
    end } })
    assert.is_nil(err)
    -- the iterator is not called again once the client is closed
    assert.equal(10, i)
    local n = counted(report)
    assert.equal(10, n.total)
    assert.is_false(report.ok)
    -- nothing was accepted twice, nothing arrived that the report does not hold
    local seen = U.identities_sent()
    for _, times in pairs(seen) do assert.equal(1, times) end
    assert.is_true(n.accepted <= 10)
    assert.has_error(function() c:send("push", { content = U.content, to = { Identity = { "x" } } }) end,
      "clevertap client is closed")
    c:close() -- idempotent
  end)

  it("an on_progress that closes the client mid-send: every identity of the array is in one outcome", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 100 } }
    local c = U.client { concurrency = 2 }
    local progressed = 0
    local report = c:send("push", { content = U.content, to = { Identity = U.ids(20000) } }, {
      on_progress = function()
        progressed = progressed + 1
        if progressed == 2 then c:close() end
      end,
    })
    local n = counted(report)
    assert.equal(20000, n.total)
    assert.is_true(n.not_sent > 0, "the batches never started are listed as not sent")
    assert.is_false(report.ok)
    for _, b in ipairs(report.not_sent) do
      assert.matches("closed before the request was sent", b.error.message)
    end
    -- the server saw no identity the report calls never sent, none twice,
    -- and no more than were accepted or may have arrived (unknown)
    local seen = U.identities_sent()
    local sent = 0
    for _, times in pairs(seen) do
      sent = sent + 1
      assert.equal(1, times)
    end
    for _, b in ipairs(report.not_sent) do
      for _, id in ipairs(b.to.Identity) do assert.is_nil(seen["Identity:" .. id]) end
    end
    assert.is_true(sent >= n.accepted and sent <= n.accepted + n.unknown)
  end)

  it("a job outlives the close of its client with its report readable", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 200 } }
    local c = U.client()
    local job = c:start_send("push", { content = U.content, to = { Identity = U.ids(3000) } })
    c:poll(0.05)
    c:close()
    assert.is_true(job:is_done())
    local report = job:result()
    assert.equal(3000, counted(report).total)
    assert.is_true(#report.unknown + #report.not_sent > 0)
  end)

  it("a runner's classify or request source that closes the runner does not crash", function()
    for _, where in ipairs { "classify", "source" } do
      local runner
      local served = 0
      runner = http.new { transport = function()
        served = served + 1
        return { status = 200, body = "{}" }
      end }
      local k = 0
      local function source()
        k = k + 1
        if where == "source" and k == 3 then runner:close() end
        if k <= 10 then return { url = "http://127.0.0.1:9/x", body = "b" .. k } end
      end
      local report, err = runner:run(source, { classify = function()
        if where == "classify" then runner:close() end
        return "ok"
      end })
      assert.is_nil(err, where)
      assert.is_true(report.accepted <= served, where)
      assert.is_true(served <= 3, where)
    end
  end)

  it("poll from inside an identity iterator is refused with a clear error, every identity accounted", function()
    local c = U.client()
    local i = 0
    local refused
    local report, err = c:send("push", { content = U.content, to = { Identity = function()
      i = i + 1
      if i == 5 then
        local ok, e = pcall(c.poll, c, 0)
        refused = not ok and tostring(e)
      end
      if i <= 2500 then return "u" .. i end
    end } })
    assert.matches("not allowed inside the client's own callback", refused)
    assert.is_nil(err)
    assert.equal(2500, report.accepted)
    -- no request went out with an empty "to"
    for _, r in ipairs(U.logged("/1/send/push.json")) do
      assert.is_true(#(r.json.to.Identity or {}) > 0)
    end
    c:close()
  end)

  it("starting a job from inside an identity iterator is refused; the iterator's error is the send's", function()
    local c = U.client()
    local i = 0
    local report, err = c:send("push", { content = U.content, to = { Identity = function()
      i = i + 1
      if i == 3 then c:send("push", { content = U.content, to = { Identity = { "inner" } } }) end
      if i <= 10 then return "u" .. i end
    end } })
    assert.is_nil(report)
    assert.matches("not allowed inside the client's own callback", err.message)
    assert.equal(2, counted(err.report).total)
    assert.is_nil(U.identities_sent()["Identity:inner"])
    c:close()
  end)
end)

describe("a raising callback never detaches a job from its report", function()
  before_each(function() sandbox.reset() end)

  it("a raising on_progress: the blocking send goes on, the errors are in the report", function()
    local c = U.client()
    local report, err = c:send("push", { content = U.content, to = { Identity = U.ids(5000) } }, {
      on_progress = function() error("progress bar broke") end,
    })
    assert.is_nil(err)
    assert.equal(5000, report.accepted)
    assert.is_true(#report.callback_errors >= 1)
    assert.equal("on_progress", report.callback_errors[1].callback)
    assert.matches("progress bar broke", report.callback_errors[1].message)
    -- every identity went out once, in its 5 requests
    local first, first_requests = U.identities_sent()
    assert.equal(5, first_requests)
    for _, n in pairs(first) do assert.equal(1, n) end
    -- the next send delivers its own identities only
    local since = sandbox.last_seq()
    local again = c:send("push", { content = U.content, to = { Identity = { "only-me" } } })
    assert.equal(1, again.accepted)
    local seen, requests = U.identities_sent(nil, since)
    assert.equal(1, requests)
    assert.same({ ["Identity:only-me"] = 1 }, seen)
    c:close()
  end)

  it("a raising logger: the send goes on; its errors are kept", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "500-89", count = 2 } }
    local c = U.client { logger = function() error({ code = "logger-down" }) end }
    local report = c:send("push", { content = U.content, to = { Identity = U.ids(2000) } })
    assert.equal(2000, report.accepted)
    assert.equal("logger", report.callback_errors[1].callback)
    assert.same({ code = "logger-down" }, report.callback_errors[1].cause)
    c:close()
  end)

  it("a raising on_progress of a runner: run goes on, report.callback_errors", function()
    local runner = http.new { transport = function() return { status = 200, body = "{}" } end }
    local reqs = {}
    for k = 1, 5 do reqs[k] = { url = "http://127.0.0.1:9/x", body = "b" .. k } end
    local report = runner:run(reqs, { on_progress = function() error("bar") end })
    assert.equal(5, report.accepted)
    assert.equal("on_progress", report.callback_errors[1].callback)
    runner:close()
  end)
end)

describe("resend_unknown", function()
  before_each(function() sandbox.reset() end)

  it("a batch whose first try may have been processed and whose re-send is refused is unknown", function()
    sandbox.faults {
      { path = "/1/send/push.json", fault = "drop", count = 1 },
      { path = "/1/send/push.json", fault = "non-json", status = 400, count = 1 },
    }
    local c = U.client { resend_unknown = true }
    local report = c:send("push", { content = U.content, to = { Identity = U.ids(5) } })
    assert.equal(0, #report.failed)
    assert.equal(1, #report.unknown)
    assert.matches("may have been processed", report.unknown[1].error.message)
    c:close()
  end)
end)

describe("a large report", function()
  it("is built across polls in the poll's budget, complete and in order", function()
    local clevertap = require "clevertap"
    local core = require "clevertap.core"
    -- every request is lost after sending: 100 batches, 100k identities unknown
    local c = assert(clevertap.new { account_id = "ACC", passcode = "PASSCODE-SECRET",
      base_url = "http://127.0.0.1:9/1", retry = { attempts = 1 },
      transport = function() return nil, { kind = "network", sent = true, message = "connection reset" } end })
    local job = c:start_send("push", { content = U.content, to = { Identity = U.ids(100000) } })
    local polls, slowest = 0, 0
    while not job:is_done() do
      local t0 = core.now()
      c:poll(0)
      slowest = math.max(slowest, core.now() - t0)
      polls = polls + 1
      assert(polls < 100000, "never done")
    end
    local report = job:result()
    assert.equal(100, #report.unknown)
    local n = 0
    for i, u in ipairs(report.unknown) do
      assert.equal(1000, #u.to.Identity)
      assert.equal("user-" .. ((i - 1) * 1000 + 1), u.to.Identity[1])
      n = n + #u.to.Identity
    end
    assert.equal(100000, n)
    c:close()
  end)
end)
