--- Every fenced ```lua block of README.md and docs/*.md runs as written,
-- against the sandbox, in its own interpreter (the suite's, CT_LUA) with the
-- environment a user would set: CLEVERTAP_BASE_URL, CLEVERTAP_ACCOUNT_ID and
-- CLEVERTAP_PASSCODE of the sandbox. A block that is only a piece of a larger
-- program is marked, either on the fence (```lua fragment) or by a first line
-- `-- fragment`; it is only compiled. What a block shows as its output
-- (`--> text`, after code on the line or on a line of its own) must be
-- printed, in that order: spaces and tabs count as one space, and a closing
-- remark in parentheses is not output.
local files = require "support.files"
local cli = require "support.cli"
local sandbox = require "support.sandbox"

local root = cli.root
local quote = files.quote
local load_chunk = loadstring or load -- luacheck: ignore 113

local function doc_files()
  local list = { "README.md" }
  local p = assert(io.popen("ls " .. quote(root .. "/docs") .. " 2>/dev/null"))
  for name in p:lines() do
    if name:match("%.md$") then list[#list + 1] = "docs/" .. name end
  end
  p:close()
  return list
end

--- { { file =, line =, code =, fragment = } } for every ```lua block of `file`.
local function snippets(file)
  local text = assert(files.read(root .. "/" .. file), file)
  local out, cur = {}, nil
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if cur then
      if line:match("^```%s*$") then
        cur.code = table.concat(cur.lines, "\n") .. "\n"
        cur.fragment = cur.fragment or (cur.lines[1] or ""):match("^%-%-%s*fragment") ~= nil
        out[#out + 1] = cur
        cur = nil
      else
        cur.lines[#cur.lines + 1] = line
      end
    else
      local info = line:match("^```%s*lua(.*)$")
      if info then
        cur = { file = file, line = n, lines = {}, fragment = info:match("fragment") ~= nil }
      end
    end
  end
  assert(cur == nil, file .. ": a ```lua block opened at line " .. (cur and cur.line or 0) .. " is not closed")
  return out
end

local function run(snippet)
  local path = files.temp_file(snippet.code, ".lua")
  local out, err = os.tmpname(), os.tmpname()
  local env = cli.sandbox_env()
  env.CLEVERTAP_SANDBOX_URL = sandbox.url()
  local parts = { "cd", quote(root), "&&", "env", "-u", "CLEVERTAP_REGION" }
  for k, v in pairs(env) do parts[#parts + 1] = quote(k .. "=" .. v) end
  parts[#parts + 1] = quote(cli.lua)
  parts[#parts + 1] = quote(path)
  local cmd = table.concat(parts, " ") .. " >" .. quote(out) .. " 2>" .. quote(err) .. " </dev/null; echo $?"
  local p = assert(io.popen(cmd, "r"))
  local rc = tonumber((p:read("*a") or ""):match("(%d+)%s*$"))
  p:close()
  local res = { code = rc, stdout = files.read(out) or "", stderr = files.read(err) or "" }
  os.remove(out); os.remove(err); os.remove(path)
  return res
end

--- The outputs a snippet's `-->` comments show, in order.
local function expected_lines(code)
  local out = {}
  for line in (code .. "\n"):gmatch("([^\n]*)\n") do
    local shown = line:match("%-%->%s*(.-)%s*$")
    if shown then
      shown = shown:gsub("%s+", " ")
      out[#out + 1] = { text = shown, bare = (shown:gsub(" %b()$", "")) }
    end
  end
  return out
end

--- nil when every expected line is printed in order, else the first missing.
local function missing_output(expected, stdout)
  local printed = {}
  for line in (stdout .. "\n"):gmatch("([^\n]*)\n") do
    printed[#printed + 1] = (line:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
  end
  local at = 1
  for _, want in ipairs(expected) do
    while printed[at] and printed[at] ~= want.text and printed[at] ~= want.bare do at = at + 1 end
    if not printed[at] then return want.text end
    at = at + 1
  end
  return nil
end

local all = {}
for _, file in ipairs(doc_files()) do
  for _, s in ipairs(snippets(file)) do all[#all + 1] = s end
end

describe("docs snippets", function()
  it("are found in README.md and the docs (the check is not empty)", function()
    local by_file = {}
    for _, s in ipairs(all) do by_file[s.file] = (by_file[s.file] or 0) + 1 end
    assert.is_true((by_file["README.md"] or 0) >= 1)
    assert.is_true((by_file["docs/validation.md"] or 0) >= 1)
    assert.is_true(#all >= 5)
  end)

  it("show outputs that are checked (the comparison is not empty and can fail)", function()
    local shown = 0
    for _, s in ipairs(all) do
      if not s.fragment then shown = shown + #expected_lines(s.code) end
    end
    assert.is_true(shown >= 5)
    local shows = expected_lines("print(n, e) --> 1  GSM-7 (braces count twice)\n  --> a\tb\n")
    assert.same({ { text = "1 GSM-7 (braces count twice)", bare = "1 GSM-7" }, { text = "a b", bare = "a b" } }, shows)
    assert.is_nil(missing_output(shows, "x\n1\tGSM-7\na  b\n"))
    assert.equal("a b", missing_output(shows, "a b\n1 GSM-7\n"))
  end)

  it("compile, fragments included", function()
    for _, s in ipairs(all) do
      local f, err = load_chunk(s.code, "=" .. s.file .. ":" .. s.line)
      assert(f, err)
    end
  end)

  for _, s in ipairs(all) do
    if not s.fragment then
      it("run as written: " .. s.file .. ":" .. s.line, function()
        sandbox.reset()
        local res = run(s)
        if res.code ~= 0 then
          error(s.file .. ":" .. s.line .. " exited " .. tostring(res.code) .. "\n" .. res.stderr, 0)
        end
        local missing = missing_output(expected_lines(s.code), res.stdout)
        if missing then
          error(s.file .. ":" .. s.line .. ": shows output " .. string.format("%q", missing)
            .. " that it does not print; it printed:\n" .. res.stdout, 0)
        end
      end)
    end
  end
end)
