--- The floor of bench/send.sh's (b): the CPU of cjson.encode alone for the
-- same 1000-identity batches (building the batch tables is not counted).
--   lua bench/send_encode.lua N
local cjson = require "cjson"
local n = tonumber(arg[1])
local ids = require("measure").identities(n)
local content = { title = "Benchmark", body = "Your watched item is 20% off" }
local cpu, requests = 0, 0
for first = 1, n, 1000 do
  local batch = {}
  for i = first, math.min(first + 999, n) do batch[#batch + 1] = ids[i] end
  local doc = { to = { Identity = batch }, content = content }
  local c0 = os.clock()
  local body = cjson.encode(doc)
  cpu = cpu + (os.clock() - c0)
  requests = requests + (#body > 0 and 1 or 0)
end
print(("RESULT ids=%d accepted=%d requests=%d wall=%.4f cpu=%.4f rss_ids_kb=0 peak_kb=0"):format(
  n, n, requests, cpu, cpu))
