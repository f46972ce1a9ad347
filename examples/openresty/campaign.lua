-- Handlers of examples/openresty/nginx.conf: send a push campaign to N
-- identities from inside nginx. The client runs its requests on cosockets in
-- light threads, so while a send is under way the worker keeps serving other
-- requests.
local clevertap = require("clevertap")
local cjson = require("cjson.safe")

local M = {}

-- Credentials and the API address come from the environment (the `env`
-- lines of nginx.conf): CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and
-- CLEVERTAP_REGION or CLEVERTAP_BASE_URL.
-- Inside nginx, clevertap.new picks the cosocket transport by itself.
local function new_client()
  return clevertap.new{ concurrency = 16 }
end

-- Identities as a plain array, or (source=stream) produced lazily batch by
-- batch: a large list then never sits in memory, and the worker never
-- spends a long stretch building it.
local function identities(n, source)
  if source == "stream" then
    local i = 0
    return function()
      if i >= n then return nil end
      i = i + 1
      return "player-" .. i
    end
  end
  local ids = {}
  for i = 1, n do ids[i] = "player-" .. i end
  return ids
end

local function campaign(n, source)
  return {
    to = { Identity = identities(n, source) },
    content = { title = "Season 3 is live", body = "New maps, new rewards. Jump in!" },
  }
end

local function count_ids(to)
  local n = 0
  for _, list in pairs(to or {}) do n = n + #list end
  return n
end

-- The report in numbers: every identity is accepted, failed or unknown.
local function summarize(report, err, started)
  local seconds = ngx.now() - started
  if not report then
    return { ok = false, kind = err and err.kind, error = tostring(err), seconds = seconds }
  end
  local failed, unknown = 0, 0
  for _, f in ipairs(report.failed) do failed = failed + (f.count or count_ids(f.to)) end
  for _, u in ipairs(report.unknown) do unknown = unknown + (u.count or count_ids(u.to)) end
  return {
    ok = report.ok, accepted = report.accepted, failed = failed, unknown = unknown,
    requests = report.requests, seconds = seconds,
    first_error = report.failed[1] and tostring(report.failed[1].error)
      or report.unknown[1] and tostring(report.unknown[1].error) or nil,
  }
end

local function run(n, source)
  ngx.update_time()
  local started = ngx.now()
  local client, err = new_client()
  if not client then return summarize(nil, err, started) end
  local report
  report, err = client:send("push", campaign(n, source))
  client:close()
  ngx.update_time()
  return summarize(report, err, started)
end

local function wanted()
  local n = tonumber(ngx.var.arg_n) or 1000
  if n < 1 or n > 10000000 or n % 1 ~= 0 then
    ngx.status = 400
    ngx.say(cjson.encode({ error = "n must be an integer from 1 to 10000000" }))
    return ngx.exit(400)
  end
  return n, ngx.var.arg_source
end

-- POST /campaign/send?n=N[&source=stream]: sends in this request, answers
-- with the report.
function M.send()
  local n, source = wanted()
  ngx.say(cjson.encode(run(n, source)))
end

-- POST /campaign/start?n=N: answers at once; a timer does the send. Timers
-- are also how to send from phases without cosockets (init_worker, log...).
function M.start()
  local n, source = wanted()
  local jobs = ngx.shared.campaigns
  local id = assert(jobs:incr("seq", 1, 0))
  local ok, err = ngx.timer.at(0, function(premature)
    if premature then return end -- nginx is shutting down
    -- A timer's error would only reach error.log: keep it with the job.
    local done, result = pcall(run, n, source)
    if not done then result = { ok = false, error = tostring(result) } end
    jobs:set("job:" .. id, cjson.encode(result))
  end)
  if not ok then
    ngx.status = 500
    return ngx.say(cjson.encode({ error = "cannot start a timer: " .. tostring(err) }))
  end
  ngx.say(cjson.encode({ job = id }))
end

-- GET /campaign/status?job=N: { done = false } or { done = true, result = ... }
function M.status()
  local result = ngx.shared.campaigns:get("job:" .. tostring(ngx.var.arg_job))
  ngx.say(cjson.encode(result and { done = true, result = cjson.decode(result) } or { done = false }))
end

return M
