-- send --report (JSON and CSV, checked against the sandbox's request log),
-- result --watch, preview --pretty and list's aligned columns.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local MESSAGE = [[return { tag_group = "spec", content = { title = "Sale", body = "Half price" } }]]

-- The identities of each send request the sandbox logged since `since`.
local function logged_batches(since)
  local out = {}
  for _, r in ipairs(sandbox.requests{ path = "/1/send/push.json", since = since }) do
    local ids = cjson.decode(r.body).to.Identity
    table.sort(ids)
    out[#out + 1] = table.concat(ids, " ")
  end
  return out
end

local function sorted(list)
  local copy = {}
  for i, v in ipairs(list) do copy[i] = v end
  table.sort(copy)
  return table.concat(copy, " ")
end

local function contains(list, value)
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

describe("clevertap reports and views", function()
  local dir, env, msg
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    env = cli.sandbox_env()
    msg = files.write(dir .. "/msg.lua", MESSAGE)
  end)
  after_each(function()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  it("--report writes every count, timings and the failed and unknown batches as the sandbox saw them", function()
    -- one batch refused (HTTP 500, no retry left), one dropped after processing (outcome unknown)
    sandbox.faults({ { path = "/1/send/push.json", fault = "500-89", count = 1 },
                     { path = "/1/send/push.json", fault = "drop", count = 1 } }, 7)
    local path = files.write(dir .. "/ids.txt", cli.user_ids(3500) .. "\nuser-1\n")
    local report = dir .. "/report.json"
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path, "--attempts", "1", "--report", report },
      { env = env })
    assert.equal(5, r.code, r.stdout .. r.stderr)
    local text = files.read(report)
    assert.is_string(text)
    local doc = cjson.decode(text)
    assert.equal(3500, doc.identities)
    assert.equal(1, doc.duplicates)
    assert.equal(3501, doc.lines_read)
    assert.equal(4, doc.requests)
    assert.equal(5, doc.exit_code)
    assert.is_false(doc.ok)
    assert.equal(1, #doc.failed_batches)
    assert.equal(1, #doc.unknown_batches)
    local logged = logged_batches(since)
    assert.equal(4, #logged)
    local failed = doc.failed_batches[1]
    local unknown = doc.unknown_batches[1]
    assert.is_true(contains(logged, sorted(failed.identities.Identity)), "failed batch not in the request log")
    assert.is_true(contains(logged, sorted(unknown.identities.Identity)), "unknown batch not in the request log")
    assert.equal(#failed.identities.Identity, failed.count)
    assert.equal(doc.accepted, 3500 - failed.count - unknown.count)
    assert.equal(doc.failed, failed.count)
    assert.equal(doc.unknown, unknown.count)
    assert.equal(500, failed.error.status)
    assert.equal("api", failed.error.kind)  -- a status:"fail" body (code 89)
    assert.equal(89, failed.error.code)
    assert.equal("network", unknown.error.kind)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", doc.started_at)
    assert.is_true(doc.seconds.send > 0 and doc.seconds.read >= 0)
    assert.is_nil(files.read(report):find(env.CLEVERTAP_PASSCODE, 1, true))

    -- CSV: one row per identity not accepted
    sandbox.reset()
    sandbox.faults({ { path = "/1/send/push.json", fault = "500-89", count = 1 } }, 7)
    local csv = dir .. "/report.csv"
    since = sandbox.last_seq()
    r = cli.run({ "send", "push", msg, "--ids", path, "--attempts", "1", "--report", csv }, { env = env })
    assert.equal(5, r.code, r.stderr)
    local rows = {}
    for line in io.lines(csv) do rows[#rows + 1] = line end
    assert.equal("type,identity,outcome,error_kind,status,code,message", rows[1])
    local got = {}
    for i = 2, #rows do
      local ty, id, outcome, kind, status = rows[i]:match("^(%w+),([^,]+),(%w+),(%w+),(%d+),")
      assert.equal("Identity", ty)
      assert.equal("failed", outcome)
      assert.equal("api", kind)
      assert.equal("500", status)
      got[#got + 1] = id
    end
    assert.is_true(#got > 0)
    assert.is_true(contains(logged_batches(since), sorted(got)))
  end)

  it("--report that cannot be written stops the run before sending", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(10))
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path, "--report", "/nonexistent/r.json" }, { env = env })
    assert.equal(1, r.code)
    assert.matches("cannot write --report file", r.stderr, 1, true)
    assert.same({}, logged_batches(since))
  end)

  it("result --watch prints each status change until the campaign completes", function()
    local camp = files.write(dir .. "/c.lua", [[return { name = "Watched", target_mode = "push", where = {},
      when = "now", devices = { "android" }, content = { title = "t", body = "b" } }]])
    local c = cli.run({ "create", "--json", camp }, { env = env })
    assert.equal(0, c.code, c.stderr)
    local id = string.format("%.0f", cjson.decode(c.stdout).campaigns[1].id)
    local out = os.tmpname()
    local p = io.popen(cli.command({ "result", id, "--watch", "--interval", "0.2" }, env) .. " >" .. out
      .. " 2>&1; echo $?")
    require("clevertap.core").sleep(1)
    sandbox.complete(id, { sent = 9, clicked = 4 })
    local rc = tonumber(p:read("*a"))
    p:close()
    local text = files.read(out)
    os.remove(out)
    assert.equal(0, rc, text)
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.matches("^%d%d:%d%d:%d%d campaign " .. id .. ": not completed yet", lines[1])
    -- one line per change, not per poll
    assert.matches("^%d%d:%d%d:%d%d campaign " .. id .. ": completed$", lines[2])
    assert.equal("campaign " .. id .. ": clicked 4, sent 9", lines[3])
    assert.equal(3, #lines)
    assert.is_true(#sandbox.requests{ path = "/1/targets/result.json" } >= 3)
  end)

  it("preview --pretty indents the exact body", function()
    local camp = files.write(dir .. "/c.lua", [[return { name = "Pretty", target_mode = "push", where = {},
      when = "now", devices = { "android" }, content = { title = "t", body = "b" } }]])
    local plain = cli.run({ "preview", camp })
    local pretty = cli.run({ "preview", "--pretty", camp })
    assert.equal(0, pretty.code, pretty.stderr)
    local body = plain.stdout:match("body:     (%b{})")
    assert.is_not_nil(body)
    assert.matches('body:     {\n              "content": {\n                "body": "b",', pretty.stdout, 1, true)
    -- the same JSON, only spaced out
    local pbody = pretty.stdout:match("body:     (%b{})")
    assert.same(cjson.decode(body), cjson.decode(pbody))
  end)
end)
