--- The other side of bench/send.sh: what a Lua user would write without
-- lua-clevertap: luasocket + lua-cjson, one request per batch of 1000.
--   lua bench/send_baseline.lua BASE_URL N
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local cjson = require "cjson"

local url, n = arg[1], tonumber(arg[2])

local measure = require "measure"
local status_kb = measure.status_kb
local ids, rss_ids = measure.identities(n)

local content = { title = "Benchmark", body = "Your watched item is 20% off" }
local t0, c0 = socket.gettime(), os.clock()
local requests, accepted = 0, 0
for first = 1, n, 1000 do
  local batch = {}
  for i = first, math.min(first + 999, n) do batch[#batch + 1] = ids[i] end
  local body = cjson.encode { to = { Identity = batch }, content = content }
  local chunks = {}
  local ok, status = http.request {
    url = url .. "/send/push.json", method = "POST",
    headers = {
      ["X-CleverTap-Account-Id"] = "SANDBOX-ACCOUNT-ID", ["X-CleverTap-Passcode"] = "SANDBOX-PASSCODE",
      ["Content-Type"] = "application/json; charset=utf-8", ["Content-Length"] = tostring(#body),
    },
    source = ltn12.source.string(body), sink = ltn12.sink.table(chunks),
  }
  requests = requests + 1
  assert(ok and status == 200, "request failed: " .. tostring(status))
  local res = cjson.decode(table.concat(chunks))
  if res.status == "success" then accepted = accepted + #batch end
end
local wall, cpu = socket.gettime() - t0, os.clock() - c0
assert(accepted == n, "not every identity was accepted")
print(("RESULT ids=%d accepted=%d requests=%d wall=%.4f cpu=%.4f rss_ids_kb=%d peak_kb=%d"):format(
  n, accepted, requests, wall, cpu, rss_ids, status_kb("VmHWM")))
