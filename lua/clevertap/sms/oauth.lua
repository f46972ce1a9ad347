--- OAuth 2.0 client credentials (RFC 6749 4.4) for providers with auth type
-- "oauth2": the token is fetched from auth.url with the client id and secret
-- (in the form body, or as HTTP Basic with auth.credentials = "basic") plus
-- the extra key-values, cached on the provider until shortly before it
-- expires, and fetched again when the provider answers 401.
local escape = require "clevertap.sms.escape"
local base = require "clevertap.error"
local errors = require "clevertap.sms.errors"

local M = {}

-- Expiry is a duration (expires_in) measured on the core's monotonic
-- clock: a wall clock set back or forward (NTP, a VM resumed) would keep a
-- dead token or drop a good one. The same clock runs inside nginx.
local core = require "clevertap.core"
local now = core.now

--- The token request (method, url, headers, body).
function M.request(auth)
  local fields = { { "grant_type", "client_credentials" } }
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    Accept = "application/json",
  }
  if auth.credentials == "basic" then
    -- RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
    local pair = escape.form(auth.client_id) .. ":" .. escape.form(auth.client_secret)
    headers.Authorization = "Basic " .. escape.base64(pair)
  else
    fields[#fields + 1] = { "client_id", auth.client_id }
    fields[#fields + 1] = { "client_secret", auth.client_secret }
  end
  for _, kv in ipairs(auth.params) do fields[#fields + 1] = kv end
  local parts = {}
  for i, kv in ipairs(fields) do parts[i] = escape.form(kv[1]) .. "=" .. escape.form(kv[2]) end
  return { method = "POST", url = auth.url, headers = headers, body = table.concat(parts, "&"), items = { "token" } }
end

--- The cached token, if still valid.
function M.cached(provider)
  local t = provider.token
  if t and t.expires > now() then return t.value end
  return nil
end

--- Fetches a token with `runner` (a clevertap.http runner) and caches it.
-- Returns the token or nil, err (never containing the secret).
function M.fetch(provider, runner)
  local c = provider.compiled
  local answer
  local report, rerr = runner:run({ M.request(c.auth) }, {
    classify = function(res)
      answer = res
      if res.status >= 200 and res.status < 300 then return "ok" end
      if res.status == 429 or res.status == 503 then return "retry" end
      return "fail", base.new { kind = "http", message = "token endpoint answered HTTP " .. res.status,
        status = res.status }
    end,
  })
  local function fail(kind, msg, fields)
    local e = { kind = kind, message = errors.redact("OAuth2 token from " .. c.auth.url .. ": " .. msg, c.secrets) }
    for k, v in pairs(fields or {}) do e[k] = v end
    return nil, base.new(e)
  end
  if not report then return fail("http", tostring(rerr)) end
  if not report.ok then
    local e = (report.failed[1] or report.unknown[1] or {}).error
    local body = answer and answer.body and (": " .. answer.body:sub(1, 200):gsub("%c", " ")) or ""
    return fail(e and e.kind or "http", (e and (e.message or tostring(e)) or "failed") .. body,
      { status = answer and answer.status, retryable = e and e.retryable or false })
  end
  local ok, doc = pcall(require("cjson").decode, answer.body or "")
  if not ok or type(doc) ~= "table" or type(doc.access_token) ~= "string" or doc.access_token == "" then
    return fail("http", "the answer has no access_token", { status = answer.status })
  end
  if doc.access_token:find("[\r\n]") then return fail("http", "the access_token contains CR or LF") end
  local ttl = tonumber(doc.expires_in) or 3600
  -- Refresh a little early, so a token does not expire between render and send.
  local margin = math.min(30, ttl / 10)
  provider.token = { value = doc.access_token, expires = now() + ttl - margin }
  provider.compiled.secrets[#provider.compiled.secrets + 1] = doc.access_token
  return doc.access_token
end

function M.forget(provider)
  provider.token = nil
end

return M
