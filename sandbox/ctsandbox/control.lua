--- Control endpoints under /_sandbox/ (not logged, no credentials): reset,
-- the request log, fault rules, campaign completion, runtime settings.
local json = require "ctsandbox.json"
local config = require "ctsandbox.config"
local reqlog = require "ctsandbox.reqlog"
local faults = require "ctsandbox.faults"
local campaigns = require "ctsandbox.campaigns"
local validate = require "ctsandbox.validate"

local M = {}

local function answer(status, body)
  local text = type(body) == "string" and body or json.encode(body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Length"] = #text
  ngx.print(text)
  return ngx.exit(status)
end

local function body_json()
  ngx.req.read_body()
  local text = ngx.req.get_body_data()
  if not text then
    local file = ngx.req.get_body_file()
    if file then
      local f = io.open(file, "rb")
      if f then text = f:read("*a"); f:close() end
    end
  end
  if not text or text:match("^%s*$") then return {} end
  local doc, err = json.decode(text)
  if type(doc) ~= "table" then return nil, "invalid JSON: " .. tostring(err) end
  return doc
end

local function reset()
  campaigns.reset()
  faults.clear()
  config.reset()
  local state = ngx.shared.ct_state
  state:delete("create_slot")
  state:incr("rate_gen", 1, 0)
  ngx.shared.ct_tokens:flush_all()
  ngx.shared.ct_stats:flush_all()
  reqlog.truncate()
  return answer(200, { status = "ok" })
end

local function hide_values(t)
  local out = {}
  for k in pairs(type(t) == "table" and t or {}) do out[k] = reqlog.REDACTED end
  return out
end

-- A provider's settings with its password and client secrets hidden.
local function public_provider(p)
  local out = config.merge({}, p or {})
  if out.password ~= nil then out.password = reqlog.REDACTED end
  if out.oauth_clients ~= nil then out.oauth_clients = hide_values(out.oauth_clients) end
  return out
end

-- Settings with secrets hidden, for GET /_sandbox/config.
local function public_config()
  local conf = config.merge({}, config.get())
  conf.passcode = reqlog.REDACTED
  if conf.passcode_hash then conf.passcode_hash = reqlog.REDACTED end
  local oauth = config.merge({}, conf.oauth or {})
  oauth.clients = hide_values(oauth.clients)
  conf.oauth = oauth
  local providers = {}
  for name, p in pairs(conf.providers or {}) do providers[name] = public_provider(p) end
  conf.providers = providers
  return conf
end

local routes = {}

routes["GET /_sandbox/health"] = function()
  return answer(200, { status = "ok", validation = validate.available() and config.get().validate ~= false })
end
routes["POST /_sandbox/reset"] = reset

routes["GET /_sandbox/requests"] = function()
  local args = ngx.req.get_uri_args()
  return answer(200, reqlog.read({ path = args.path, prefix = args.prefix, since = args.since,
    since_time = args.since_time, method = args.method, last = args.last }))
end

-- Answers given since the last reset, by HTTP status and by path.
routes["GET /_sandbox/stats"] = function()
  local stats = ngx.shared.ct_stats
  local out = { requests = 0, by_status = {}, by_path = {} }
  for _, key in ipairs(stats:get_keys(0)) do
    local kind, name = key:match("^(%a+):(.*)$")
    local n = stats:get(key) or 0
    if kind == "status" then
      out.by_status[name] = n
      out.requests = out.requests + n
    elseif kind == "path" then
      out.by_path[name] = n
    end
  end
  return answer(200, out)
end

routes["DELETE /_sandbox/requests"] = function()
  reqlog.truncate()
  return answer(200, { status = "ok" })
end

routes["POST /_sandbox/faults"] = function()
  local doc, err = body_json()
  if not doc then return answer(400, { status = "fail", error = err }) end
  local ok, msg = faults.set(doc)
  if not ok then return answer(400, { status = "fail", error = msg }) end
  return answer(200, { status = "ok" })
end
routes["GET /_sandbox/faults"] = function() return answer(200, faults.status()) end
routes["DELETE /_sandbox/faults"] = function()
  faults.clear()
  return answer(200, { status = "ok" })
end

routes["GET /_sandbox/config"] = function() return answer(200, public_config()) end
routes["POST /_sandbox/config"] = function()
  local doc, err = body_json()
  if not doc then return answer(400, { status = "fail", error = err }) end
  config.override(doc)
  return answer(200, { status = "ok" })
end

routes["GET /_sandbox/campaigns"] = function()
  local list = json.array()
  for _, c in ipairs(campaigns.all(config.get())) do list[#list + 1] = c end
  return answer(200, list)
end

-- Completes every campaign not completed or stopped (demos, bulk specs).
routes["POST /_sandbox/campaigns/complete"] = function()
  local conf = config.get()
  local done = json.array()
  for _, c in ipairs(campaigns.all(conf)) do
    if c.status == "running" or c.status == "scheduled" then
      done[#done + 1] = campaigns.complete(c.id, nil, conf).id
    end
  end
  return answer(200, { status = "ok", completed = done })
end

routes["POST /_sandbox/oauth/expire"] = function()
  ngx.shared.ct_tokens:flush_all()
  return answer(200, { status = "ok" })
end

local function campaign_route(method, path)
  local id, action = path:match("^/_sandbox/campaigns/(%d+)/?(%a*)$")
  if not id then return nil end
  local conf = config.get()
  if method == "GET" and action == "" then
    local c = campaigns.get(id, conf)
    if not c then return answer(404, { status = "fail", error = "no campaign " .. id }) end
    return answer(200, c)
  end
  if method == "POST" and action == "complete" then
    local doc, err = body_json()
    if not doc then return answer(400, { status = "fail", error = err }) end
    local c = campaigns.complete(id, doc, conf)
    if not c then return answer(404, { status = "fail", error = "no campaign " .. id }) end
    return answer(200, c)
  end
  return nil
end

local function provider_route(method, path)
  local name = path:match("^/_sandbox/providers/([^/]+)$")
  if not name then return nil end
  if method == "GET" then
    return answer(200, public_provider((config.get().providers or {})[name]))
  end
  if method ~= "POST" then return nil end
  local doc, err = body_json()
  if not doc then return answer(400, { status = "fail", error = err }) end
  config.replace("providers", name, doc)
  return answer(200, { status = "ok" })
end

function M.handle(path)
  local method = ngx.req.get_method()
  local route = routes[method .. " " .. path]
  if route then return route() end
  local done = campaign_route(method, path) or provider_route(method, path)
  if done == nil then
    return answer(404, { status = "fail", error = "unknown control endpoint " .. method .. " " .. path })
  end
end

return M
