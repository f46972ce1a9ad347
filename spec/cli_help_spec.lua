-- The command line comes from one table (lua/clevertap/cli/definitions.lua):
-- generated --help per command, "did you mean" for commands and options,
-- shell completions that really complete, and a man page that is current.
local cli = require "support.cli"
local files = require "support.files"
local defs = require "clevertap.cli.definitions"

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  p:close()
  return out
end

describe("clevertap help, completion and man page", function()
  it("generates each command's --help from its definition", function()
    for _, c in ipairs(defs.commands) do
      local r = cli.run({ c.name, "--help" })
      assert.equal(0, r.code, c.name)
      assert.matches("Usage: clevertap " .. c.name .. " " .. c.usage, r.stdout, 1, true)
      for _, o in ipairs(c.options) do
        assert.matches("\n  " .. o[1] .. (o[2] and (" " .. o[2]) or ""), r.stdout, 1, true)
      end
      for _, o in ipairs(defs.common) do assert.matches("\n  " .. o[1]:gsub(" ", ", "), r.stdout, 1, true) end
      assert.matches("Exit codes:", r.stdout, 1, true)
      -- help COMMAND and COMMAND --help are the same text
      assert.equal(r.stdout, cli.run({ "help", c.name }).stdout)
    end
  end)

  it("suggests the closest command and option", function()
    local r = cli.run({ "sned", "push" })
    assert.equal(2, r.code)
    assert.matches("unknown command 'sned'; did you mean 'send'?", r.stderr, 1, true)
    local o = cli.run({ "send", "push", "m.lua", "--isd", "x" })
    assert.equal(2, o.code)
    assert.matches("unknown option '--isd'; did you mean '--ids'?", o.stderr, 1, true)
    local p = cli.run({ "preview", "--tmezone", "UTC", "x.lua" })
    assert.matches("did you mean '--timezone'?", p.stderr, 1, true)
  end)

  it("keeps options given before the command name", function()
    local path = files.temp_file("return 42", ".lua")
    local r = cli.run({ "--json", "--strict", "validate", path })
    assert.equal(3, r.code)
    assert.matches('"command":"validate"', r.stdout, 1, true)
    os.remove(path)
  end)

  it("prints bash completions that complete commands, options and choices", function()
    local script = os.tmpname()
    local r = cli.run({ "completion", "bash" })
    assert.equal(0, r.code)
    files.write(script, r.stdout)
    local function complete(line)
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      if line:sub(-1) == " " then words[#words + 1] = "" end
      local quoted = {}
      for i, w in ipairs(words) do quoted[i] = cli.quote(w) end
      return sh("bash -c " .. cli.quote(". " .. script .. "; COMP_WORDS=(" .. table.concat(quoted, " ")
        .. "); COMP_CWORD=" .. (#words - 1) .. "; _clevertap; printf '%s\\n' \"${COMPREPLY[@]}\""))
    end
    local cmds = complete("clevertap s")
    assert.matches("\nsend\n", "\n" .. cmds, 1, true)
    assert.matches("\nstop\n", "\n" .. cmds, 1, true)
    assert.matches("\n--ids\n", "\n" .. complete("clevertap send --i"), 1, true)
    assert.matches("\n--failed-ids\n", "\n" .. complete("clevertap send --f"), 1, true)
    assert.equal("in1\n", complete("clevertap --region i"))
    os.remove(script)
  end)

  it("prints zsh and fish completions naming every command and option", function()
    for _, shell in ipairs({ "zsh", "fish" }) do
      local r = cli.run({ "completion", shell })
      assert.equal(0, r.code, shell)
      for _, c in ipairs(defs.commands) do
        assert.matches(c.name, r.stdout, 1, true)
        for _, o in ipairs(c.options) do assert.matches(o[1]:sub(3), r.stdout, 1, true) end
      end
    end
    local bad = cli.run({ "completion", "tcsh" })
    assert.equal(2, bad.code)
    assert.matches("bash, zsh or fish", bad.stderr, 1, true)
  end)

  it("commits a man page generated from the same definitions, shipped by the rockspec", function()
    local committed = files.read(cli.root .. "/man/clevertap.1")
    assert.is_not_nil(committed, "man/clevertap.1 missing: run make man")
    assert.equal(require("clevertap.cli.man").render(), committed, "man/clevertap.1 is stale: run make man")
    for _, c in ipairs(defs.commands) do
      assert.matches(".SS clevertap " .. c.name, committed, 1, true)
    end
    local rock = files.read(cli.root .. "/rockspec/lua-clevertap-scm-1.rockspec")
    assert.matches('copy_directories = { "docs", "examples", "man" }', rock, 1, true)
    if sh("command -v man"):match("man") then
      local text = sh("MANWIDTH=80 man -l " .. cli.quote(cli.root .. "/man/clevertap.1"))
      assert.matches("EXIT STATUS", text, 1, true)
      assert.matches("--failed-ids", text, 1, true)
    end
  end)
end)
