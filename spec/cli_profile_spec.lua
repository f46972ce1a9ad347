-- Profiles in $XDG_CONFIG_HOME/clevertap/config.lua: named accounts,
-- passcode from a command or a variable, limits, precedence, and a config
-- that others can read refused like ssh refuses such a key.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"

local PASS = "SANDBOX-PASSCODE"

local function config(dir, text, mode)
  os.execute("mkdir -p " .. cli.quote(dir .. "/clevertap"))
  local path = files.write(dir .. "/clevertap/config.lua", text)
  os.execute("chmod " .. (mode or "600") .. " " .. cli.quote(path))
  return path
end

local function list(argv, env)
  local r = cli.run(argv or { "list", "--from", "20250101", "--to", "20250131" }, { env = env })
  return r
end

describe("clevertap profiles", function()
  local dir, url
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    url = os.getenv("CLEVERTAP_SANDBOX_URL")
  end)
  after_each(function()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  local function standard()
    return config(dir, string.format([[
return {
  default = "sandbox",
  profiles = {
    sandbox = { account_id = "SANDBOX-ACCOUNT-ID", base_url = %q, passcode_command = "printf %%s %s" },
    fromenv = { account_id = "SANDBOX-ACCOUNT-ID", base_url = %q, passcode_env = "CT_SB_PASS" },
    strict = { account_id = "SANDBOX-ACCOUNT-ID", base_url = %q, passcode_env = "CT_SB_PASS", attempts = 1 },
    broken = { account_id = "SANDBOX-ACCOUNT-ID", base_url = %q, passcode_command = "echo leaked-%s >&2; exit 3" },
  },
}]], url, PASS, url, url, url, PASS))
  end

  it("uses the default profile, --profile or $CLEVERTAP_PROFILE, with the passcode from a command", function()
    standard()
    local env = { XDG_CONFIG_HOME = dir }
    local since = sandbox.last_seq()
    local r = list(nil, env)
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local sent = sandbox.requests{ path = "/1/targets/list.json", since = since }
    assert.equal(1, #sent)
    assert.equal("SANDBOX-ACCOUNT-ID", sent[1].headers["x-clevertap-account-id"])
    env.CT_SB_PASS = PASS
    assert.equal(0, list({ "list", "--from", "20250101", "--profile", "fromenv" }, env).code)
    env.CLEVERTAP_PROFILE = "fromenv"
    assert.equal(0, list(nil, env).code)
    env.CT_SB_PASS = nil
    local missing = list(nil, env)
    assert.equal(2, missing.code)
    assert.matches("profile 'fromenv': $CT_SB_PASS (its passcode_env) is not set", missing.stderr, 1, true)
  end)

  it("lets an explicit profile beat the environment, and a flag beat the profile", function()
    standard()
    local env = { XDG_CONFIG_HOME = dir, CLEVERTAP_BASE_URL = "http://127.0.0.1:9/1", CLEVERTAP_PASSCODE = "WRONG" }
    assert.equal(0, list({ "list", "--from", "20250101", "--profile", "sandbox" }, env).code)
    -- without --profile the environment wins over the default profile: nothing listens on :9
    assert.equal(6, list({ "list", "--from", "20250101", "--timeout", "2", "--attempts", "1" }, env).code)
    -- a flag wins over the profile
    local r = list({ "list", "--from", "20250101", "--profile", "sandbox", "--passcode", "NOT-IT" }, env)
    assert.equal(4, r.code)
  end)

  it("applies a profile's limits (attempts = 1: no retry)", function()
    standard()
    local env = { XDG_CONFIG_HOME = dir, CT_SB_PASS = PASS }
    sandbox.faults({ { path = "/1/targets/list.json", fault = "500-89", count = 1 } }, 3)
    assert.equal(4, list({ "list", "--from", "20250101", "--profile", "strict" }, env).code)
    sandbox.faults({ { path = "/1/targets/list.json", fault = "500-89", count = 1 } }, 3)
    assert.equal(0, list({ "list", "--from", "20250101", "--profile", "fromenv" }, env).code)
  end)

  it("refuses a config that others can read, like ssh", function()
    local path = standard()
    os.execute("chmod 644 " .. cli.quote(path))
    local r = list(nil, { XDG_CONFIG_HOME = dir })
    assert.equal(2, r.code)
    assert.matches(path .. " is accessible by others (mode 0644) and may hold credentials: run chmod 600 "
      .. path, r.stderr, 1, true)
    os.execute("chmod 640 " .. cli.quote(path))
    assert.matches("(mode 0640)", list(nil, { XDG_CONFIG_HOME = dir }).stderr, 1, true)
    -- with HOME alone, the file under ~/.config counts the same
    local home = dir .. "/home"
    config(home .. "/.config", "return {}", "604")
    local h = cli.run({ "list", "--from", "20250101" }, { env = { XDG_CONFIG_HOME = "", HOME = home } })
    assert.equal(2, h.code)
    assert.matches(home .. "/.config/clevertap/config.lua is accessible by others (mode 0604)", h.stderr, 1, true)
  end)

  it("names unknown profiles and keys, and never shows a failing command's output", function()
    standard()
    local env = { XDG_CONFIG_HOME = dir }
    local r = list({ "list", "--from", "20250101", "--profile", "sandbx" }, env)
    assert.equal(2, r.code)
    assert.matches('unknown profile "sandbx" (did you mean "sandbox"?)', r.stderr, 1, true)
    local b = list({ "list", "--from", "20250101", "--profile", "broken" }, env)
    assert.equal(2, b.code)
    assert.matches("profile 'broken': passcode_command failed", b.stderr, 1, true)
    assert.is_nil(b.stdout:find("leaked-", 1, true))
    config(dir, 'return { profiles = { x = { regoin = "in1" } } }')
    local k = list({ "list", "--from", "20250101", "--profile", "x" }, env)
    assert.equal(2, k.code)
    assert.matches('profile \'x\': unknown option "regoin" (did you mean "region"?)', k.stderr, 1, true)
    local none = list({ "list", "--from", "20250101", "--profile", "p" }, { XDG_CONFIG_HOME = dir .. "/none" })
    assert.equal(2, none.code)
    assert.matches("no profile 'p': no config file at " .. dir .. "/none/clevertap/config.lua", none.stderr, 1, true)
  end)
end)
