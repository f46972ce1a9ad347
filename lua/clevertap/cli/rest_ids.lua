--- `--failed-ids OUT`: the identities a send did not get accepted, one
-- `Type:value` a line, ready for --ids. OUT is never half written and never
-- destroys an input: the list goes to a temporary file beside OUT, renamed
-- over it at the end; OUT naming the --ids file, the journal or the other
-- files of the send (under any name), or a directory, is refused before
-- anything is read or sent.
local core = require "clevertap.core"
local ids = require "clevertap.cli.ids"
local tempfiles = require "clevertap.cli.tempfiles"

local M = {}

local function split(p)
  local d, b = p:match("^(.*)/([^/]*)$")
  if not d then return ".", p end
  return d == "" and "/" or d, b
end

local function same_inode(a, b)
  local sa, sb = core.file_stat(a), core.file_stat(b)
  return sa ~= nil and sb ~= nil and sa.dev == sb.dev and sa.ino == sb.ino
end

-- Whether paths a and b name one file, under any spelling; one that does
-- not exist yet (a journal to be created) by its directory and name.
local function same_file(a, b)
  if a == b or same_inode(a, b) then return true end
  if core.file_stat(a) and core.file_stat(b) then return false end
  local da, ba = split(a)
  local db, bb = split(b)
  return ba == bb and same_inode(da, db)
end

--- The files of a journal at `path` that --failed-ids must not overwrite.
function M.journal_files(path)
  if not path then return {} end
  local list = {}
  for _, suffix in ipairs { "", "-wal", "-shm", ".json", ".ids" } do
    list[#list + 1] = { path .. suffix, "the journal's " .. (suffix == "" and "database" or suffix) .. " file" }
  end
  return list
end

--- Opens the temporary file for `out`; nil, message when it cannot be
-- written, is a directory, or is one of the files the send reads or keeps:
-- `input` (the --ids file; nil or "-": none), then `keep`, a list of
-- { path, what } (a nil path is skipped).
function M.open(out, input, keep)
  if input and input ~= "-" and same_file(out, input) then
    return nil, "--failed-ids " .. out .. " is the --ids file: it would be overwritten; name another file"
  end
  for _, k in ipairs(keep or {}) do
    if k[1] and same_file(out, k[1]) then
      return nil, "--failed-ids " .. out .. " is " .. k[2] .. ": it would be overwritten; name another file"
    end
  end
  local dir = io.open(out .. "/.", "r")
  if dir then
    dir:close()
    return nil, "--failed-ids " .. out .. " is a directory; name a file"
  end
  local tmp = out .. ".tmp-" .. string.format("%06x", math.random(0, 0xffffff))
  local f, err = io.open(tempfiles.track(tmp), "w")
  if not f then return nil, "cannot write --failed-ids file: " .. tostring(err) end
  return { out = out, tmp = tmp, f = f, n = 0 }
end

local function each_identity(to, fn)
  for _, ty in ipairs(ids.TYPES) do
    for _, v in ipairs(type(to) == "table" and to[ty] or {}) do fn(ty, v) end
  end
end

local function put(h, ty, v)
  h.f:write(ty, ":", v, "\n")
  h.n = h.n + 1
end

--- Adds the identities of report entries ({ to = {...} } each).
function M.add_entries(h, entries)
  for _, e in ipairs(entries or {}) do
    each_identity(e.to, function(ty, v) put(h, ty, v) end)
  end
end

--- Calls fn(type, value) for each identity of a spool (`Type:value` lines)
-- the send never read: the client drains one type after the other in
-- ids.TYPES order, so the first `position` identities in that order were
-- read, the rest were not.
function M.each_unread(spool_path, position, fn)
  local f = spool_path and io.open(spool_path, "r")
  if not f then return end
  f:close()
  local skip = position
  for _, ty in ipairs(ids.TYPES) do
    local prefix = ty .. ":"
    for line in io.lines(spool_path) do
      if line:sub(1, #prefix) == prefix then
        if skip > 0 then skip = skip - 1 else fn(ty, line:sub(#prefix + 1)) end
      end
    end
  end
end

--- Adds the identities of a spool the send never read (each_unread).
function M.add_unread(h, spool_path, position)
  M.each_unread(spool_path, position, function(ty, v) put(h, ty, v) end)
end

--- Renames the list over OUT; returns how many identities it holds, or
-- nil, message.
function M.commit(h)
  local ok, err = h.f:close()
  if ok then ok, err = os.rename(h.tmp, h.out) end
  if not ok then os.remove(h.tmp) end
  tempfiles.done(h.tmp)
  if not ok then return nil, "cannot write --failed-ids file: " .. tostring(err) end
  return h.n
end

--- Drops the temporary file (nothing was sent: OUT is left as it was).
function M.abort(h)
  if not h then return end
  h.f:close()
  os.remove(h.tmp)
  tempfiles.done(h.tmp)
end

return M
