-- clevertap estimate/create/list/stop/result/trigger against the running
-- sandbox: what the command prints (text and --json), its exit codes, and
-- what actually arrived at the server.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local PUSH = [[
local name = ...
return {
  name = %q, target_mode = "push", devices = { "android", "ios" },
  where = { event_name = "Product Viewed", from = 20250101, to = 20250107 },
  content = { title = "Price drop", body = "20%% off" },
  when = %s,
}
]]

local function campaign_file(dir, name, title, when)
  return files.write(dir .. "/" .. name, string.format(PUSH, title, when or '"now"'))
end

local function bodies(reqs)
  local out = {}
  for i, r in ipairs(reqs) do out[i] = cjson.decode(r.body) end
  return out
end

describe("clevertap against the sandbox", function()
  local dir, env
  before_each(function()
    sandbox.reset()
    sandbox.configure{ create_rate_per_sec = 0 }
    dir = files.temp_dir()
    env = cli.sandbox_env()
  end)
  after_each(function() files.remove_dir(dir) end)

  describe("create", function()
    it("creates every campaign of a list, in order, and prints their ids", function()
      local path = files.write(dir .. "/two.lua", [[
local out = {}
for _, product in ipairs({ "Shoes", "Headphones" }) do
  out[#out + 1] = { name = "Price drop: " .. product, target_mode = "push", devices = { "android" },
    where = { event_name = "Product Viewed" }, content = { title = product, body = "cheaper" }, when = "now" }
end
return out
]])
      local since = sandbox.last_seq()
      local r = cli.run({ "create", path }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      local ids = {}
      for id in r.stdout:gmatch("created campaign (%d+)") do ids[#ids + 1] = id end
      assert.equal(2, #ids)
      assert.matches("%[1%]: created campaign %d+ %(\"Price drop: Shoes\"%)", r.stdout)
      assert.matches("%[2%]: created campaign %d+ %(\"Price drop: Headphones\"%)", r.stdout)
      local reqs = sandbox.requests{ path = "/1/targets/create.json", since = since }
      assert.equal(2, #reqs)
      local b = bodies(reqs)
      assert.equal("Price drop: Shoes", b[1].name)
      assert.equal("Price drop: Headphones", b[2].name)
      assert.equal("SANDBOX-ACCOUNT-ID", reqs[1].headers["x-clevertap-account-id"])
      for i, id in ipairs(ids) do
        assert.equal(b[i].name, sandbox.campaign(id).name)
      end
    end)

    it("gives ids and responses with --json", function()
      local path = campaign_file(dir, "one.lua", "JSON campaign")
      local r = cli.run({ "create", "--json", path }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      local doc = cjson.decode(r.stdout)
      assert.is_true(doc.ok)
      assert.equal(0, doc.exit_code)
      assert.equal(1, #doc.campaigns)
      assert.equal("JSON campaign", doc.campaigns[1].name)
      assert.is_number(doc.campaigns[1].id)
      assert.equal("success", doc.campaigns[1].response.status)
      -- ids are written as integers, as the API sent them
      assert.matches('"id":%d+[,}]', r.stdout)
    end)

    it("sends nothing when any campaign of the file is invalid (exit 3)", function()
      local path = files.write(dir .. "/mixed.lua", [[
return {
  { name = "Good", target_mode = "push", devices = { "android" }, where = {},
    content = { title = "a", body = "b" }, when = "now" },
  { name = "Bad", target_mode = "push", devices = { "android" }, where = {}, when = "now" },
}
]])
      local since = sandbox.last_seq()
      local r = cli.run({ "create", path }, { env = env })
      assert.equal(3, r.code)
      assert.matches(path .. "[2]: invalid", r.stdout, 1, true)
      assert.matches("/content", r.stdout, 1, true)
      assert.matches("nothing was sent", r.stderr, 1, true)
      assert.equal(0, #sandbox.requests{ since = since })
    end)

    it("exits 4 when the API refuses, and stops before the next campaign", function()
      local path = files.write(dir .. "/two.lua", [[
return {
  { name = "First", target_mode = "push", devices = { "android" }, where = {},
    content = { title = "a", body = "b" }, when = "now" },
  { name = "Second", target_mode = "push", devices = { "android" }, where = {},
    content = { title = "a", body = "b" }, when = "now" },
}
]])
      local since = sandbox.last_seq()
      local r = cli.run({ "create", "--json", path },
                        { env = cli.sandbox_env{ CLEVERTAP_PASSCODE = "WRONG-PASSCODE" } })
      assert.equal(4, r.code, r.stdout .. r.stderr)
      local doc = cjson.decode(r.stdout)
      assert.is_false(doc.ok)
      assert.equal(4, doc.exit_code)
      assert.is_table(doc.campaigns[1].error)
      assert.equal(401, doc.campaigns[1].error.status)
      assert.is_true(doc.campaigns[2].skipped)
      assert.equal(1, #sandbox.requests{ path = "/1/targets/create.json", since = since })
      assert.is_nil(r.stdout:find("WRONG-PASSCODE", 1, true))
      assert.is_nil(r.stderr:find("WRONG-PASSCODE", 1, true))
    end)

    it("says nothing was created when the file sets estimate_only", function()
      local path = files.write(dir .. "/est.lua", [[
return { name = "Only estimate", estimate_only = true, target_mode = "push", devices = { "android" },
         where = {}, content = { title = "a", body = "b" }, when = "now" }
]])
      local r = cli.run({ "create", path }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches(path .. ": not created (estimate_only is set): estimated ", r.stdout, 1, true)
      local list = cli.run({ "list", "--json", "--from", "19700102", "--to", "20991231" }, { env = env })
      assert.equal(0, #cjson.decode(list.stdout).campaigns)
    end)

    it("takes credentials and the URL from flags over the environment", function()
      local path = campaign_file(dir, "flags.lua", "Flags")
      local r = cli.run({ "create", path, "--account-id", "SANDBOX-ACCOUNT-ID", "--passcode", "SANDBOX-PASSCODE",
                          "--base-url", sandbox.url() },
                        { env = { CLEVERTAP_ACCOUNT_ID = "OTHER", CLEVERTAP_PASSCODE = "OTHER",
                                  CLEVERTAP_BASE_URL = "http://127.0.0.1:9/1" } })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("created campaign %d+", r.stdout)
      assert.is_nil(r.stdout:find("SANDBOX-PASSCODE", 1, true))
    end)
  end)

  describe("estimate", function()
    it("prints the estimated reach and creates nothing", function()
      local path = campaign_file(dir, "est.lua", "Estimate me")
      local since = sandbox.last_seq()
      local r = cli.run({ "estimate", "--json", path }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      local doc = cjson.decode(r.stdout)
      local c = doc.campaigns[1]
      assert.is_table(c.estimates)
      local total = 0
      for _, n in pairs(c.estimates) do total = total + n end
      assert.equal(total, c.total)
      local reqs = sandbox.requests{ path = "/1/targets/create.json", since = since }
      assert.equal(1, #reqs)
      assert.is_true(cjson.decode(reqs[1].body).estimate_only)
      local list = cli.run({ "list", "--json", "--from", "19700102", "--to", "20991231" }, { env = env })
      assert.equal(0, #cjson.decode(list.stdout).campaigns)
      local text = cli.run({ "estimate", path }, { env = env })
      assert.equal(0, text.code)
      assert.matches(path .. ": estimated reach [%d,]+ %(", text.stdout)
      assert.matches('for "Estimate me"', text.stdout, 1, true)
    end)
  end)

  describe("list, result, stop", function()
    local function create(title, when)
      local path = campaign_file(dir, title:gsub("%W", "_") .. ".lua", title, when)
      local r = cli.run({ "create", "--json", path }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      return string.format("%.0f", cjson.decode(r.stdout).campaigns[1].id)
    end

    it("lists the campaigns created in a date range", function()
      local a = create("Listed A")
      local b = create("Listed B")
      local today = os.date("!%Y%m%d")  -- the sandbox stamps campaigns in UTC
      local r = cli.run({ "list", "--from", today, "--to", today }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("2 campaigns between " .. today .. " and " .. today, r.stdout, 1, true)
      -- aligned columns under a header row
      assert.matches("\n  ID +NAME", r.stdout)
      local col = r.stdout:match("\n(  ID +)NAME")
      assert.matches("\n  " .. a .. string.rep(" ", #col - 2 - #a) .. "Listed A", r.stdout, 1, true)
      assert.matches("\n  " .. b .. string.rep(" ", #col - 2 - #b) .. "Listed B", r.stdout, 1, true)
      local j = cli.run({ "list", "--json", "--from", "2000-01-01", "--to", "2099-12-31" }, { env = env })
      assert.equal(0, j.code)
      local doc = cjson.decode(j.stdout)
      assert.equal(20000101, doc.from)
      assert.equal(2, #doc.campaigns)
      local none = cli.run({ "list", "--json", "--from", "20000101", "--to", "20000102" }, { env = env })
      assert.matches('"campaigns":[]', none.stdout, 1, true)
      local sent = sandbox.requests{ path = "/1/targets/list.json" }
      local last = cjson.decode(sent[#sent].body)
      assert.same({ from = 20000101, to = 20000102 }, last)
    end)

    it("exits 7 for the result of a running campaign, 0 with statistics once completed", function()
      local id = create("Result me")
      local r = cli.run({ "result", id }, { env = env })
      assert.equal(7, r.code, r.stdout .. r.stderr)
      assert.matches("campaign " .. id .. " has not completed yet", r.stderr, 1, true)
      local j = cli.run({ "result", "--json", id }, { env = env })
      assert.equal(7, j.code)
      local doc = cjson.decode(j.stdout)
      assert.is_false(doc.completed)
      assert.equal("not_completed", doc.error.kind)
      sandbox.complete(id, { sent = 82, clicked = 28 })
      local done = cli.run({ "result", id }, { env = env })
      assert.equal(0, done.code, done.stderr)
      assert.matches("campaign " .. id .. ": clicked 28, sent 82", done.stdout, 1, true)
      local dj = cjson.decode(cli.run({ "result", "--json", id }, { env = env }).stdout)
      assert.is_true(dj.completed)
      assert.same({ sent = 82, clicked = 28 }, dj.result)
    end)

    it("waits for completion with result --wait, and gives up with exit 7 when time runs out", function()
      sandbox.configure{ complete_after = 1 }
      local id = create("Wait for me")
      local r = cli.run({ "result", id, "--wait", "20", "--interval", "0.3" }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("campaign " .. id .. ": clicked %d+, sent %d+", r.stdout)
      local polls = sandbox.requests{ path = "/1/targets/result.json" }
      assert.is_true(#polls >= 2, "polled " .. #polls .. " times")
      sandbox.configure{ complete_after = 0 }
      local never = create("Never done")
      local t0 = os.time()
      local g = cli.run({ "result", never, "--wait", "1", "--interval", "0.2" }, { env = env })
      assert.equal(7, g.code, g.stdout .. g.stderr)
      assert.is_true(os.time() - t0 < 10)
      local bad = cli.run({ "result", never, "--wait", "soon" }, { env = env })
      assert.equal(2, bad.code)
      assert.matches("--wait expects seconds", bad.stderr, 1, true)
    end)

    it("stops a scheduled campaign, and exits 4 for one the API does not know", function()
      local id = create("Stop me", '"20350101 10:00"')
      local r = cli.run({ "stop", id }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("stopped campaign " .. id, r.stdout, 1, true)
      assert.equal("stopped", sandbox.campaign(id).status)
      local reqs = sandbox.requests{ path = "/1/targets/stop.json" }
      assert.equal(tonumber(id), cjson.decode(reqs[#reqs].body).id)
      local missing = cli.run({ "stop", "999999999" }, { env = env })
      assert.equal(4, missing.code)
      assert.matches("campaign 999999999 not stopped", missing.stderr, 1, true)
      assert.matches("Campaign not found", missing.stderr, 1, true)
    end)
  end)

  describe("trigger", function()
    it("raises the Bulletin of examples/bulletin.lua", function()
      local since = sandbox.last_seq()
      local r = cli.run({ "trigger", cli.root .. "/examples/bulletin.lua" },
                        { env = cli.sandbox_env{ EPISODE = "13" } })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches('raised "Program Released" (Sa Re Ga Ma episode 13): 1 target', r.stdout, 1, true)
      local reqs = sandbox.requests{ path = "/1/targets/trigger.json", since = since }
      assert.equal(1, #reqs)
      local body = cjson.decode(reqs[1].body)
      assert.equal("Program Released", body.business_event)
      assert.equal("234568", body.properties.program_id)
      assert.equal("now", body.when)
    end)

    it("exits 4 when the business event is unknown to the account", function()
      local path = files.write(dir .. "/unknown.lua", [[
return { business_event = "Never Defined", name = "x", properties = { a = "1" }, ["c-by"] = "me@example.com",
         when = "now" }
]])
      local r = cli.run({ "trigger", "--json", path }, { env = env })
      assert.equal(4, r.code, r.stdout .. r.stderr)
      local doc = cjson.decode(r.stdout)
      assert.matches("Business Event Not Found", doc.bulletins[1].error.message, 1, true)
    end)
  end)

  describe("network failure", function()
    it("exits 6 when the API cannot be reached", function()
      local path = campaign_file(dir, "net.lua", "Unreachable")
      -- Port 9 (discard) on loopback: nothing listens, connections are refused.
      local r = cli.run({ "estimate", "--json", path },
                        { env = cli.sandbox_env{ CLEVERTAP_BASE_URL = "http://127.0.0.1:9/1" } })
      assert.equal(6, r.code, r.stdout .. r.stderr)
      local doc = cjson.decode(r.stdout)
      assert.is_true(doc.campaigns[1].error.kind == "network" or doc.campaigns[1].error.kind == "timeout")
    end)
  end)
end)
