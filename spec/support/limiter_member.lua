--- One member of an account for the limiter specs: a separate process with
-- its own client on a shared limiter. Settings come from the environment:
--   CT_URL (sandbox API), CT_LIMITER, CT_FAIL_MODE, CT_LEASE (s), CT_NAME,
--   CT_SENDS (1-identity send jobs), CT_LISTS, CT_CREATES, CT_OUT (a file:
--   the JSON summary, written at the end), CT_HOLD (seconds to stay alive
--   after starting, for a kill -9).
local clevertap = require "clevertap"
local cjson = require "cjson"

local function num(name, default) return tonumber(os.getenv(name) or "") or default end

local logs = {}
local client = assert(clevertap.new {
  account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE",
  base_url = os.getenv("CT_URL"), limiter = os.getenv("CT_LIMITER"),
  fail_mode = os.getenv("CT_FAIL_MODE"), limiter_lease = num("CT_LEASE", nil),
  limiter_members = num("CT_MEMBERS", nil), send_rate = num("CT_SEND_RATE", nil),
  concurrency = num("CT_CONCURRENCY", nil), shared_concurrency = os.getenv("CT_SHARED_CONCURRENCY") ~= nil,
  retry = { base_delay = 0.01, max_delay = 0.05, attempts = num("CT_ATTEMPTS", 1) },
  logger = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end,
})
local name = os.getenv("CT_NAME") or "m"
-- libcurl holds requests to a new host until the first answer (it waits to
-- see whether the connection multiplexes): one call first opens it
if os.getenv("CT_WARM") then client:result(1) end
local jobs, kinds = {}, {}
local core = require "clevertap.core"
local t0 = core.now()
for i = 1, num("CT_SENDS", 0) do
  jobs[#jobs + 1] = assert(client:start_send("push",
    { to = { Identity = { name .. "-" .. i } }, content = { title = "Hi", body = "There" } }))
  kinds[#jobs] = "send"
end
for _ = 1, num("CT_LISTS", 0) do
  jobs[#jobs + 1] = assert(client:start("list", { from = 20240101, to = 20240102 }))
  kinds[#jobs] = "list"
end
for i = 1, num("CT_CREATES", 0) do
  jobs[#jobs + 1] = assert(client:start("create_campaign", { name = name .. " " .. i, where = {},
    content = { title = "Hi", body = "There" }, devices = { "android" }, when = "now" }))
  kinds[#jobs] = "create"
end
local hold = num("CT_HOLD", 0)
local deadline = os.time() + 60
while true do
  local all = true
  for _, j in ipairs(jobs) do all = all and j:is_done() end
  if all or os.time() > deadline then break end
  client:poll(0.05)
end
local out = { name = name, accepted = 0, failed = 0, unknown = 0, not_sent = 0, errors = {}, ok = 0, logs = logs }
for i, j in ipairs(jobs) do
  local res, err = j:result()
  if kinds[i] == "send" then
    res = res or {}
    out.accepted = out.accepted + (res.accepted or 0)
    for _, which in ipairs { "failed", "unknown", "not_sent" } do
      for _, e in ipairs(res[which] or {}) do
        out[which] = out[which] + 1
        out.errors[#out.errors + 1] = e.error and e.error.kind or which
      end
    end
  elseif res then
    out.ok = out.ok + 1
  else
    out.errors[#out.errors + 1] = err and err.kind or "?"
  end
end
if hold > 0 then client:poll(hold) end
client:close()
out.elapsed = core.now() - t0
local f = assert(io.open(assert(os.getenv("CT_OUT")), "w"))
f:write(cjson.encode(out))
f:close()
