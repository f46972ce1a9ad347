--- Inside the nginx of spec/limiter_shdict_spec.lua: every worker sends for
-- one account from a timer (CT_N one-identity sends and CT_LISTS lists, to
-- CT_URL) with the default limiter, and files its summary in
-- ngx.shared.results; /results answers them as JSON.
-- luacheck: read globals ngx
local cjson = require "cjson"
local M = {}

function M.start()
  ngx.timer.at(0.5, function(premature)
    if premature then return end
    local clevertap = require "clevertap"
    local wid = ngx.worker.id()
    local client, err = clevertap.new { account_id = "SANDBOX-ACCOUNT-ID", passcode = "SANDBOX-PASSCODE",
      base_url = os.getenv("CT_URL"), retry = { attempts = 1 }, limiter_lease = tonumber(os.getenv("CT_LEASE") or "") }
    if not client then
      ngx.shared.results:set("w" .. wid, cjson.encode { error = tostring(err) })
      return
    end
    local jobs, kinds = {}, {}
    for i = 1, tonumber(os.getenv("CT_N")) do
      jobs[#jobs + 1] = client:start_send("push",
        { to = { Identity = { "w" .. wid .. "-" .. i } }, content = { title = "Hi", body = "There" } })
      kinds[#jobs] = "send"
    end
    for _ = 1, tonumber(os.getenv("CT_LISTS")) do
      jobs[#jobs + 1] = client:start("list", { from = 20240101, to = 20240102 })
      kinds[#jobs] = "list"
    end
    local out = { accepted = 0, lists = 0, errors = {} }
    for i, j in ipairs(jobs) do
      local res, jerr = j:wait()
      if kinds[i] == "send" then
        out.accepted = out.accepted + (res and res.accepted or 0)
        for _, e in ipairs(res and res.failed or {}) do out.errors[#out.errors + 1] = e.error.kind end
      elseif res then
        out.lists = out.lists + 1
      else
        out.errors[#out.errors + 1] = jerr and jerr.kind or "?"
      end
    end
    client:close()
    ngx.shared.results:set("w" .. wid, cjson.encode(out))
  end)
end

-- The worker pids holding targets/* slots, with their counts.
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
