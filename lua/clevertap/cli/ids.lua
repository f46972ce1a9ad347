--- Identities for `clevertap send`, one per line, streamed: a 10-million-line
-- file is read as the client asks for more, never held in memory.
-- A line is `value` (typed by --type) or `Type:value` with Type one of the
-- API's identity kinds. Blank lines are skipped; a trailing CR is dropped.
local M = {}

M.TYPES = { "Identity", "Email", "GPID", "FBID", "objectId" }
local known = {}
for _, t in ipairs(M.TYPES) do known[t] = true end

function M.is_type(t) return known[t] == true end

--- Parse one line. Returns type, value; nil for a blank line; or
-- false, message for a line that cannot be an identity.
function M.parse_line(line, default_type)
  line = line:gsub("\r$", ""):match("^%s*(.-)%s*$")
  if line == "" then return nil end
  local ty, value = line:match("^([%a]+):(.*)$")
  if ty and known[ty] then
    value = value:match("^%s*(.-)$")
    if value == "" then return false, "empty " .. ty .. " identity" end
    return ty, value
  end
  return default_type, line
end

--- Open an identities source: a path, or "-" for standard input.
-- Returns a reader or nil, message.
function M.open(path, default_type)
  local f, err
  if path == "-" then
    f = io.stdin
  else
    f, err = io.open(path, "r")
    if not f then return nil, "cannot read identities: " .. tostring(err) end
  end
  local reader = { path = path, line = 0, count = 0, file = f }

  --- Next identity: type, value; nil at the end; raises nothing. A bad line
  -- ends the stream and leaves reader.error set ("FILE:LINE: message").
  function reader.next()
    if reader.error or not reader.file then return nil end
    while true do
      local line = reader.file:read("*l")
      if line == nil then
        reader:close()
        return nil
      end
      reader.line = reader.line + 1
      local ty, value = M.parse_line(line, default_type)
      if ty then
        reader.count = reader.count + 1
        return ty, value
      elseif ty == false then
        reader.error = string.format("%s:%d: %s", path == "-" and "stdin" or path, reader.line, value)
        reader:close()
        return nil
      end
    end
  end

  function reader.close()
    if reader.file and reader.file ~= io.stdin then reader.file:close() end
    reader.file = nil
  end
  return reader
end

--- Check a whole file before anything is sent (and count its identities for
-- the progress bar). Returns count or nil, "FILE:LINE: message".
function M.scan(path, default_type)
  local r, err = M.open(path, default_type)
  if not r then return nil, err end
  while r.next() do end
  if r.error then return nil, r.error end
  return r.count
end

return M
