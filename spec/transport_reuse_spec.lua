-- The libcurl transport never sends a request twice on its own: when a kept-
-- alive connection is closed without an answer after the request went out,
-- libcurl would silently send it again on a new connection. With libcurl
-- >= 7.80 CURLOPT_PREREQFUNCTION refuses the second send; an older libcurl
-- gets a fresh connection for every request (spec/c/curl_fallback.sh runs
-- this spec on a build for 7.79). Either way the server sees each batch once
-- and the report counts what the server saw.
local clevertap = require "clevertap"
local sandbox = require "support.sandbox"

local function ids(n)
  local t = {}
  for i = 1, n do t[i] = "reuse" .. i end
  return t
end

describe("libcurl transport on a dropped connection", function()
  before_each(function() sandbox.reset() end)
  after_each(function() sandbox.clear_faults() end)

  it("does not re-send a request whose connection closed without an answer", function()
    local c = assert(clevertap.new { account_id = sandbox.account_id, passcode = sandbox.passcode,
      base_url = sandbox.url(), concurrency = 1, retry = { base_delay = 0.01, max_delay = 0.05 } })
    -- every second request is read, then its connection is closed unanswered
    sandbox.faults { { path = "/1/send/push.json", fault = "drop", every = 2 } }
    local report = assert(c:send("push", { to = { Identity = ids(4000) }, content = { title = "t", body = "b" } }))
    c:close()
    local seen = #sandbox.requests { path = "/1/send/push.json" }
    assert.equal(4, seen)
    assert.equal(seen, report.requests)
    assert.equal(2000, report.accepted)
    local unknown = 0
    for _, e in ipairs(report.unknown) do
      unknown = unknown + #e.to.Identity
      assert.equal("network", e.error.kind)
    end
    assert.equal(2000, unknown)
  end)
end)
