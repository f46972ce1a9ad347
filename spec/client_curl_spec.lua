-- The libcurl transport's own guarantees, against the sandbox: a response
-- size cap that keeps memory bounded, and "sent" only for requests the
-- server may have received whole.
local sandbox = require "support.sandbox"
local U = require "support.client_util"

local PUSH = "/1/send/push.json"

-- Peak resident set of this process so far, in bytes (Linux).
local function peak_rss()
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("*a")
  f:close()
  return tonumber(text:match("VmHWM:%s*(%d+) kB")) * 1024
end

describe("libcurl transport", function()
  before_each(function() sandbox.reset() end)

  describe("response size cap", function()
    it("refuses answers over 16 MiB by default, with memory bounded", function()
      sandbox.faults { { path = PUSH, fault = "huge", bytes = 100 * 1024 * 1024 } }
      local before = peak_rss()
      local client = U.client { concurrency = 5 }
      local report = assert(client:send("push", { to = { Identity = U.ids(5000) }, content = U.content }))
      client:close()
      local grew = peak_rss() - before
      assert.equal(0, report.accepted)
      assert.equal(5, #report.unknown)
      assert.equal(5, report.requests)
      for _, u in ipairs(report.unknown) do
        assert.equal("network", u.error.kind)
        assert.matches("response body too large", u.error.message, 1, true)
      end
      -- five 100 MB answers buffered whole would be 500 MB
      assert.is_true(grew < 5 * 20 * 1024 * 1024, ("peak RSS grew by %.1f MB"):format(grew / 1048576))
    end)

    it("refuses chunked answers (no Content-Length) over the cap too", function()
      sandbox.faults { { path = PUSH, fault = "huge", bytes = 40 * 1024 * 1024, chunked = true } }
      local client = U.client()
      local report = assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
      client:close()
      assert.equal(1, #report.unknown)
      assert.matches("response body too large", report.unknown[1].error.message, 1, true)
    end)

    it("takes answers under the cap", function()
      sandbox.faults { { path = PUSH, fault = "huge", bytes = 4 * 1024 * 1024 } }
      local client = U.client()
      local report = assert(client:send("push", { to = { Identity = { "a", "b" } }, content = U.content }))
      client:close()
      assert.is_true(report.ok)
      assert.equal(2, report.accepted)
    end)
  end)
end)
