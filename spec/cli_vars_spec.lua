-- --var key=value (repeatable) and --vars FILE.lua|.json: one campaign file,
-- several runs, the values reaching the API as the sandbox logged them.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local CAMPAIGN = [[
local vars = ...
return {
  name = "Sale in " .. assert(vars.city, "no city: pass --var city=..."),
  target_mode = "push", where = {}, when = "now", devices = { "android" },
  content = { title = vars.title or "Sale", body = "Up to " .. (vars.discount or "10") .. "% off" },
}
]]

-- The campaign one run created: the last create request it made (a create
-- paced by the API's 1/s limit may have been retried).
local function create(argv, env)
  local since = sandbox.last_seq()
  local r = cli.run(argv, { env = env })
  assert.equal(0, r.code, r.stderr)
  local sent = sandbox.requests{ path = "/1/targets/create.json", since = since }
  return cjson.decode(sent[#sent].body)
end

describe("clevertap --var and --vars", function()
  local dir, env, camp
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    env = cli.sandbox_env()
    camp = files.write(dir .. "/sale.lua", CAMPAIGN)
  end)
  after_each(function() files.remove_dir(dir) end)

  it("gives one campaign file different values in two runs", function()
    local got = {
      create({ "create", camp, "--var", "city=Paris", "--var", "discount=30" }, env),
      create({ "create", "--var=city=Oslo", "--var", "title=Salg", camp }, env),
    }
    assert.equal("Sale in Paris", got[1].name)
    assert.equal("Up to 30% off", got[1].content.body)
    assert.equal("Sale in Oslo", got[2].name)
    assert.equal("Salg", got[2].content.title)
    assert.equal("Up to 10% off", got[2].content.body)
  end)

  it("reads --vars from a Lua or JSON file; --var wins over it", function()
    local lua_vars = files.write(dir .. "/v.lua", 'return { city = "Lyon", discount = 15 }')
    local json_vars = files.write(dir .. "/v.json", '{"city": "Kyiv", "title": "Sale!"}')
    local got = {
      create({ "create", camp, "--vars", lua_vars }, env),
      create({ "create", camp, "--vars", json_vars, "--var", "city=Rome" }, env),
    }
    assert.equal("Sale in Lyon", got[1].name)
    assert.equal("Up to 15% off", got[1].content.body)
    assert.equal("Sale in Rome", got[2].name)
    assert.equal("Sale!", got[2].content.title)
  end)

  it("reaches validate and preview too, and reports a missing variable with the file's line", function()
    local p = cli.run({ "preview", camp, "--var", "city=Bern" })
    assert.equal(0, p.code, p.stderr)
    assert.matches('"name":"Sale in Bern"', p.stdout, 1, true)
    local v = cli.run({ "validate", camp })
    assert.equal(3, v.code)
    assert.matches("sale.lua:3: no city: pass --var city=...", v.stdout .. v.stderr, 1, true)
  end)

  it("refuses malformed variables and unreadable files", function()
    local cases = {
      { { "validate", camp, "--var", "city" }, 2, "--var expects key=value, got 'city'" },
      { { "validate", camp, "--var", "1x=2" }, 2, "--var name must be" },
      { { "validate", camp, "--vars", dir .. "/none.json" }, 3, "cannot read --vars file" },
      { { "validate", camp, "--vars", files.write(dir .. "/bad.json", "[1,2]") }, 3, "must give a table of names" },
      { { "stop", "1", "--var", "a=b" }, 2, "option --var does not apply to 'stop'" },
    }
    for _, c in ipairs(cases) do
      local r = cli.run(c[1], { env = env })
      assert.equal(c[2], r.code, table.concat(c[1], " ") .. "\n" .. r.stderr)
      assert.matches(c[3], r.stderr, 1, true)
    end
  end)
end)
