-- The ngx transport's backend on lua-resty-http (>= 0.16, the release with
-- the single-table connect{}), when the user has it installed. Same contract
-- as clevertap.transport.ngx.http: request(req, opts) -> res or nil, err with
-- err = { kind, message, sent }. Requiring this module fails when
-- lua-resty-http is missing or too old, and the cosocket client is used.
local http = require("resty.http")
require("resty.http_connect") -- absent before 0.16
local url_mod = require("clevertap.transport.ngx.url")
local opt = require("clevertap.transport.ngx.http").opt

local lower = string.lower

local M = {}

local function fail(what, err, sent)
  local kind = err == "timeout" and "timeout" or "network"
  return nil, { kind = kind, message = what .. ": " .. tostring(err), sent = sent }
end

function M.request(req, o)
  o = o or {}
  local u, perr = url_mod.parse(req.url)
  if not u then return nil, { kind = "network", message = perr, sent = false } end
  local httpc = http.new()
  -- resty.http has per-operation timeouts only; the whole-request budget
  -- bounds each of them.
  local total = opt(o, "total_timeout")
  httpc:set_timeouts(math.min(opt(o, "connect_timeout"), total), total, total)
  local resolve = opt(o, "resolve")
  local ok, err = httpc:connect{
    scheme = u.scheme, host = resolve and resolve[u.host] or u.host, port = u.port,
    ssl_server_name = u.host, -- SNI, and the name the certificate is checked against
    ssl_verify = opt(o, "ssl_verify") and true or false,
    pool_size = opt(o, "keepalive_pool"),
  }
  if not ok then return fail("connect to " .. u.host .. ":" .. u.port, err, false) end
  local headers = { ["User-Agent"] = "lua-clevertap (ngx)", ["Host"] = u.host_header }
  for k, v in pairs(req.headers or {}) do headers[k] = v end
  local res
  -- request() both sends and reads the head, so a failure there may come
  -- after the server got the request: unknown outcome, never re-sent here.
  res, err = httpc:request{ method = req.method or "GET", path = u.path, headers = headers, body = req.body }
  if not res then
    httpc:close()
    return fail("request", err, true)
  end
  local body
  body, err = res:read_body()
  if not body then
    httpc:close()
    return fail("reading the response body", err, true)
  end
  if #body > opt(o, "max_body") then
    httpc:close()
    return fail("reading the response body", "response body too large", true)
  end
  -- set_keepalive closes instead when the response forbids reuse.
  httpc:set_keepalive(opt(o, "keepalive_timeout"), opt(o, "keepalive_pool"))
  local h = {}
  for k, v in pairs(res.headers) do
    h[lower(k)] = type(v) == "table" and table.concat(v, ", ") or v
  end
  return { status = res.status, headers = h, body = body }
end

return M
