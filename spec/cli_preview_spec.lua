-- clevertap preview: the exact body and the concrete send instants of each
-- campaign's schedule (clevertap.when.preview), in text and --json. No network.
local cli = require "support.cli"
local files = require "support.files"
local cjson = require "cjson"

local NOW = "2000000000"  -- 2033-05-18T03:33:20Z: before every date below

local WEEKLY = [[
local when = require("clevertap").when
return {
  name = "Digest", target_mode = "email", where = {},
  content = { subject = "S", body = "<p>B</p>", sender_name = "Shop" },
  when = when.weekly{ days = { "mon" }, start = "20350101 09:00", occurrences = 3,
    dnd = { state = "delay", timezone = "account", windows = { mon = { "08:00", "09:30" } } } },
}
]]

describe("clevertap preview", function()
  local dir
  before_each(function() dir = files.temp_dir() end)
  after_each(function() files.remove_dir(dir) end)

  local function file(name, text) return files.write(dir .. "/" .. name, text) end

  it("shows the body and every slot with DND applied, in the account's zone", function()
    local path = file("weekly.lua", WEEKLY)
    local r = cli.run({ "preview", path, "--now", NOW, "--timezone", "Asia/Kolkata", "--count", "5" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches(path .. ': targets/create "Digest" via email', r.stdout, 1, true)
    assert.matches('body:     {', r.stdout, 1, true)
    assert.matches('"repeat_on_days_of_week":[2]', r.stdout, 1, true)
    -- end_by_occurrences = 3: three slots although five were asked for.
    assert.matches("schedule (first 3 slots):", r.stdout, 1, true)
    assert.matches("20350101 09:00", r.stdout, 1, true)
    assert.matches("20350108 09:00", r.stdout, 1, true)
    assert.matches("20350115 09:00", r.stdout, 1, true)
    assert.is_nil(r.stdout:find("20350122 09:00", 1, true))
    -- 09:00 is inside the 08:00-09:30 window: delayed to 09:30 IST = 04:00Z.
    assert.matches("2035-01-01T04:00:00Z", r.stdout, 1, true)
  end)

  it("gives the occurrences as JSON with --json", function()
    local path = file("weekly.lua", WEEKLY)
    local r = cli.run({ "preview", "--json", path, "--now", NOW, "--timezone", "+05:30" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.is_true(doc.ok)
    local c = doc.campaigns[1]
    assert.is_true(c.valid)
    assert.equal("Digest", c.name)
    assert.same(cjson.decode(c.body).when.repeat_on_days_of_week, { 2 })
    assert.equal(3, #c.occurrences)
    local first = c.occurrences[1]
    assert.equal(1, first.n)
    assert.equal("20350101 09:00", first.slot)
    assert.equal("send", first.status)
    assert.is_true(first.delayed)
    assert.equal("2035-01-01T04:00:00Z", first.utc)
    assert.equal("dnd_delay", first.reasons[1].code)
  end)

  it("uses --user-timezone for delivery in the user's zone", function()
    local path = file("user.lua", [[
local when = require("clevertap").when
return { name = "U", target_mode = "push", where = {}, devices = { "android" }, content = { title = "a", body = "b" },
         when = when.at("20350420 13:00", { delivery_timezone = "user" }) }
]])
    local r = cli.run({ "preview", "--json", path, "--now", NOW, "--timezone", "UTC",
                        "--user-timezone", "America/New_York" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local occ = cjson.decode(r.stdout).campaigns[1].occurrences
    assert.equal(1, #occ)
    assert.equal("send", occ[1].status)
    assert.equal("2035-04-20T17:00:00Z", occ[1].utc)  -- 13:00 EDT
  end)

  it("shows the problems of an invalid campaign and exits 3", function()
    local path = file("bad.lua",
      [[return { name = "B", target_mode = "push", where = {}, devices = { "android" }, when = "now" }]])
    local r = cli.run({ "preview", path, "--now", NOW })
    assert.equal(3, r.code)
    assert.matches("error   content", r.stdout, 1, true)
    assert.is_nil(r.stdout:find("body:", 1, true))
  end)

  it("exits 3 when the schedule cannot be previewed, saying why", function()
    local past = file("past.lua", [[
return { name = "P", target_mode = "push", where = {}, devices = { "android" }, content = { title = "a", body = "b" },
         when = "20300101 10:00" }
]])
    local r = cli.run({ "preview", past, "--now", NOW })
    assert.equal(3, r.code)
    assert.matches("schedule: cannot preview: ", r.stdout, 1, true)
    local ok = file("ok.lua", WEEKLY)
    local z = cli.run({ "preview", ok, "--now", NOW, "--timezone", "Mars/Olympus_Mons" })
    assert.equal(3, z.code)
    assert.matches("Mars/Olympus_Mons", z.stdout, 1, true)
  end)

  it("shows a Bulletin's event time instead of a schedule", function()
    local r = cli.run({ "preview", cli.root .. "/examples/bulletin.lua" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches('targets/trigger "Sa Re Ga Ma episode 12"', r.stdout, 1, true)
    assert.matches("when:     now", r.stdout, 1, true)
    local stamped = file("stamped.lua", [[
return { business_event = "Program Released", name = "x", properties = { program_id = "1" },
         ["c-by"] = "a@example.com", when = 1724123456 }
]])
    local s = cli.run({ "preview", stamped })
    assert.equal(0, s.code, s.stdout .. s.stderr)
    assert.matches("when:     1724123456 = 2024-08-20 03:10:56 UTC", s.stdout, 1, true)
  end)
end)
