--- bench/limiter.sh's client: N one-identity send jobs against the sandbox
-- (answering at once), with the limiter given, concurrency C; prints
-- "wall_s cpu_s requests".
--   lua bench/limiter.lua URL LIMITER N C
local clevertap = require "clevertap"
local core = require "clevertap.core"

local url, limiter, n, conc = arg[1], arg[2], tonumber(arg[3]), tonumber(arg[4])
local client = assert(clevertap.new {
  account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE", base_url = url,
  limiter = limiter, concurrency = conc, send_rate = 1e6,
})
-- one request first: the connection is open before the clock starts
assert(client:send("push", { to = { Identity = { "warm" } }, content = { title = "a", body = "b" } }))
local jobs = {}
local t0, c0 = core.now(), os.clock()
for i = 1, n do
  jobs[i] = client:start_send("push", { to = { Identity = { "u" .. i } }, content = { title = "a", body = "b" } })
end
local left = n
while left > 0 do
  client:poll(0.05)
  left = 0
  for i = 1, n do if not jobs[i]:is_done() then left = left + 1 end end
end
local wall, cpu = core.now() - t0, os.clock() - c0
local requests = 0
for i = 1, n do
  local r = jobs[i]:result()
  assert(r.accepted == 1, "a send failed")
  requests = requests + r.requests
end
client:close()
print(("%.4f %.4f %d"):format(wall, cpu, requests))
