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
