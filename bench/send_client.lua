--- One side of bench/send.sh: lua-clevertap sends N identities via send/push.
--   lua bench/send_client.lua BASE_URL N CONCURRENCY|default SEND_RATE|none|default [JOURNAL]
-- Prints one RESULT line: identities, requests, wall and CPU seconds, memory
-- (and the journal's size in kB when one is given: it is removed first).
local clevertap = require "clevertap"
local core = require "clevertap.core"

local url, n, conc, rate, journal = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4], arg[5] -- conc nil: default
if journal then os.remove(journal) end

local measure = require "measure"
local status_kb = measure.status_kb
local ids, rss_ids = measure.identities(n)

local send_rate = false -- "none": no client-side limit
if rate == "default" then send_rate = nil elseif rate ~= "none" then send_rate = tonumber(rate) end
local client = assert(clevertap.new {
  account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE", base_url = url,
  concurrency = conc, send_rate = send_rate,
})
local t0, c0 = core.now(), os.clock()
local report = assert(client:send("push", {
  to = { Identity = ids },
  content = { title = "Benchmark", body = "Your watched item is 20% off" },
}, journal and { journal = journal } or nil))
local wall, cpu = core.now() - t0, os.clock() - c0
client:close()
assert(report.ok, "not every identity was accepted")
local journal_kb = 0
if journal then
  local f = assert(io.open(journal, "rb"))
  journal_kb = math.floor(f:seek("end") / 1024)
  f:close()
end
print(("RESULT ids=%d accepted=%d requests=%d wall=%.4f cpu=%.4f rss_ids_kb=%d peak_kb=%d journal_kb=%d"):format(
  n, report.accepted, report.requests, wall, cpu, rss_ids, status_kb("VmHWM"), journal_kb))
