--- Files and directories for the specs.
--
--   local files = require "support.files"
--   files.read(path)              -- the whole file, nil when it cannot be opened
--   files.write(path, text)       -- (over)writes it; returns path
--   files.temp_file(text [, suffix])  -- a new temporary file holding text; returns its path
--   files.temp_dir()              -- a new temporary directory (removed by remove_dir)
--   files.remove_dir(dir)
--   files.quote(s)                -- s as one single-quoted shell word
local M = {}

--- s as one single-quoted shell word.
local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.quote = quote

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

function M.temp_file(text, suffix)
  local base = os.tmpname()
  local path = base .. (suffix or "")
  if suffix then os.remove(base) end
  return M.write(path, text)
end

function M.temp_dir()
  local base = os.tmpname()
  os.remove(base)
  assert(os.execute("mkdir -p " .. quote(base)))
  return base
end

function M.remove_dir(dir)
  os.execute("rm -rf " .. quote(dir))
end

return M
