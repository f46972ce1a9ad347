--- Identities for `clevertap send`, one per line, streamed: a 10-million-line
-- file is read as the client builds batches, never held in memory.
-- A line is `value` (typed by --type) or `Type:value` with Type one of the
-- API's identity kinds. Blank lines are skipped; a trailing CR is dropped.
--
-- The client takes one iterator per identity type and drains them in a fixed
-- order, so a file mixing types is read once per type present, each pass
-- keeping its own type. Standard input cannot be read twice: it is copied to
-- a temporary file first (checked on the way), then read like a file.
local M = {}

M.TYPES = { "FBID", "GPID", "Email", "Identity", "objectId" }
local known = {}
for _, t in ipairs(M.TYPES) do known[t] = true end

function M.is_type(t) return known[t] == true end

--- Parse one line. Returns type, value; nil for a blank line; or
-- false, message for a line that cannot be an identity.
function M.parse_line(line, default_type)
  line = line:gsub("\r$", ""):match("^%s*(.-)%s*$")
  if line == "" then return nil end
  local ty, value = line:match("^(%a+):(.*)$")
  if ty and known[ty] then
    value = value:match("^%s*(.-)$")
    if value == "" then return false, "empty " .. ty .. " identity" end
    return ty, value
  end
  return default_type, line
end

--- Check every line of `path` ("-": standard input, copied to a temporary
-- file on the way). Returns a source { path =, total =, counts = {type = n},
-- temp = bool } or nil, "NAME:LINE: message".
function M.scan(path, default_type)
  local f, err, copy, copy_path
  local name = path
  if path == "-" then
    f, name = io.stdin, "stdin"
    copy_path = os.tmpname()
    copy, err = io.open(copy_path, "w")
    if not copy then return nil, "cannot create a temporary file for stdin: " .. tostring(err) end
  else
    f, err = io.open(path, "r")
    if not f then return nil, "cannot read identities: " .. tostring(err) end
  end
  local counts, total, n = {}, 0, 0
  local problem
  for line in f:lines() do
    n = n + 1
    local ty, value = M.parse_line(line, default_type)
    if ty then
      counts[ty] = (counts[ty] or 0) + 1
      total = total + 1
      if copy then copy:write(ty, ":", value, "\n") end
    elseif ty == false then
      problem = string.format("%s:%d: %s", name, n, value)
      break
    end
  end
  if f ~= io.stdin then f:close() end
  if copy then copy:close() end
  if problem then
    if copy_path then os.remove(copy_path) end
    return nil, problem
  end
  return { path = copy_path or path, total = total, counts = counts, temp = copy_path ~= nil,
           default_type = default_type, read = 0 }
end

--- The client's `to`: one iterator per type present in the source, each a
-- streaming pass over the file that yields that type's values.
-- source.read counts identities handed over so far (for progress).
function M.to(source)
  local to = {}
  for _, ty in ipairs(M.TYPES) do
    if source.counts[ty] then
      local f
      local done = false
      to[ty] = function()
        if done then return nil end
        if not f then f = assert(io.open(source.path, "r")) end
        for line in f:lines() do
          local t, value = M.parse_line(line, source.default_type)
          if t == ty then
            source.read = source.read + 1
            return value
          end
        end
        f:close()
        done = true
        return nil
      end
    end
  end
  return to
end

--- Remove the temporary copy of standard input, if any.
function M.close(source)
  if source and source.temp then os.remove(source.path) end
end

return M
