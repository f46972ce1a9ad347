--- Issue 12's fleet figure: the aggregate send rate of MEMBERS processes on
-- a Redis limiter against one process on the local limiter, both at the
-- API's ceiling (the sandbox delays every send by 50 ms). Rates come from
-- the sandbox's own request log (first to last arrival), so process start-up
-- does not count. Prints "local_rate shared_rate".
--   lua bench/limiter_fleet.lua REDIS_URL REQUESTS MEMBERS
local sandbox = require "support.sandbox"
local cjson = require "cjson"
local core = require "clevertap.core"

local redis_url, total, members = arg[1], tonumber(arg[2]), tonumber(arg[3])
local PATH = "/1/send/push.json"
local lua = arg[-1]

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function spawn(env)
  local out = os.tmpname()
  local parts = { "env", "CT_URL=" .. q(sandbox.url()), "CT_OUT=" .. q(out), "CT_WARM=1" }
  for k, v in pairs(env) do parts[#parts + 1] = k .. "=" .. q(v) end
  os.execute(table.concat(parts, " ") .. " " .. q(lua) .. " spec/support/limiter_member.lua >/dev/null 2>&1 &")
  return out
end

local function wait(out)
  local t0 = core.now()
  while core.now() - t0 < 120 do
    local f = io.open(out, "r")
    local text = f and f:read("*a")
    if f then f:close() end
    if text and text ~= "" then os.remove(out) return cjson.decode(text) end
    core.sleep(0.05)
  end
  error("a member did not finish")
end

-- requests per second between the first and the last arrival since `since`
local function rate(since)
  local t = {}
  for _, r in ipairs(sandbox.requests { path = PATH, since = since }) do t[#t + 1] = r.time end
  table.sort(t)
  assert(#t == total, ("the sandbox saw %d of %d requests"):format(#t, total))
  return (#t - 1) / (t[#t] - t[1])
end

sandbox.faults { { path = PATH, fault = "latency", ms = 50 } }
local since = sandbox.last_seq()
local r = wait(spawn { CT_LIMITER = "local", CT_NAME = "solo", CT_SENDS = total })
assert(r.accepted == total, "the local run lost identities")
local local_rate = rate(since)

since = sandbox.last_seq()
local outs = {}
for i = 1, members do
  outs[i] = spawn { CT_LIMITER = redis_url, CT_NAME = "m" .. i, CT_SENDS = math.floor(total / members) }
end
local accepted = 0
for i = 1, members do accepted = accepted + wait(outs[i]).accepted end
assert(accepted == total, "the shared run lost identities")
local shared_rate = rate(since)
sandbox.clear_faults()
io.write(string.format("%.0f %.0f\n", local_rate, shared_rate))
