-- clevertap validate: campaign files (tables, lists, errors while loading),
-- every problem with its pointer, warnings and --strict, --endpoint, --now,
-- and the --json document. No network.
local cli = require "support.cli"
local files = require "support.files"
local cjson = require "cjson"

local VALID = [[
return {
  name = "Spec campaign", target_mode = "push", where = {}, devices = { "android" },
  content = { title = "Hi", body = "Hello" },
  when = "now",
}
]]

describe("clevertap validate", function()
  local dir
  before_each(function() dir = files.temp_dir() end)
  after_each(function() files.remove_dir(dir) end)

  local function file(name, text) return files.write(dir .. "/" .. name, text) end

  it("accepts a valid campaign file and exits 0", function()
    local path = file("ok.lua", VALID)
    local r = cli.run({ "validate", path })
    assert.equal(0, r.code, r.stderr)
    assert.matches(path .. ": ok (targets/create, \"Spec campaign\")", r.stdout, 1, true)
  end)

  it("reports every problem with its JSON Pointer and exits 3", function()
    local path = file("bad.lua", [[
return { target_mode = "push", where = {}, devices = { "android" }, content = { title = "Hi", body = 5 }, when = "now" }
]])
    local r = cli.run({ "validate", path })
    assert.equal(3, r.code)
    assert.matches(path .. ": %d+ errors?", r.stdout)
    assert.matches("error   name: missing required member (at /name)", r.stdout, 1, true)
    assert.matches("error   content.body: ", r.stdout, 1, true)
  end)

  it("validates each table of a list, labelled by position", function()
    local path = file("list.lua", [[
local out = {}
for i = 1, 3 do
  out[i] = { name = "C" .. i, target_mode = "push", where = {}, devices = { "android" },
             content = { title = "T", body = i == 2 and {} or "B" }, when = "now" }
end
return out
]])
    local r = cli.run({ "validate", path })
    assert.equal(3, r.code)
    assert.matches(path .. "[1]: ok", r.stdout, 1, true)
    assert.matches(path .. "[2]: 1 error", r.stdout, 1, true)
    assert.matches(path .. "[3]: ok", r.stdout, 1, true)
    assert.matches("/content/body", r.stdout, 1, true)
  end)

  it("validates several files and fails when any of them fails", function()
    local good = file("good.lua", VALID)
    local r = cli.run({ "validate", good, dir .. "/missing.lua" })
    assert.equal(3, r.code)
    assert.matches(good .. ": ok", r.stdout, 1, true)
    assert.matches("cannot read campaign file: " .. dir .. "/missing.lua", r.stdout, 1, true)
  end)

  it("reports a syntax error with the file and line", function()
    local path = file("syntax.lua", "return {\n  name = 'x',\n  when = = 'now'\n}\n")
    local r = cli.run({ "validate", path })
    assert.equal(3, r.code)
    assert.matches("campaign file does not load: " .. path .. ":3:", r.stdout, 1, true)
  end)

  it("reports a schedule mistake at the line that built it", function()
    local path = file("when.lua", [[
local when = require("clevertap").when
local c = { name = "x", target_mode = "push", where = {}, devices = { "android" },
            content = { title = "a", body = "b" } }
c.when = when.weekly{ days = { "funday" }, start = "20350105 09:00" }
return c
]])
    local r = cli.run({ "validate", path })
    assert.equal(3, r.code)
    assert.matches("campaign file failed: " .. path .. ":4:", r.stdout, 1, true)
    assert.matches("funday", r.stdout, 1, true)
  end)

  it("refuses files that return no campaign", function()
    local cases = {
      { "return 42", "must return a campaign table or a list of them, got number" },
      { "local x = 1", "must return a campaign table or a list of them, got nothing" },
      { "return {}", "returned an empty table" },
      { "return { 'a', 'b' }", "item 1 of the returned list is a string" },
    }
    for i, case in ipairs(cases) do
      local path = file("none" .. i .. ".lua", case[1])
      local r = cli.run({ "validate", path })
      assert.equal(3, r.code, case[1])
      assert.matches(case[2], r.stdout, 1, true)
    end
  end)

  it("lets a campaign file require modules next to it and read the environment", function()
    os.execute("mkdir -p " .. cli.quote(dir .. "/lib"))
    file("lib/copy.lua", "return { title = 'From a module' }")
    local path = file("req.lua", [[
local copy = require "lib.copy"
return { name = os.getenv("SPEC_CAMPAIGN_NAME"), target_mode = "push", where = {}, devices = { "android" },
         content = { title = copy.title, body = "b" }, when = "now" }
]])
    local r = cli.run({ "validate", path }, { env = { SPEC_CAMPAIGN_NAME = "From env" } })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches('"From env"', r.stdout, 1, true)
    local unset = cli.run({ "validate", path })
    assert.equal(3, unset.code)
    assert.matches("/name", unset.stdout, 1, true)
  end)

  it("prints warnings without failing, and fails on them with --strict", function()
    local path = file("warn.lua", [[
return { name = "W", target_mode = "push", where = {}, devices = { "android" }, content = { title = "a", body = "b" },
         when = "now", respect_frequency_capz = false }
]])
    local r = cli.run({ "validate", path })
    assert.equal(0, r.code, r.stdout)
    assert.matches("warning respect_frequency_capz: ", r.stdout, 1, true)
    assert.matches("respect_frequency_caps", r.stdout, 1, true)  -- did you mean
    local s = cli.run({ "validate", "--strict", path })
    assert.equal(3, s.code)
    assert.matches("failing with --strict", s.stdout, 1, true)
  end)

  it("checks a Bulletin as targets/trigger", function()
    local r = cli.run({ "validate", cli.root .. "/examples/bulletin.lua" })
    assert.equal(0, r.code, r.stdout)
    assert.matches("(targets/trigger, ", r.stdout, 1, true)
    local bad = file("b.lua", [[return { business_event = "Program Released", properties = {}, when = "now" }]])
    local b = cli.run({ "validate", bad })
    assert.equal(3, b.code)
    assert.matches("(targets/trigger)", b.stdout, 1, true)
    assert.matches("/name", b.stdout, 1, true)
  end)

  it("checks a send message with --endpoint, and asks for it when a table has 'to'", function()
    local msg = file("msg.lua", [[return { content = { title = "T", body = "B" } }]])
    local r = cli.run({ "validate", "--endpoint", "send/push", msg })
    assert.equal(0, r.code, r.stdout)
    assert.matches("(send/push)", r.stdout, 1, true)
    local email = cli.run({ "validate", "--endpoint", "send/email", msg })
    assert.equal(3, email.code)
    assert.matches("/content/subject", email.stdout, 1, true)
    local to = file("to.lua", [[return { to = { Identity = { "a" } }, content = { title = "T", body = "B" } }]])
    local t = cli.run({ "validate", to })
    assert.equal(3, t.code)
    assert.matches("--endpoint", t.stdout, 1, true)
  end)

  it("uses --now for the must-be-in-the-future checks", function()
    local path = file("later.lua", [[
return { name = "L", target_mode = "push", where = {}, devices = { "android" }, content = { title = "a", body = "b" },
         when = "20300101 10:00" }
]])
    local before = cli.run({ "validate", "--now", "1800000000", path })  -- 2027
    assert.equal(0, before.code, before.stdout)
    local after = cli.run({ "validate", "--now", "2000000000", path })   -- 2033
    assert.equal(3, after.code)
    assert.matches("/when", after.stdout, 1, true)
  end)

  it("prints one JSON document with --json", function()
    local good = file("good.lua", VALID)
    local bad = file("bad.lua",
      [[return { name = "B", target_mode = "push", where = {}, devices = { "android" }, when = "now" }]])
    local r = cli.run({ "validate", "--json", good, bad, dir .. "/nope.lua" })
    assert.equal(3, r.code)
    local doc = cjson.decode(r.stdout)
    assert.equal("validate", doc.command)
    assert.is_false(doc.ok)
    assert.equal(3, doc.exit_code)
    assert.equal(3, #doc.files)
    local c1 = doc.files[1].campaigns[1]
    assert.is_true(c1.valid)
    assert.equal("targets/create", c1.endpoint)
    assert.equal("Spec campaign", c1.name)
    assert.same({}, c1.errors)
    assert.matches('"errors":[]', r.stdout, 1, true)
    local c2 = doc.files[2].campaigns[1]
    assert.is_false(c2.valid)
    assert.is_true(#c2.errors >= 1)
    local pointers = {}
    for _, p in ipairs(c2.errors) do
      pointers[p.pointer] = true
      assert.equal("error", p.severity)
      assert.is_string(p.message)
    end
    assert.is_true(pointers["/content"])
    assert.matches("cannot read campaign file", doc.files[3].error, 1, true)
  end)
end)
