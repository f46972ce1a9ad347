--- A generic SMS provider, as CleverTap's "Other (Generic)" integration would
-- call it: any method under /provider/<name>/... is recorded (by the pipeline)
-- and answered as configured for <name>; /provider/oauth/token (and
-- /provider/<name>/oauth/token) issue OAuth2 client-credentials tokens that
-- expire.
local json = require "ctsandbox.json"

local M = {}

local TOKEN_PREFIX = "sbx_"

local function tokens() return ngx.shared.ct_tokens end

local function provider_name(path)
  return path:match("^/provider/([^/]+)")
end

local function settings(req, conf)
  local name = provider_name(req.path)
  return name, (conf.providers or {})[name] or {}
end

--- What to redact in the log for this provider, beyond the defaults:
-- { headers = { name = true }, params = { "apikey", ... } }.
function M.secrets(req, conf)
  local _, p = settings(req, conf)
  local out = { headers = {}, params = {} }
  if type(p.secret_headers) == "table" then
    for _, h in ipairs(p.secret_headers) do out.headers[string.lower(h)] = true end
  end
  if type(p.secret_params) == "table" then
    for _, f in ipairs(p.secret_params) do out.params[#out.params + 1] = tostring(f) end
  end
  return out
end

local function form_or_json(req)
  local ctype = req.headers["content-type"] or ""
  if type(ctype) == "table" then ctype = ctype[1] end
  if ctype:find("json", 1, true) then
    local doc = json.decode(req.body or "")
    return type(doc) == "table" and doc or {}
  end
  return ngx.decode_args(req.body or "", 0)
end

local function basic_credentials(headers)
  local auth = headers["authorization"]
  if type(auth) ~= "string" then return nil end
  local b64 = auth:match("^[Bb]asic%s+(%S+)$")
  if not b64 then return nil end
  local plain = ngx.decode_base64(b64)
  if not plain then return nil end
  return plain:match("^([^:]*):(.*)$")
end

local function bearer(headers)
  local auth = headers["authorization"]
  if type(auth) ~= "string" then return nil end
  return auth:match("^[Bb]earer%s+(%S+)$")
end

local function token_endpoint(req, conf, own_clients)
  if req.method ~= "POST" then return 405, { error = "invalid_request" }, { Allow = "POST" } end
  local args = form_or_json(req)
  local id, secret = basic_credentials(req.headers)
  id = id or args.client_id
  secret = secret or args.client_secret
  local oauth = conf.oauth or {}
  local clients = type(own_clients) == "table" and own_clients or oauth.clients or {}
  if type(id) ~= "string" or clients[id] == nil or clients[id] ~= secret then
    return 401, { error = "invalid_client" }, { ["WWW-Authenticate"] = 'Basic realm="sandbox"' }
  end
  if args.grant_type ~= "client_credentials" then
    return 400, { error = "unsupported_grant_type" }
  end
  local ttl = tonumber(oauth.token_ttl) or 300
  local seq = ngx.shared.ct_state:incr("token_seq", 1, 0)
  local token = string.format("%s%08x%08x%d", TOKEN_PREFIX,
    ngx.crc32_long(id .. seq .. ngx.now()), math.random(0, 0x7fffffff), seq)
  tokens():set(token, id, ttl)
  local body = { access_token = token, token_type = "Bearer", expires_in = ttl }
  if type(args.scope) == "string" then body.scope = args.scope end
  return 200, body, { ["Cache-Control"] = "no-store" }
end

-- nil when the request may pass, else the 401 answer.
local function check_auth(req, p)
  local mode = p.auth or "auto"
  if mode == "none" then return nil end
  local token = bearer(req.headers)
  -- "auto": any bearer token must be one we issued and still valid.
  local wants_oauth = mode == "oauth" or (mode == "auto" and token ~= nil)
  if wants_oauth then
    if not token or not tokens():get(token) then
      return 401, { error = "invalid_token", error_description = "The access token is missing, invalid or expired" },
        { ["WWW-Authenticate"] = 'Bearer error="invalid_token"' }
    end
    return nil
  end
  local wants_basic = mode == "basic" or (mode == "auto" and p.user ~= nil)
  if wants_basic then
    local user, pass = basic_credentials(req.headers)
    if user == nil or user ~= p.user or pass ~= (p.password or "") then
      return 401, { error = "unauthorized" }, { ["WWW-Authenticate"] = 'Basic realm="sandbox"' }
    end
  end
  return nil
end

-- The answer for this request: the provider's `status`/`body`, or, with a
-- `responses` list, its entries in turn (cycling), counted across workers.
local function pick_answer(name, p)
  if type(p.responses) ~= "table" or #p.responses == 0 then return p end
  local state = ngx.shared.ct_state
  -- Reset and any settings change start the cycle over.
  local gen = (state:get("rate_gen") or 0) .. ":" .. (state:get("config_version") or 0)
  local n = state:incr("provider:" .. gen .. ":" .. name, 1, 0)
  local one = p.responses[(n - 1) % #p.responses + 1]
  return type(one) == "table" and one or p
end

local function default_body(name, seq)
  return { status = "success", message_id = name .. "-" .. seq }
end

function M.handle(req, conf)
  -- /provider/oauth/token, or /provider/<name>/oauth/token for a provider
  -- with its own clients (`oauth_clients`, else the global ones).
  if req.path == "/provider/oauth/token" then return token_endpoint(req, conf) end
  if req.path:match("^/provider/[^/]+/oauth/token$") then
    local _, p = settings(req, conf)
    return token_endpoint(req, conf, p.oauth_clients)
  end
  local name, p = settings(req, conf)
  if not name then return 404, { error = "no provider name in path" } end
  local status, body, headers = check_auth(req, p)
  if status then return status, body, headers end
  local answer = pick_answer(name, p)
  headers = {}
  for _, src in ipairs { p.headers, answer.headers } do
    if type(src) == "table" then
      for k, v in pairs(src) do headers[k] = v end
    end
  end
  local ctype = answer.content_type or p.content_type
  if ctype then headers["Content-Type"] = ctype end
  body = answer.body
  if body == nil then body = default_body(name, req.seq) end
  if type(body) == "table" then body = json.encode(body) end
  -- "$seq" in a configured body becomes this request's log sequence number.
  body = body:gsub("%$seq", tostring(req.seq))
  return tonumber(answer.status) or 200, body, headers
end

return M
