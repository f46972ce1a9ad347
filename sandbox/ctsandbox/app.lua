--- Request pipeline of the sandbox: read and log the request, pick a fault,
-- enforce the API's limits and credentials, dispatch, answer.
local config = require "ctsandbox.config"
local reqlog = require "ctsandbox.reqlog"
local faults = require "ctsandbox.faults"
local respond = require "ctsandbox.respond"
local api = require "ctsandbox.api"

local M = {}

function M.init()
  local path = os.getenv("CT_SANDBOX_CONFIG")
  config.load_file(path)
  M.dir = path and path:match("^(.*)/[^/]*$") or "."
  require("ctsandbox.validate").load()
end

function M.init_worker()
  reqlog.open(M.dir)
  require("ctsandbox.watchdog").start(M.dir)
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local file = ngx.req.get_body_file()
  if not file then return "" end
  local f = io.open(file, "rb")
  if not f then return "" end
  body = f:read("*a")
  f:close()
  return body
end

local function query_args()
  local args = ngx.req.get_uri_args(0)
  return next(args) and args or nil
end

-- secrets: nil, or { headers = set of names, params = list of names } for
-- a provider request.
local function record(req, conf, secrets)
  local rec = {
    method = req.method,
    path = req.path,
    query = ngx.var.args or "",
    args = query_args(),
    headers = reqlog.redact_headers(req.headers, secrets and secrets.headers),
    -- Which connection carried it: specs check keep-alive reuse with these.
    connection = tonumber(ngx.var.connection),
    connection_requests = tonumber(ngx.var.connection_requests),
  }
  local body = req.body
  if secrets then
    body = reqlog.redact_body(body, secrets.params)
    rec.query, rec.args = reqlog.redact_query(rec.query, rec.args, secrets.params)
  end
  return reqlog.write(rec, body, tonumber(conf.log_body_max))
end

-- A passcode from the config file is stored as a salted hash; one set at
-- run time (POST /_sandbox/config, memory only) or the built-in default is
-- compared as is.
local function authorized(headers, conf)
  local id = headers["x-clevertap-account-id"]
  local pass = headers["x-clevertap-passcode"]
  if id ~= conf.account_id then return false end
  if type(conf.passcode_hash) == "string" then
    return require("ctsandbox.secret").check(conf.passcode_hash, pass)
  end
  return pass == conf.passcode
end

-- targets/* share a concurrency budget; the slot is freed before the answer
-- leaves (settle), or in the log phase when the request ended otherwise.
local function take_targets_slot(conf)
  local limit = tonumber(conf.targets_concurrency) or 0
  if limit <= 0 then return true end
  local n = ngx.shared.ct_state:incr("targets_inflight", 1, 0)
  ngx.ctx.targets_slot = true
  return n <= limit
end

-- Frees the targets/* slot and counts the answer BEFORE its first byte goes
-- out: a client that sends its next request on reading an answer must find
-- the slot free and the count done, whichever worker serves it next.
local function settle(status)
  local ctx = ngx.ctx
  if ctx.settled then return end
  ctx.settled = true
  if ctx.targets_slot then
    ngx.shared.ct_state:incr("targets_inflight", -1, 0)
  end
  if ctx.counted_path then
    local stats = ngx.shared.ct_stats
    stats:incr("status:" .. status, 1, 0)
    stats:incr("path:" .. ctx.counted_path, 1, 0)
  end
end

-- The status a fault makes the client see (444: the connection is cut).
local function seen_status(status, fault)
  local kind = fault and fault.kind
  if kind == "drop" or kind == "truncated" then return 444 end
  if kind == "non-json" then return fault.status or status end
  return status
end

local function answer(status, body, headers, fault)
  settle(seen_status(status, fault))
  return respond.send(status, body, headers, fault)
end

-- A client pacing itself at exactly the rate must pass although its clock and
-- ours differ by a few milliseconds: the slot is 10% shorter than 1/rate.
local function create_allowed(conf)
  local rate = tonumber(conf.create_rate_per_sec) or 0
  if rate <= 0 then return true end
  return ngx.shared.ct_state:add("create_slot", true, 0.9 / rate)
end

-- send/*: documented "up to 1000 requests per second"; off by default so
-- benchmarks can go beyond. Counted per wall-clock second.
local function send_allowed(conf)
  local rate = tonumber(conf.send_rate_per_sec) or 0
  if rate <= 0 then return true end
  local state = ngx.shared.ct_state
  local gen = state:get("rate_gen") or 0
  local n = state:incr("send_rate:" .. gen .. ":" .. math.floor(ngx.now()), 1, 0, 2)
  return n <= rate
end

local function pick_fault(req)
  local header = req.headers["x-sandbox-fault"]
  if header then
    local f, err = faults.parse_header(header)
    if not f then return nil, err end
    return f
  end
  return faults.from_rules(req.method, req.path)
end

local function before_fault(fault)
  local k = fault.kind
  if k == "429" then
    return respond.fail(429, "Too many requests", 429)
  elseif k == "429-retry-after" then
    return respond.fail(429, "Too many requests", 429, { ["Retry-After"] = tostring(fault.retry_after or 1) })
  elseif k == "500-89" then
    return respond.fail(500, "Unexpected error, please try again", 89)
  elseif k == "503" then
    local headers = { ["Content-Type"] = "text/html" }
    if fault.retry_after then headers["Retry-After"] = tostring(fault.retry_after) end
    return 503, "<html><head><title>503 Service Temporarily Unavailable</title></head>"
      .. "<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n", headers
  end
end

-- A bug in a handler must look like the API's own unexpected error.
local function guarded(handler, req, conf, fault)
  local ok, status, body, headers = pcall(handler, req, conf, fault)
  if not ok then
    ngx.log(ngx.ERR, "sandbox: handler for ", req.path, " failed: ", tostring(status))
    return respond.fail(500, "Unexpected error, please try again", 89)
  end
  return status, body, headers
end

local function serve_api(req, conf, fault)
  if not authorized(req.headers, conf) then
    return respond.fail(401, "Invalid account ID or passcode", 401)
  end
  local handler = api.handlers[req.path]
  if not handler then return respond.fail(404, "Not Found", 404) end
  if not api.allowed(req.path, req.method) then
    return respond.fail(405, "Method Not Allowed", 405, { Allow = "POST" })
  end
  if req.path == "/1/targets/create.json" and not create_allowed(conf) then
    return respond.fail(429, "Too many requests: targets/create is limited to "
      .. conf.create_rate_per_sec .. " request(s) per second", 429, { ["Retry-After"] = "1" })
  end
  if req.path:sub(1, 8) == "/1/send/" and not send_allowed(conf) then
    return respond.fail(429, "Too many requests: send is limited to "
      .. conf.send_rate_per_sec .. " requests per second", 429, { ["Retry-After"] = "1" })
  end
  return guarded(handler, req, conf, fault)
end

function M.handle()
  local path = ngx.var.uri
  if path:sub(1, 10) == "/_sandbox/" or path == "/_sandbox" then
    return require("ctsandbox.control").handle(path)
  end
  local conf = config.get()
  local req = {
    method = ngx.req.get_method(),
    path = path,
    headers = ngx.req.get_headers(0),
  }
  ngx.ctx.counted_path = path
  -- The fault is chosen before the body is read: "reset" closes the
  -- connection with the body unread (the kernel answers the rest with a
  -- RST), like a server closing an idle keep-alive connection as a request
  -- arrives. Such a request was never received whole: it is not logged and
  -- has no effect.
  local fault, ferr = pick_fault(req)
  if fault and fault.kind == "reset" then
    settle(444)
    return ngx.exit(444)
  end
  req.body = read_body()
  local provider = path:sub(1, 10) == "/provider/" and require("ctsandbox.provider") or nil
  req.seq = record(req, conf, provider and provider.secrets(req, conf))
  -- Lets a spec find the log record of exactly this request.
  ngx.header["X-Sandbox-Request-Seq"] = req.seq

  if ferr then return answer(respond.fail(400, "X-Sandbox-Fault: " .. ferr, 400)) end

  if path:sub(1, 11) == "/1/targets/" then
    if not take_targets_slot(conf) then
      return answer(respond.fail(429, "Too many concurrent requests", 429))
    end
    -- Real targets/* calls take a while; without a service time, requests
    -- sent together would be answered one by one and never be concurrent.
    local ms = tonumber(conf.targets_latency_ms) or 0
    if ms > 0 then ngx.sleep(ms / 1000) end
  end

  if fault and fault.kind == "latency" then
    ngx.sleep((fault.ms or 100) / 1000)
  end
  if fault and faults.BEFORE[fault.kind] then
    local status, body, headers = before_fault(fault)
    return answer(status, body, headers)
  end
  if fault and fault.kind == "drop" and fault.after == false then
    settle(444)
    return ngx.exit(444)
  end

  local status, body, headers
  if provider then
    status, body, headers = guarded(provider.handle, req, conf)
  elseif path:sub(1, 3) == "/1/" then
    status, body, headers = serve_api(req, conf, fault)
  else
    status, body, headers = respond.fail(404, "Not Found", 404)
  end
  return answer(status, body, headers, fault)
end

--- Log phase: settles requests that ended without an answer of ours
-- (errors, client gone); GET /_sandbox/stats counts 444 as dropped.
function M.after()
  settle(ngx.status)
end

return M
