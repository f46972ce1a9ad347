-- The question before a big send: asked on a terminal (a pty via script(1))
-- above --confirm-above identities to a non-sandbox base URL; --yes skips
-- it; a loopback sandbox and a run without a terminal are never asked.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"

local MESSAGE = [[return { tag_group = "spec", content = { title = "Sale", body = "Half price" } }]]
-- Not loopback by its name, refused at once by the kernel: a "real" account
-- whose sends fail fast with a network error (exit 6) once they are tried.
local REMOTE = "http://0.0.0.0:9/1"

-- Run on a pty, typing `answer`; returns output, exit code.
local function on_terminal(argv, env, answer)
  local inner = cli.command(argv, env)
  local p = io.popen("printf " .. cli.quote(answer or "") .. " | script -qec " .. cli.quote(inner)
    .. " /dev/null; echo \"exit=$?\"")
  local out = p:read("*a")
  p:close()
  return out, tonumber(out:match("exit=(%d+)%s*$"))
end

describe("clevertap send confirmation", function()
  local dir, msg, ids, creds
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    msg = files.write(dir .. "/msg.lua", MESSAGE)
    ids = files.write(dir .. "/ids.txt", cli.user_ids(12))
    creds = { CLEVERTAP_ACCOUNT_ID = "REAL-ACCOUNT", CLEVERTAP_PASSCODE = "REAL-PASSCODE", CLEVERTAP_BASE_URL = REMOTE }
  end)
  after_each(function() files.remove_dir(dir) end)

  local function send(extra)
    local argv = { "send", "push", msg, "--ids", ids, "--confirm-above", "10", "--attempts", "1", "--no-progress" }
    for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
    return argv
  end

  it("asks on a terminal above --confirm-above and sends nothing on no", function()
    local out, code = on_terminal(send(), creds, "n\n")
    assert.matches("clevertap: send push to 12 identities on " .. REMOTE .. "? [y/N]", out, 1, true)
    assert.equal(8, code, out)
    assert.matches("not confirmed; nothing was sent", out, 1, true)
    assert.is_nil(out:find("network", 1, true), out)
  end)

  it("sends on yes, and with --yes without asking", function()
    local out, code = on_terminal(send(), creds, "y\n")
    assert.matches("[y/N]", out, 1, true)
    assert.equal(6, code, out)   -- it tried: the connection was refused
    out, code = on_terminal(send({ "--yes" }), creds, "")
    assert.is_nil(out:find("[y/N]", 1, true), out)
    assert.equal(6, code, out)
  end)

  it("does not ask at or below the threshold, for a loopback sandbox, or without a terminal", function()
    local out, code = on_terminal(send({ "--confirm-above", "12" }), creds, "")
    assert.is_nil(out:find("[y/N]", 1, true), out)
    assert.equal(6, code)
    local since = sandbox.last_seq()
    out, code = on_terminal(send(), cli.sandbox_env(), "")
    assert.is_nil(out:find("[y/N]", 1, true), out)
    assert.equal(0, code, out)
    assert.equal(1, #sandbox.requests{ path = "/1/send/push.json", since = since })
    local r = cli.run(send(), { env = creds })
    assert.equal(6, r.code, r.stderr)
    assert.is_nil(r.stderr:find("[y/N]", 1, true))
  end)

  it("uses a default of 10,000 and refuses a malformed threshold", function()
    assert.equal(10000, require("clevertap.cli.confirm").DEFAULT_ABOVE)
    local r = cli.run({ "send", "push", msg, "--ids", ids, "--confirm-above", "lots" }, { env = creds })
    assert.equal(2, r.code)
    assert.matches("--confirm-above expects a whole number", r.stderr, 1, true)
    local c = require "clevertap.cli.confirm"
    assert.is_true(c.is_local("http://127.0.0.1:8080/1"))
    assert.is_true(c.is_local("http://localhost/1"))
    assert.is_true(c.is_local("http://[::1]:80/1"))
    assert.is_false(c.is_local("https://in1.api.clevertap.com/1"))
    assert.is_false(c.is_local(nil))
  end)
end)
