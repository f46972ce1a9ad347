--- The command's state directory: where `clevertap send` journals its sends
-- and `clevertap create` records its creates (docs/cli.md, "State").
--
--   $XDG_STATE_HOME/clevertap/<account id>/          (default ~/.local/state/clevertap/...)
--     sends/<send id>.db        the send's journal (SQLite, docs/journal.md)
--     sends/<send id>.db.json   what the command needs to resume it: the ids file and its
--                               size and mtime, the options that read it, the counts
--     sends/<send id>.db.ids    the identities as read (checked, de-duplicated), resumed from
--     sends/index               one journal path a line, every send journaled for the account
--     state.db                  the campaigns created (clevertap.new{ state = ... }, docs/journal.md)
--
-- A journal named with --journal PATH gets its PATH.json and PATH.ids beside
-- it and a line in the account's index, so `clevertap sends` lists it too.
local json = require "clevertap.cli.json"

local M = {}

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- The state root: $XDG_STATE_HOME/clevertap, else ~/.local/state/clevertap;
-- nil, message without either variable. A relative XDG_STATE_HOME is
-- ignored, as the XDG base directory specification says (it would name a
-- different directory in every working directory).
function M.root(getenv)
  getenv = getenv or os.getenv
  local xdg = getenv("XDG_STATE_HOME")
  if xdg and xdg:sub(1, 1) == "/" then return xdg .. "/clevertap" end
  local home = getenv("HOME")
  if home and home ~= "" then return home .. "/.local/state/clevertap" end
  return nil, "no state directory: set XDG_STATE_HOME or HOME, or pass --journal PATH / --no-journal"
end

-- An account id as one path component (anything but [A-Za-z0-9._-] as %XX).
local function component(s)
  s = s:gsub("[^%w%._%-]", function(c) return string.format("%%%02X", c:byte()) end)
  if s == "." or s == ".." then s = s:gsub("%.", "%%2E") end
  return s
end

--- The account's directory (not created).
function M.account_dir(account_id, getenv)
  local root, err = M.root(getenv)
  if not root then return nil, err end
  return root .. "/" .. component(account_id)
end

--- mkdir -p; true or nil, message.
function M.mkdir(dir)
  local r = os.execute("mkdir -p -m 700 -- " .. quote(dir) .. " 2>/dev/null")
  if r == true or r == 0 then return true end
  return nil, "cannot create directory " .. dir
end

--- A new send's journal path in the account's sends/ (the directory created).
function M.new_send(account_id, now)
  local dir, err = M.account_dir(account_id)
  if not dir then return nil, err end
  local ok, merr = M.mkdir(dir .. "/sends")
  if not ok then return nil, merr end
  math.randomseed(math.floor((now % 1) * 1e6) + os.time())
  for _ = 1, 20 do
    local id = os.date("!%Y%m%dT%H%M%SZ") .. "-" .. string.format("%04x", math.random(0, 0xffff))
    local path = dir .. "/sends/" .. id .. ".db"
    local f = io.open(path, "r")
    if not f then return path, id end
    f:close()
  end
  return nil, "cannot name a new journal in " .. dir .. "/sends"
end

--- The account's state database of creates (its directory created), or
-- nil, message.
function M.creates_db(account_id)
  local dir, err = M.account_dir(account_id)
  if not dir then return nil, err end
  local ok, merr = M.mkdir(dir)
  if not ok then return nil, merr end
  return dir .. "/state.db"
end

--- The id of a journal path (its file name without .db).
function M.send_id(path) return (path:match("([^/]+)$"):gsub("%.db$", "")) end

--- p from the working directory, without "." and ".." parts (a name's own
-- spelling: symbolic links are not resolved).
function M.absolute(p)
  local cwd = os.getenv("PWD")
  if p:sub(1, 1) ~= "/" then
    if not cwd then return p end
    p = cwd .. "/" .. p
  end
  local parts = {}
  for part in p:gmatch("[^/]+") do
    if part == ".." then parts[#parts] = nil
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return "/" .. table.concat(parts, "/")
end

--- Adds a journal to the account's index (O_APPEND: one short line), by its
-- absolute path: the index is read from any directory.
function M.remember(account_id, path)
  local dir = M.account_dir(account_id)
  if not dir or not M.mkdir(dir .. "/sends") then return end
  local f = io.open(dir .. "/sends/index", "a")
  if not f then return end
  f:write(M.absolute(path), "\n")
  f:close()
end

--- The account's journals, oldest first, each once, those still on disk.
function M.sends(account_id)
  local dir = M.account_dir(account_id)
  local out, seen = {}, {}
  local f = dir and io.open(dir .. "/sends/index", "r")
  if not f then return out end
  for line in f:lines() do
    if line ~= "" and not seen[line] then
      seen[line] = true
      local g = io.open(line, "r")
      if g then g:close(); out[#out + 1] = line end
    end
  end
  f:close()
  return out
end

--- Writes `text` to path through a temporary file beside it and a rename:
-- a reader sees the old file or the new one, never half of it.
function M.write_atomic(path, text)
  local tmp = path .. ".tmp-" .. string.format("%06x", math.random(0, 0xffffff))
  local f, err = io.open(tmp, "w")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then os.remove(tmp); return nil, tostring(werr or cerr) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); return nil, rerr end
  return true
end

--- The command's record of a journaled send (PATH.json), or nil.
function M.read_record(path)
  local f = io.open(path .. ".json", "r")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  local ok, doc = pcall(require("cjson").decode, text)
  return ok and type(doc) == "table" and doc or nil
end

function M.write_record(path, record)
  return M.write_atomic(path .. ".json", json.encode(record) .. "\n")
end

--- The journal's spooled identities, its record and (once done) nothing
-- else: removed when the send is complete.
function M.forget_spool(path)
  os.remove(path .. ".ids")
end

return M
