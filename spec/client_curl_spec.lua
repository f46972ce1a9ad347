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

    it("max_body sets the cap from Lua; it must be > 0", function()
      sandbox.faults { { path = PUSH, fault = "huge", bytes = 64 * 1024 } }
      local client = U.client { max_body = 32 * 1024 }
      local report = assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
      client:close()
      assert.equal(1, #report.unknown)
      assert.matches("over 32768 bytes", report.unknown[1].error.message, 1, true)
      assert.has_error(function() U.client { max_body = 0 } end, "clevertap.new: option 'max_body' must be > 0")
    end)
  end)

  describe("uploads and keep-alive", function()
    -- 24 MB of message: more than loopback's socket buffers take at once, so
    -- a server that closes without reading leaves the upload incomplete.
    local big = { title = "Hello", body = string.rep("x", 24 * 1024 * 1024) }

    it("a body the server never got whole is not sent: retried, not unknown", function()
      sandbox.faults { { path = PUSH, fault = "reset", count = 1 } }
      local client = U.client()
      local report = assert(client:send("push", { to = { Identity = { "a", "b" } }, content = big }))
      client:close()
      assert.equal(0, #report.unknown)
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      assert.equal(1, #sandbox.requests { path = PUSH })
      assert.equal(1, sandbox.stats().by_status["444"])
    end)

    it("the same on a reused connection (libcurl's silent re-send refused)", function()
      local client = U.client()
      assert.is_true(assert(client:send("push", { to = { Identity = { "warm" } }, content = U.content })).ok)
      sandbox.faults { { path = PUSH, fault = "reset", count = 1 } }
      local report = assert(client:send("push", { to = { Identity = { "a" } }, content = big }))
      client:close()
      assert.equal(0, #report.unknown)
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      local logged = sandbox.requests { path = PUSH }
      assert.equal(2, #logged)
      -- the retry went on a fresh connection, the warm one was reset
      assert.are_not.equal(logged[1].connection, logged[2].connection)
    end)

    it("a request written whole stays unknown: the server may have read it", function()
      sandbox.faults { { path = PUSH, fault = "reset", count = 1 } }
      local client = U.client()
      local report = assert(client:send("push", { to = { Identity = { "a" } }, content = U.content }))
      client:close()
      assert.equal(1, #report.unknown)
      assert.equal(1, report.requests)
      assert.equal(0, #sandbox.requests { path = PUSH })
    end)

    it("reuses a connection idle for less than 3 s, not one idle for longer", function()
      local client = U.client()
      local function one()
        assert.is_true(assert(client:send("push", { to = { Identity = { "a" } }, content = U.content })).ok)
      end
      one()
      one()
      require("socket").sleep(3.2)
      one()
      client:close()
      local logged = sandbox.requests { path = PUSH }
      assert.equal(3, #logged)
      assert.equal(logged[1].connection, logged[2].connection)
      assert.are_not.equal(logged[2].connection, logged[3].connection)
      assert.equal(1, logged[3].connection_requests)
    end)
  end)
end)
