--- The repository's documentation stands alone: no tracked Markdown file
-- points outside the checkout (a `../shared/` beside it, say), and every
-- relative link `[text](path)` names a file or directory that exists.
local files = require "support.files"
local cli = require "support.cli"

local root = cli.root

local function tracked_markdown()
  local p = assert(io.popen("git -C " .. cli.quote(root) .. " ls-files '*.md'"))
  local list = {}
  for line in p:lines() do list[#list + 1] = line end
  p:close()
  return list
end

-- "a/b/../c" -> "a/c"; nil when the path climbs above the root.
local function inside(path)
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." then
      if #parts == 0 then return nil end
      parts[#parts] = nil
    elseif seg ~= "." then
      parts[#parts + 1] = seg
    end
  end
  return table.concat(parts, "/")
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

describe("documentation links", function()
  it("stay inside the repository and resolve", function()
    local md = tracked_markdown()
    assert.is_true(#md >= 10, "git ls-files found " .. #md .. " Markdown files")
    local outside, broken = {}, {}
    for _, rel in ipairs(md) do
      local text = assert(files.read(root .. "/" .. rel))
      local dir = rel:match("^(.*)/[^/]*$") or "."
      if text:find("../shared/", 1, true) then outside[#outside + 1] = rel end
      for target in text:gmatch("%]%(([^)%s]+)%)") do
        local path = target:gsub("#.*$", "")
        if path ~= "" and not path:match("^%a[%w+.-]*:") then
          local norm = inside(dir .. "/" .. path)
          if not norm then
            outside[#outside + 1] = rel .. " -> " .. target
          elseif not exists(root .. "/" .. norm) then
            broken[#broken + 1] = rel .. " -> " .. target
          end
        end
      end
    end
    assert.same({}, outside)
    assert.same({}, broken)
  end)
end)
