-- clevertap create, once: each create is recorded in the account's state
-- database under $XDG_STATE_HOME; a re-run prints `already created: ID` and
-- sends nothing, an unknown outcome (the answer lost after processing) is
-- refused until --force. Checked against the sandbox's request log.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"

local CREATE = "/1/targets/create.json"
local CAMPAIGN = [[return { name = %q, target_mode = "push", when = "now", devices = { "android" },
  where = { event_name = "App Launched", from = 20240101, to = 20240131 },
  content = { title = "Hi", body = "There" } }]]

describe("clevertap create, once", function()
  local dir, env
  local function creates() return #sandbox.requests { path = CREATE } end
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    dir = files.temp_dir()
    env = cli.sandbox_env { XDG_STATE_HOME = dir .. "/state" }
  end)
  after_each(function()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  it("a second run prints the campaign already created and sends nothing; --force creates again", function()
    local file = files.write(dir .. "/c.lua", CAMPAIGN:format("Twice"))
    local dry = cli.run({ "create", file, "--dry-run" }, { env = env })
    assert.equal(0, dry.code, dry.stderr)
    local r = cli.run({ "create", file }, { env = env })
    assert.equal(0, r.code, r.stderr)
    local id = r.stdout:match("created campaign (%d+)")
    assert.is_string(id, r.stdout)
    assert.equal(1, creates())
    local again = cli.run({ "create", file }, { env = env })
    assert.equal(0, again.code, again.stderr)
    assert.matches("already created: " .. id, again.stdout, 1, true)
    assert.equal(1, creates())
    assert.is_true(files.read(dir .. "/state/clevertap/SANDBOX-ACCOUNT-ID/state.db") ~= nil)
    local forced = cli.run({ "create", file, "--force" }, { env = env })
    assert.equal(0, forced.code, forced.stderr)
    local id2 = forced.stdout:match("created campaign (%d+)")
    assert.is_string(id2, forced.stdout)
    assert.are_not.equal(id, id2)
    assert.equal(2, creates())
    -- another state directory knows nothing of it
    local fresh = cli.run({ "create", file }, { env = cli.sandbox_env { XDG_STATE_HOME = dir .. "/other" } })
    assert.equal(0, fresh.code, fresh.stderr)
    assert.equal(3, creates())
  end)

  it("an unknown outcome is refused on a re-run (check with clevertap list); --force sends again", function()
    local file = files.write(dir .. "/c.lua", CAMPAIGN:format("Lost"))
    sandbox.faults { { path = CREATE, fault = "drop", count = 1 } }
    local r = cli.run({ "create", file }, { env = env })
    assert.equal(6, r.code, r.stdout .. r.stderr)
    assert.matches("outcome is unknown", r.stderr, 1, true)
    assert.equal(1, creates())
    local again = cli.run({ "create", file, "--json" }, { env = env })
    assert.equal(3, again.code, again.stdout .. again.stderr)
    local doc = require("cjson").decode(again.stdout)
    assert.equal("validation", doc.campaigns[1].error.kind)
    assert.matches("check with clevertap list", doc.campaigns[1].error.message, 1, true)
    assert.equal(1, creates())
    local forced = cli.run({ "create", file, "--force" }, { env = env })
    assert.equal(0, forced.code, forced.stderr)
    assert.matches("created campaign %d+", forced.stdout)
    assert.equal(2, creates())
    assert.not_matches("SANDBOX%-PASSCODE", r.stderr .. again.stdout .. forced.stdout .. forced.stderr)
  end)
end)
