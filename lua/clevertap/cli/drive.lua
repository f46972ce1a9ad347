--- Drives a send (or resume) job to its end, stopping cleanly on SIGINT or
-- SIGTERM: no batch starts any more (job:hold), the requests in flight get
-- up to `grace` seconds to land, then the job is cancelled (what was in
-- flight is unknown, what was never sent is not_sent; the journal records
-- it all). A second signal cancels at once. The signal's number comes back
-- so the command exits 128 + N (130 for SIGINT, 143 for SIGTERM).
local core = require "clevertap.core"
local signals = require "clevertap.cli.signals"

local M = {}

M.DEFAULT_GRACE = 10

-- How often the loop looks at the signal flag: the longest a Ctrl-C waits.
local STEP = 0.1

--- report, err, signal = drive(job, { grace =, notice = function(fmt, ...) })
function M.run(job, opts)
  local grace = opts.grace or M.DEFAULT_GRACE
  local notice = opts.notice or function() end
  -- a SIGTERM recorded since the command started (signals.lua) stops it too
  core.trap_signals { keep = true }
  local stop_sig, deadline
  local ok, err = pcall(function()
    while not job:is_done() do
      job:wait(STEP)
      local sig, count = core.pending_signal()
      if sig and not job:is_done() then
        if not stop_sig then
          stop_sig, deadline = sig, core.now() + grace
          job:hold()
          notice("clevertap: %s: no new batch starts; waiting up to %gs for %d request(s) in flight "
            .. "(again to stop at once)", signals.word(sig), grace,
            job:progress().in_flight)
        end
        if count > 1 or job:progress().in_flight == 0 or core.now() >= deadline then job:cancel() end
      end
    end
  end)
  core.untrap_signals()
  if not ok then error(err, 0) end
  local report, rerr = job:result()
  return report, rerr, stop_sig
end

return M
