-- luacheck: globals ngx
--- The nginx side of bench/ngx_stall.sh: /send?n=N starts a send of N
-- identities from a timer with the default (cosocket) transport and
-- options; /status tells when it is done, with its wall time and the
-- worker's CPU seconds over the send.
local M = {}

local function cpu_seconds()
  local f = io.open("/proc/self/stat")
  local s = f:read("*a")
  f:close()
  local rest = s:match("%) (.*)$")
  local fields = {}
  for v in rest:gmatch("%S+") do fields[#fields + 1] = v end
  return (tonumber(fields[12]) + tonumber(fields[13])) / 100 -- utime, stime (clock ticks)
end

local function send(premature, base, ids)
  if premature then return end
  local res = ngx.shared.results
  local client = assert(require("clevertap").new {
    account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE", base_url = base,
  })
  ngx.update_time()
  local t0, c0 = ngx.now(), cpu_seconds()
  local report, err = client:send("push", {
    to = { Identity = ids }, content = { title = "Benchmark", body = "Your watched item is 20% off" },
  })
  ngx.update_time()
  res:set("wall", ngx.now() - t0)
  res:set("cpu", cpu_seconds() - c0)
  res:set("requests", report and report.requests or 0)
  res:set("ok", report and report.ok and "yes" or tostring(err))
  res:set("done", true)
  client:close()
end

-- the identities are made here, before the probe starts timing /ping
function M.start()
  ngx.shared.results:flush_all()
  local ids = {}
  for i = 1, tonumber(ngx.var.arg_n) do ids[i] = ("bench-user-%07d-0123456789abcdef"):format(i) end
  collectgarbage()
  assert(ngx.timer.at(0, send, os.getenv("CT_BENCH_BASE"), ids))
  ngx.say("started")
end

function M.status()
  local r = ngx.shared.results
  if not r:get("done") then return ngx.say("running") end
  ngx.say(("done wall=%.4f cpu=%.4f requests=%d ok=%s"):format(r:get("wall"), r:get("cpu"), r:get("requests"),
    r:get("ok")))
end

return M
