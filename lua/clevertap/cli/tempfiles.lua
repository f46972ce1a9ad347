--- The running command's temporary files (identity copies, a --failed-ids
-- list before its rename), removed when the command ends abnormally: an
-- interrupt before the send's own signal handling, or an internal error.
-- A file that is renamed into place or removed is no longer one of them.
local M = {}

local live = {}

--- Tracks path; returns it.
function M.track(path)
  live[path] = true
  return path
end

--- A new empty file of this command's own, tracked: in $TMPDIR as
-- programs are expected to use it (mktemp(1)), else where os.tmpname puts
-- one. Returns its path.
function M.new()
  local p = io.popen("mktemp 2>/dev/null")
  local path = p and p:read("*l")
  if p then p:close() end
  if not path or path == "" then path = os.tmpname() end
  return M.track(path)
end

--- path is gone, or kept on purpose (renamed to where it belongs).
function M.done(path)
  if path then live[path] = nil end
end

--- Removes every tracked file.
function M.remove_all()
  for path in pairs(live) do os.remove(path) end
  live = {}
end

return M
