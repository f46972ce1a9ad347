--- The commands examples/c-validate/README.md shows run as written: each
-- indented command line after the two `make` lines, from a directory laid
-- out like the repository (its examples/ and spec/ paths), exits 0.
local files = require "support.files"
local cli = require "support.cli"

local root = cli.root
-- the scratch directory links back here: the root must be absolute
if not root:match("^/") then root = assert(os.getenv("PWD"), "PWD is not set") .. "/" .. root end
local quote = files.quote
local build = os.getenv("BUILD") or "build"
if not build:match("^/") then build = root .. "/" .. build end

local function sh(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"rc=$?\"", "r"))
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, (out:gsub("rc=%d+%s*$", ""))
end

local function readme_commands(path)
  local text = assert(files.read(root .. "/" .. path))
  local cmds = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local cmd = line:match("^    (%S.*)$")
    if cmd and not cmd:match("^make") then
      cmds[#cmds + 1] = (cmd:gsub("%s+#.*$", ""))
    end
  end
  return cmds
end

describe("examples/c-validate/README.md", function()
  local work

  before_each(function()
    work = files.temp_dir()
    assert(os.execute("mkdir -p " .. quote(work .. "/examples/c-validate")))
    assert(os.execute("ln -s " .. quote(root .. "/spec") .. " " .. quote(work .. "/spec")))
    -- SAN: the sanitizer flags the library was built with (tools/sanitize.sh)
    local cc = (os.getenv("CC") or "cc") .. " -std=c99 -O2 " .. (os.getenv("SAN") or "")
    local rc, out = sh(cc .. " -I" .. quote(root .. "/include/clevertap") .. " "
      .. quote(root .. "/examples/c-validate/validate.c") .. " " .. quote(build .. "/libclevertap.a")
      .. " -ljansson -lcurl -lhiredis -lsqlite3 -lm -o " .. quote(work .. "/examples/c-validate/validate"))
    assert(rc == 0, out)
  end)

  after_each(function() files.remove_dir(work) end)

  it("shows commands that run as written", function()
    local cmds = readme_commands("examples/c-validate/README.md")
    assert.is_true(#cmds >= 2)
    local encoded = false
    for _, cmd in ipairs(cmds) do
      local rc, out = sh("cd " .. quote(work) .. " && " .. cmd)
      assert(rc == 0, cmd .. " exited " .. tostring(rc) .. ":\n" .. out)
      if cmd:match("%-%-encode") then
        encoded = true
        assert.matches('{"content":', out, 1, true)
      end
    end
    assert.is_true(encoded)
  end)
end)
