-- The clevertap command's surface: help, version, usage errors and their
-- exit code (2), option/command mismatches, and --json for usage errors.
local cli = require "support.cli"
local files = require "support.files"
local cjson = require "cjson"

describe("clevertap command line", function()
  it("prints usage with every command and the exit codes for --help", function()
    local r = cli.run({ "--help" })
    assert.equal(0, r.code)
    for _, c in ipairs({ "validate", "estimate", "create", "send", "stop", "result", "list", "trigger", "preview" }) do
      assert.matches("\n  " .. c .. " ", r.stdout, 1, true)
    end
    assert.matches("Exit codes:", r.stdout, 1, true)
    for code = 0, 7 do assert.matches("\n  " .. code .. "  ", r.stdout, 1, true) end
    assert.matches("CLEVERTAP_ACCOUNT_ID", r.stdout, 1, true)
    assert.equal("", r.stderr)
  end)

  it("prints one command's help for COMMAND --help and help COMMAND", function()
    local a = cli.run({ "send", "--help" })
    assert.equal(0, a.code)
    assert.matches("Usage: clevertap send CHANNEL FILE --ids", a.stdout, 1, true)
    assert.matches("--type TYPE", a.stdout, 1, true)
    assert.matches("Exit codes:", a.stdout, 1, true)
    local b = cli.run({ "help", "list" })
    assert.equal(0, b.code)
    assert.matches("Usage: clevertap list --from", b.stdout, 1, true)
  end)

  it("prints the library version", function()
    local r = cli.run({ "--version" })
    assert.equal(0, r.code)
    assert.matches("^clevertap %d+%.%d+%.%d+", r.stdout)
  end)

  it("exits 2 with a message on stderr when no command is given", function()
    local r = cli.run({})
    assert.equal(2, r.code)
    assert.equal("", r.stdout)
    assert.matches("no command given", r.stderr, 1, true)
    assert.matches("clevertap --help", r.stderr, 1, true)
  end)

  it("exits 2 for an unknown command, naming it", function()
    local r = cli.run({ "sned", "push" })
    assert.equal(2, r.code)
    assert.matches("unknown command 'sned'", r.stderr, 1, true)
  end)

  it("exits 2 for an unknown option, naming it", function()
    local r = cli.run({ "validate", "--stirct", "x.lua" })
    assert.equal(2, r.code)
    assert.matches("unknown option '--stirct'; did you mean '--strict'?", r.stderr, 1, true)
  end)

  it("exits 2 when an option is missing its value", function()
    local r = cli.run({ "send", "push", "m.lua", "--ids" })
    assert.equal(2, r.code)
    assert.matches("option '--ids' requires an argument", r.stderr, 1, true)
  end)

  it("exits 2 when a value is given to a flag", function()
    local r = cli.run({ "validate", "--strict=yes", "x.lua" })
    assert.equal(2, r.code)
    assert.matches("option '--strict' does not take arguments", r.stderr, 1, true)
  end)

  it("exits 2 when an option does not apply to the command", function()
    local r = cli.run({ "stop", "--ids", "f.txt", "123" })
    assert.equal(2, r.code)
    assert.matches("option --ids does not apply to 'stop'", r.stderr, 1, true)
    assert.matches("clevertap stop --help", r.stderr, 1, true)
  end)

  it("exits 2 for commands missing their arguments", function()
    local cases = {
      { { "validate" }, "validate needs at least one campaign file" },
      { { "estimate" }, "estimate needs exactly one campaign file" },
      { { "create" }, "create needs exactly one campaign file" },
      { { "create", "a.lua", "b.lua" }, "create needs exactly one campaign file" },
      { { "trigger" }, "trigger needs exactly one Bulletin file" },
      { { "preview" }, "preview needs exactly one campaign file" },
      { { "stop" }, "stop needs a campaign id" },
      { { "result" }, "result needs a campaign id" },
      { { "result", "1", "2" }, "result takes one campaign id" },
      { { "list" }, "list needs --from YYYYMMDD" },
      { { "send" }, "send needs CHANNEL and FILE" },
      { { "send", "push", "m.lua" }, "send needs --ids FILE" },
    }
    for _, case in ipairs(cases) do
      local r = cli.run(case[1])
      assert.equal(2, r.code, table.concat(case[1], " "))
      assert.matches(case[2], r.stderr, 1, true)
    end
  end)

  it("exits 2 for malformed argument values, saying what was expected", function()
    local cases = {
      { { "stop", "12ab" }, "campaign id must be digits" },
      { { "result", "-5" }, "unknown option '-5'" },
      { { "list", "--from", "2025-13-01" }, "--from: 2025-13-01 is not a calendar date" },
      { { "list", "--from", "20250230" }, "--from: 20250230 is not a calendar date" },
      { { "list", "--from", "yesterday" }, "--from expects a date as YYYYMMDD" },
      { { "list", "--from", "20250201", "--to", "20250101" }, "--to (20250101) is before --from (20250201)" },
      { { "send", "fax", "m.lua", "--ids", "-" }, "CHANNEL must be push, webpush, email or sms, got 'fax'" },
      { { "send", "push", "m.lua", "--ids", "-", "--type", "Phone" },
        "--type must be one of FBID, GPID, Email, Identity, objectId, got 'Phone'" },
      { { "send", "push", "m.lua", "--ids", "-", "--progress", "--no-progress" }, "contradict" },
      { { "validate", "--endpoint", "targets/nope", "x.lua" }, "--endpoint must be one of" },
      { { "validate", "--now", "tomorrow", "x.lua" }, "--now expects epoch seconds" },
      { { "preview", "--count", "0", "x.lua" }, "--count expects a positive whole number" },
      { { "stop", "1", "--timeout", "soon", "--account-id", "A", "--passcode", "P" }, "--timeout expects seconds" },
      { { "stop", "1", "--attempts", "0", "--account-id", "A", "--passcode", "P" },
        "--attempts expects a whole number" },
    }
    for _, case in ipairs(cases) do
      local r = cli.run(case[1])
      assert.equal(2, r.code, table.concat(case[1], " "))
      assert.matches(case[2], r.stderr, 1, true)
    end
  end)

  it("exits 2 without credentials for commands that call the API, naming the variable", function()
    local r = cli.run({ "stop", "1457433898" })
    assert.equal(2, r.code)
    assert.matches("CLEVERTAP_ACCOUNT_ID", r.stderr, 1, true)
    local p = cli.run({ "stop", "1457433898" }, { env = { CLEVERTAP_ACCOUNT_ID = "X" } })
    assert.equal(2, p.code)
    assert.matches("CLEVERTAP_PASSCODE", p.stderr, 1, true)
  end)

  it("exits 2 for a region or base URL the client cannot use, naming it", function()
    local creds = { CLEVERTAP_ACCOUNT_ID = "A", CLEVERTAP_PASSCODE = "P" }
    local r = cli.run({ "stop", "1", "--region", "mars" }, { env = creds })
    assert.equal(2, r.code)
    assert.matches("unknown region 'mars'", r.stderr, 1, true)
    creds.CLEVERTAP_BASE_URL = "ftp://example.com/1"
    local b = cli.run({ "stop", "1" }, { env = creds })
    assert.equal(2, b.code)
    assert.matches("base_url", b.stderr, 1, true)
  end)

  it("never prints the passcode, even when a campaign file echoes it", function()
    local path = files.temp_file([[error("leaked: " .. os.getenv("CLEVERTAP_PASSCODE"))]], ".lua")
    local env = { CLEVERTAP_ACCOUNT_ID = "A", CLEVERTAP_PASSCODE = "S3CRET-PASSCODE" }
    for _, argv in ipairs({ { "create", path }, { "create", "--json", path }, { "validate", path } }) do
      local r = cli.run(argv, { env = env })
      assert.equal(3, r.code)
      local all = r.stdout .. r.stderr
      assert.is_nil(all:find("S3CRET-PASSCODE", 1, true), all)
      assert.matches("leaked: <redacted>", all, 1, true)
    end
    os.remove(path)
  end)

  it("exits 1 with a hint when the C module cannot be found", function()
    local env = { BUILD = "/nonexistent", LUA_CPATH = "/nonexistent/?.so" }
    local r = cli.run({ "validate", "--json", cli.root .. "/examples/bulletin.lua" }, { env = env })
    assert.equal(1, r.code)
    assert.matches("clevertap.core is not built or not on LUA_CPATH", r.stderr, 1, true)
    local doc = cjson.decode(r.stdout)
    assert.equal(1, doc.exit_code)
    assert.equal("failure", doc.error.kind)
  end)

  it("reports usage errors as JSON with --json", function()
    local r = cli.run({ "--json", "frobnicate" })
    assert.equal(2, r.code)
    local doc = cjson.decode(r.stdout)
    assert.is_false(doc.ok)
    assert.equal(2, doc.exit_code)
    assert.equal("usage", doc.error.kind)
    assert.matches("unknown command 'frobnicate'", doc.error.message, 1, true)
    local p = cli.run({ "--json", "--bogus" })
    assert.equal(2, p.code)
    assert.equal("usage", cjson.decode(p.stdout).error.kind)
  end)

  it("runs from a checkout through a relative or absolute path", function()
    local r = cli.run({ "--version" })
    assert.equal(0, r.code)
    local p = io.popen("cd " .. cli.quote(cli.root) .. " && " .. cli.quote(cli.lua) .. " bin/clevertap --version 2>&1")
    local out = p:read("*a")
    p:close()
    assert.matches("^clevertap %d", out)
  end)
end)
