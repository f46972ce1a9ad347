--- One side of bench/build.sh: the CPU of building and handing over
-- send/push request bodies of 1000 identities.
--   lua bench/build.lua client|base N IDLEN table|iter
-- client: lua-clevertap with a function transport that answers at once (so
--   only the client's own work counts);
-- base: what a Lua user would write, Lua building the same batches and
--   encoding them with cjson.encode.
-- Prints one RESULT line with the CPU seconds of the send alone.
local side, n, idlen, from = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4]

local ids = {}
for i = 1, n do
  local s = ("u%09d"):format(i)
  ids[i] = (s .. ("x"):rep(idlen)):sub(1, idlen)
end
local function iterator()
  local i = 0
  return function()
    i = i + 1
    return ids[i]
  end
end
collectgarbage()
local content = { title = "Benchmark", body = "Your watched item is 20% off" }
local bytes, requests = 0, 0
local c0
if side == "client" then
  local clevertap = require "clevertap"
  local ok_body = '{"status":"success","processed":1000}'
  local client = assert(clevertap.new {
    account_id = "BENCH-ACCOUNT-ID", passcode = "BENCH-PASSCODE", base_url = "http://127.0.0.1:9/1",
    send_rate = false,
    transport = function(req)
      bytes, requests = bytes + #req.body, requests + 1
      return { status = 200, headers = {}, body = ok_body }
    end,
  })
  c0 = os.clock()
  local report = assert(client:send("push", {
    to = { Identity = from == "iter" and iterator() or ids }, content = content,
  }))
  assert(report.ok and report.accepted == n, "not every identity was accepted")
  client:close()
else
  local cjson = require "cjson"
  local nxt = from == "iter" and iterator() or nil
  c0 = os.clock()
  for first = 1, n, 1000 do
    local batch = {}
    for i = first, math.min(first + 999, n) do batch[#batch + 1] = nxt and nxt() or ids[i] end
    local body = cjson.encode { to = { Identity = batch }, content = content }
    bytes, requests = bytes + #body, requests + 1
  end
end
local cpu = os.clock() - c0
print(("RESULT ids=%d requests=%d bytes=%d cpu=%.4f"):format(n, requests, bytes, cpu))
