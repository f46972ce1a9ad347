--- The send journal's size (docs/journal.md) for a large send: N identities
-- from an iterator (no table of N strings in memory) to BASE_URL, journaled
-- at PATH; the database and its WAL are sampled as batches finish.
--   lua bench/journal_size.lua BASE_URL N PATH
-- Prints one JSIZE line: identities, seconds, final and peak sizes in kB.
local clevertap = require "clevertap"
local core = require "clevertap.core"

local url, n, path = arg[1], tonumber(arg[2]), arg[3]
os.remove(path)

local function kb(p)
  local f = io.open(p, "rb")
  if not f then return 0 end
  local size = f:seek("end")
  f:close()
  return size / 1024
end

local peak, peak_wal, next_sample = 0, 0, 0
local client = assert(clevertap.new {
  account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE", base_url = url, send_rate = false,
  on_progress = function(p)
    -- progress may report several batches at once: every 100 or more
    if p.batches_done >= next_sample then
      next_sample = p.batches_done + 100
      local db, wal = kb(path), kb(path .. "-wal")
      if db + wal > peak then peak = db + wal end
      if wal > peak_wal then peak_wal = wal end
    end
  end,
})
local i = 0
local t0 = core.now()
local report = assert(client:send("push", {
  to = { Identity = function()
    i = i + 1
    if i <= n then return ("bench-user-%08d-0123456789abcdef"):format(i) end
  end },
  content = { title = "Benchmark", body = "Your watched item is 20% off" },
}, { journal = path }))
local wall = core.now() - t0
client:close()
assert(report.ok and report.accepted == n, "not every identity was accepted")
print(("JSIZE ids=%d wall=%.2f final_kb=%.0f peak_kb=%.0f peak_wal_kb=%.0f"):format(
  n, wall, kb(path) + kb(path .. "-wal"), peak, peak_wal))
