--- SIGTERM before a send's drive. `send` and `resume` record SIGTERM from
-- their start, so one that comes while the identities are read, sorted or
-- confirmed is not fatal: the interpreter would die of it on the spot,
-- leaving its temporary files and no word. Those steps call check(), which
-- raises a stop that the command line turns into exit 128 + N with its
-- temporary files removed; nothing has been sent then. SIGINT keeps the
-- interpreter's own handling until the drive (drive.lua) traps both.
local core = require "clevertap.core"

local M = {}

local STOP = {}
function STOP.__tostring(s) return "stopped by " .. M.name(s.signal) end

local NAMES = { [core.signals.SIGINT] = "SIGINT", [core.signals.SIGTERM] = "SIGTERM" }

--- "SIGINT" / "SIGTERM" (else the number, as text).
function M.name(sig) return NAMES[sig] or tostring(sig) end

--- "interrupted" for SIGINT, "terminated" otherwise: the words of the notes.
function M.word(sig) return sig == core.signals.SIGINT and "interrupted" or "terminated" end

local armed = false

--- Records SIGTERM from here on (reads in progress go on).
function M.trap_early()
  armed = true
  core.trap_signals { only = core.signals.SIGTERM }
end

--- SIGTERM fatal again: the command is over (main calls it). Returns true
-- when trap_early had been called.
function M.release()
  if not armed then return false end
  armed = false
  core.untrap_signals { only = core.signals.SIGTERM }
  return true
end

--- Raises the stop when a signal was recorded since trap_early.
function M.check()
  local sig = M.pending()
  if sig then error(setmetatable({ signal = sig }, STOP), 0) end
end

--- A signal recorded since trap_early, else nil.
function M.pending()
  return armed and core.pending_signal() or nil
end

--- The signal of a stop check() raised, else nil.
function M.stopped(e)
  return getmetatable(e) == STOP and e.signal or nil
end

return M
