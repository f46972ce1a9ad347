--- Inside the nginx of the limiter specs (spec/support/limiter_nginx.lua):
-- every worker sends for one account from a timer (CT_N one-identity sends,
-- CT_LISTS lists and CT_CREATES creates, to CT_URL) with the limiter
-- CT_LIMITER (unset: the default, shdict when nginx.conf has the dict) and
-- CT_FAIL_MODE, CT_MEMBERS, CT_LEASE, CT_SEND_RATE, CT_ATTEMPTS, and files
-- its summary in ngx.shared.results; /results answers them as JSON.
-- luacheck: read globals ngx
local cjson = require "cjson"
local M = {}

local function num(name) return tonumber(os.getenv(name) or "") end

function M.start()
  ngx.timer.at(0.5, function(premature)
    if premature then return end
    local clevertap = require "clevertap"
    local wid = ngx.worker.id()
    local logs = {}
    local client, err = clevertap.new { account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE",
      base_url = os.getenv("CT_URL"), retry = { attempts = num("CT_ATTEMPTS") or 1, base_delay = 0.01 },
      limiter_lease = num("CT_LEASE"), limiter = os.getenv("CT_LIMITER"), fail_mode = os.getenv("CT_FAIL_MODE"),
      limiter_members = num("CT_MEMBERS"), send_rate = num("CT_SEND_RATE"),
      logger = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end }
    if not client then
      ngx.shared.results:set("w" .. wid, cjson.encode { error = tostring(err) })
      return
    end
    local jobs, kinds = {}, {}
    for i = 1, num("CT_N") or 0 do
      jobs[#jobs + 1] = client:start_send("push",
        { to = { Identity = { "w" .. wid .. "-" .. i } }, content = { title = "Hi", body = "There" } })
      kinds[#jobs] = "send"
    end
    for _ = 1, num("CT_LISTS") or 0 do
      jobs[#jobs + 1] = client:start("list", { from = 20240101, to = 20240102 })
      kinds[#jobs] = "list"
    end
    for i = 1, num("CT_CREATES") or 0 do
      jobs[#jobs + 1] = client:start("create_campaign", { name = "w" .. wid .. " " .. i, where = {},
        content = { title = "Hi", body = "There" }, devices = { "android" }, when = "now" })
      kinds[#jobs] = "create"
    end
    local out = { accepted = 0, lists = 0, creates = 0, errors = {}, unaccounted = 0, logs = logs,
      pid = ngx.worker.pid(), threads = client.transport.concurrency }
    for i, j in ipairs(jobs) do
      local res, jerr = j:wait()
      if kinds[i] == "send" then
        local n = res and res.accepted or 0
        out.accepted = out.accepted + n
        for _, which in ipairs { "failed", "unknown", "not_sent" } do
          for _, e in ipairs(res and res[which] or {}) do
            n = n + #(e.to and e.to.Identity or { 1 })
            out.errors[#out.errors + 1] = e.error and e.error.kind or which
          end
        end
        if n ~= 1 then out.unaccounted = out.unaccounted + 1 end
      elseif res then
        out[kinds[i] .. "s"] = out[kinds[i] .. "s"] + 1
      else
        out.errors[#out.errors + 1] = jerr and jerr.kind or "?"
      end
    end
    client:close()
    ngx.shared.results:set("w" .. wid, cjson.encode(out))
  end)
end

-- The worker pids holding targets/* slots in the shdict limiter, with their counts.
function M.held()
  local out = {}
  local d = ngx.shared.clevertap_limits
  for pid in (d:get("ct:SANDBOX-ACCOUNT-ID:pids:targets_concurrency") or ""):gmatch("%d+") do
    out[pid] = d:get("ct:SANDBOX-ACCOUNT-ID:held:targets_concurrency:" .. pid)
  end
  ngx.say(cjson.encode(out))
end

function M.results()
  local all = {}
  for _, k in ipairs(ngx.shared.results:get_keys(0)) do all[k] = cjson.decode(ngx.shared.results:get(k)) end
  ngx.say(cjson.encode(all))
end

return M
