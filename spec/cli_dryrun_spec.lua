-- --dry-run: the exact requests the real client would make (URL, headers with
-- the passcode redacted, body), printed or as JSON; nothing reaches the server.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local CAMPAIGN = [[
return { name = "Dry", target_mode = "push", devices = { "android" }, where = { event_name = "Charged" },
         content = { title = "T", body = "B" }, when = "now" }
]]

describe("clevertap --dry-run", function()
  local dir, env, path
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    env = cli.sandbox_env()
    path = files.write(dir .. "/c.lua", CAMPAIGN)
  end)
  after_each(function() files.remove_dir(dir) end)

  it("prints the create request with the passcode redacted and sends nothing", function()
    local since = sandbox.last_seq()
    local r = cli.run({ "create", "--dry-run", path }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("POST " .. sandbox.url() .. "/targets/create.json\n", r.stdout, 1, true)
    assert.matches("X-CleverTap-Account-Id: SANDBOX-ACCOUNT-ID\n", r.stdout, 1, true)
    assert.matches("X-CleverTap-Passcode: <redacted>\n", r.stdout, 1, true)
    assert.matches("Content-Type: application/json; charset=utf-8\n", r.stdout, 1, true)
    assert.is_nil((r.stdout .. r.stderr):find("SANDBOX-PASSCODE", 1, true))
    local body = r.stdout:match("\n\n(%b{})\n")
    assert.is_string(body)
    local decoded = cjson.decode(body)
    assert.equal("Dry", decoded.name)
    assert.same({ event_name = "Charged" }, decoded.where)
    assert.matches("dry run: 1 request printed, nothing sent", r.stdout, 1, true)
    assert.is_nil(r.stdout:find("created campaign", 1, true))
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("works without credentials, with placeholders, for the region's URL", function()
    local r = cli.run({ "estimate", "--dry-run", "--region", "in1", path })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("POST https://in1.api.clevertap.com/1/targets/create.json", r.stdout, 1, true)
    assert.matches("X-CleverTap-Account-Id: ACCOUNT_ID", r.stdout, 1, true)
    assert.matches("X-CleverTap-Passcode: <redacted>", r.stdout, 1, true)
    assert.matches('"estimate_only":true', r.stdout, 1, true)
  end)

  it("takes the region from CLEVERTAP_REGION, Europe without a prefix by default", function()
    local r = cli.run({ "stop", "--dry-run", "1457433898" }, { env = { CLEVERTAP_REGION = "sg1" } })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("POST https://sg1.api.clevertap.com/1/targets/stop.json", r.stdout, 1, true)
    local eu = cli.run({ "stop", "--dry-run", "1457433898" })
    assert.matches("POST https://api.clevertap.com/1/targets/stop.json", eu.stdout, 1, true)
    local flag = cli.run({ "stop", "--dry-run", "--region", "us1", "1457433898" },
                         { env = { CLEVERTAP_REGION = "sg1" } })
    assert.matches("POST https://us1.api.clevertap.com/1/targets/stop.json", flag.stdout, 1, true)
  end)

  it("gives the requests as JSON, one per batch of a send", function()
    local idfile = files.write(dir .. "/ids.txt", cli.user_ids(2001))
    local msg = files.write(dir .. "/m.lua", [[return { content = { title = "T", body = "B" } }]])
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", idfile, "--dry-run", "--json" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.is_true(doc.dry_run)
    assert.equal(3, #doc.requests)
    local total = 0
    for _, req in ipairs(doc.requests) do
      assert.equal("POST", req.method)
      assert.equal(sandbox.url() .. "/send/push.json", req.url)
      assert.equal("<redacted>", req.headers["X-CleverTap-Passcode"])
      local body = cjson.decode(req.body)
      assert.same({ title = "T", body = "B" }, body.content)
      total = total + #body.to.Identity
      assert.is_true(#body.to.Identity <= 1000)
    end
    assert.equal(2001, total)
    assert.is_nil(r.stdout:find("SANDBOX-PASSCODE", 1, true))
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("prints stop, result, list and trigger requests", function()
    local cases = {
      { { "stop", "1457433898" }, "/targets/stop.json", '{"id":1457433898}' },
      { { "result", "1457433898" }, "/targets/result.json", '{"id":1457433898}' },
      { { "list", "--from", "20250101", "--to", "20250131" }, "/targets/list.json", nil },
      { { "trigger", cli.root .. "/examples/bulletin.lua" }, "/targets/trigger.json",
        '"business_event":"Program Released"' },
    }
    local since = sandbox.last_seq()
    for _, case in ipairs(cases) do
      local argv = { "--dry-run" }
      for _, a in ipairs(case[1]) do argv[#argv + 1] = a end
      local r = cli.run(argv, { env = env })
      assert.equal(0, r.code, table.concat(argv, " ") .. "\n" .. r.stdout .. r.stderr)
      assert.matches("POST " .. sandbox.url() .. case[2], r.stdout, 1, true)
      if case[3] then assert.matches(case[3], r.stdout, 1, true) end
      assert.matches("dry run: 1 request printed, nothing sent", r.stdout, 1, true)
    end
    local list = cli.run({ "--dry-run", "--json", "list", "--from", "20250101", "--to", "20250131" }, { env = env })
    local body = cjson.decode(cjson.decode(list.stdout).requests[1].body)
    assert.same({ from = 20250101, to = 20250131 }, body)
    assert.equal(0, #sandbox.requests{ since = since })
  end)
end)
