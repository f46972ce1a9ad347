-- The request log: every request the sandbox receives, as JSON lines in
-- DIR/requests.jsonl and from GET /_sandbox/requests.
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local payload = { to = { Identity = { "JohnDoe" } }, content = { title = "Welcome", body = "Hello world!" } }

describe("sandbox request log", function()
  before_each(function() sandbox.reset() end)

  it("records method, path, query, headers and the exact body", function()
    local body = cjson.encode(payload)
    sandbox.request { method = "POST", path = "/1/send/push.json?trace=1&x=a%20b", body = body,
      headers = { ["X-CleverTap-Account-Id"] = sandbox.account_id, ["X-CleverTap-Passcode"] = sandbox.passcode,
        ["Content-Type"] = "application/json", ["X-Request-Tag"] = "t1" } }
    local log = sandbox.requests()
    assert.are.equal(1, #log)
    local rec = log[1]
    assert.are.equal("POST", rec.method)
    assert.are.equal("/1/send/push.json", rec.path)
    assert.are.equal("trace=1&x=a%20b", rec.query)
    assert.are.equal("a b", rec.args.x)
    assert.are.equal("t1", rec.headers["x-request-tag"])
    assert.are.equal("application/json", rec.headers["content-type"])
    assert.are.equal(sandbox.account_id, rec.headers["x-clevertap-account-id"])
    assert.are.equal(body, rec.body)
    assert.are.equal(#body, rec.body_length)
    assert.is_number(rec.seq)
    assert.is_number(rec.time)
  end)

  it("names each answer's record in X-Sandbox-Request-Seq", function()
    sandbox.api("send/push", payload)
    local _, _, _, headers = sandbox.api("send/sms", { to = { Identity = { "a" } }, content = { body = "hi" } })
    local seq = tonumber(headers["x-sandbox-request-seq"])
    local rec = sandbox.requests { since = seq - 1, last = 1 }[1]
    assert.are.equal(seq, rec.seq)
    assert.are.equal("/1/send/sms.json", rec.path)
  end)

  it("writes the same records as JSON lines in DIR/requests.jsonl", function()
    sandbox.api("send/email", sandbox.fixture("send-email"))
    local f = assert(io.open(sandbox.dir() .. "/requests.jsonl"))
    local lines = {}
    local raw = {}
    for line in f:lines() do
      raw[#raw + 1] = line
      lines[#lines + 1] = cjson.decode(line)
    end
    f:close()
    -- greppable: paths are written as sent, not with escaped slashes
    assert.is_truthy(raw[1]:find('"path":"/1/send/email.json"', 1, true), raw[1])
    assert.are.equal(1, #lines)
    assert.are.equal("/1/send/email.json", lines[1].path)
    assert.are.same(sandbox.requests()[1], lines[1])
  end)

  it("records refused and faulted requests too", function()
    sandbox.api("send/push", payload, { auth = false })
    sandbox.api("send/push", payload, { fault = "503" })
    assert.are.equal(2, #sandbox.requests())
  end)

  it("filters by path, prefix, method and since", function()
    sandbox.api("send/push", payload)
    local mark = sandbox.last_seq()
    sandbox.api("send/sms", { to = { Identity = { "a" } }, content = { body = "hi" } })
    sandbox.api("targets/list", { from = 20250101, to = 20250131 })
    sandbox.request { method = "GET", path = "/1/targets/list.json" }
    assert.are.equal(1, #sandbox.requests { path = "/1/send/push.json" })
    assert.are.equal(2, #sandbox.requests { prefix = "/1/send/" })
    assert.are.equal(3, #sandbox.requests { since = mark })
    assert.are.equal(1, #sandbox.requests { method = "GET" })
    local after = sandbox.requests { since = mark, prefix = "/1/targets/" }
    assert.are.equal(2, #after)
    assert.is_true(after[1].seq < after[2].seq)
  end)

  it("filters by time and keeps only the newest with last", function()
    sandbox.api("send/push", payload)
    require("socket").sleep(0.05)
    local t = sandbox.requests()[1].time + 0.01
    sandbox.api("send/email", sandbox.fixture("send-email"))
    sandbox.api("send/sms", { to = { Identity = { "a" } }, content = { body = "hi" } })
    local after = sandbox.requests { since_time = t }
    assert.are.equal(2, #after)
    assert.are.equal("/1/send/email.json", after[1].path)
    local newest = sandbox.requests { last = 1 }
    assert.are.equal(1, #newest)
    assert.are.equal("/1/send/sms.json", newest[1].path)
    assert.are.same({}, sandbox.requests { last = 0 })
  end)

  it("does not record control requests, and reset empties it", function()
    sandbox.api("send/push", payload)
    sandbox.requests()
    sandbox.fault_status()
    assert.are.equal(1, #sandbox.requests())
    sandbox.reset()
    assert.are.same({}, sandbox.requests())
  end)

  it("keeps every line whole when large requests arrive concurrently", function()
    local socket = require "socket"
    local ids = {}
    for i = 1, 1000 do ids[i] = string.format("concurrent-user-%06d-abcdef", i) end
    local body = cjson.encode { to = { Identity = ids }, content = { title = "Welcome", body = "Hello world!" } }
    local raw = sandbox.raw_post("send/push", body)
    local conns = {}
    for i = 1, 8 do
      conns[i] = assert(socket.tcp())
      conns[i]:settimeout(5)
      assert(conns[i]:connect(sandbox.host_port()))
    end
    local rounds = 10
    for _ = 1, rounds do
      for _, c in ipairs(conns) do assert(c:send(raw)) end
      for _, c in ipairs(conns) do
        local len
        repeat
          local line = assert(c:receive("*l"))
          len = len or tonumber(line:lower():match("^content%-length:%s*(%d+)"))
        until line == ""
        assert(c:receive(len))
      end
    end
    for _, c in ipairs(conns) do c:close() end
    local log = sandbox.requests { path = "/1/send/push.json" }
    assert.are.equal(8 * rounds, #log)
    for _, rec in ipairs(log) do assert.are.equal(body, rec.body) end
    local lines = 0
    for _ in io.lines(sandbox.dir() .. "/requests.jsonl") do lines = lines + 1 end
    assert.are.equal(8 * rounds, lines)
  end)

  it("counts answers by status and path", function()
    sandbox.api("send/push", payload)
    sandbox.api("send/push", payload, { auth = false })
    sandbox.api("send/push", payload, { fault = "500-89" })
    sandbox.raw(sandbox.raw_post("send/email", cjson.encode(payload),
      { ["X-Sandbox-Fault"] = "drop", Connection = "close" }))
    local st = sandbox.stats()
    assert.are.equal(4, st.requests)
    assert.are.same({ ["200"] = 1, ["401"] = 1, ["500"] = 1, ["444"] = 1 }, st.by_status)
    assert.are.same({ ["/1/send/push.json"] = 3, ["/1/send/email.json"] = 1 }, st.by_path)
    sandbox.reset()
    assert.are.equal(0, sandbox.stats().requests)
  end)

  it("cuts bodies longer than log_body_max, keeping their length", function()
    sandbox.configure { log_body_max = 10 }
    local body = cjson.encode(payload)
    sandbox.api("send/push", body)
    local rec = sandbox.requests()[1]
    assert.are.equal(body:sub(1, 10), rec.body)
    assert.are.equal(#body, rec.body_length)
    assert.is_true(rec.body_truncated)
  end)
end)
