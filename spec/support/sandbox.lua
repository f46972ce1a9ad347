--- Helpers for specs that talk to the local CleverTap sandbox (sandbox/ctl).
--
--   local sandbox = require "support.sandbox"
--   sandbox.url()                 -- API base, e.g. "http://127.0.0.1:40123/1"
--                                 --   (env CLEVERTAP_SANDBOX_URL, else $CLEVERTAP_SANDBOX_DIR/url)
--   sandbox.available()           -- true when a sandbox is configured
--   sandbox.account_id, sandbox.passcode   -- credentials the sandbox accepts by default
--   sandbox.reset()               -- forget campaigns, faults, settings, tokens, the request log
--   sandbox.requests{ path = "/1/send/push.json", prefix = "/provider/", since = seq, method = "POST",
--                     since_time = epoch, last = n }
--                                 -- recorded requests, oldest first: { seq, time, method, path,
--                                 --   query, args, headers (lower-case names, secrets "REDACTED"),
--                                 --   body, body_length, body_truncated }
--   sandbox.last_seq()            -- seq of the newest recorded request (0 if none), for `since`
--   sandbox.stats()               -- { requests = n, by_status = { ["200"] = n, ["444"] = dropped },
--                                 --   by_path = { ["/1/send/push.json"] = n } } since the last reset
--   sandbox.faults(rules [, seed])-- install fault rules: { { path =, fault =, count =, every =,
--                                 --   probability =, ms =, retry_after =, bytes =, after = } }
--   sandbox.clear_faults(), sandbox.fault_status()
--   sandbox.complete(id [, { sent =, clicked = }])   -- finish a campaign now
--   sandbox.complete_all()        -- finish every running or scheduled campaign; returns their ids
--   sandbox.campaign(id)          -- the sandbox's view of a campaign (status, sent, clicked...)
--   sandbox.configure{ create_rate_per_sec = 0, ... }  -- runtime settings (see sandbox/README.md)
--   sandbox.provider(name, { status =, body =, auth = "basic"|"oauth"|"none", user =, password = })
--   sandbox.expire_tokens()       -- invalidate every OAuth token issued so far
--   sandbox.api(endpoint, payload [, { headers =, auth = false, fault = "429" }])
--                                 -- POST /1/<endpoint>.json with credentials; returns
--                                 --   status, decoded body (nil if not JSON), raw body, headers
--   sandbox.request{ method =, path =, body =, headers = }  -- any request, same returns
--   sandbox.raw(text [, timeout]) -- send raw HTTP bytes, return everything read until close
--                                 --   and the error that ended reading ("closed", "timeout")
--   sandbox.raw_post(endpoint, body [, headers])  -- the raw bytes of an authenticated POST
--   sandbox.fixture(name)         -- decoded spec/fixtures/examples/<name>.json (a documented example)
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {
  account_id = "SANDBOX-ACCOUNT-ID",
  passcode = "SANDBOX-PASSCODE",
  REDACTED = "REDACTED",
}

local read_file = require("support.files").read

function M.dir()
  return os.getenv("CLEVERTAP_SANDBOX_DIR")
end

function M.url()
  local url = os.getenv("CLEVERTAP_SANDBOX_URL")
  if (not url or url == "") and M.dir() then url = read_file(M.dir() .. "/url") end
  if not url or url == "" then
    error("no sandbox: start one with sandbox/ctl start --dir DIR --port 0 and set CLEVERTAP_SANDBOX_URL", 2)
  end
  return (url:gsub("%s+$", ""))
end

function M.available()
  return pcall(M.url)
end

--- The server root (the API base without "/1").
function M.root()
  return (M.url():gsub("/1/?$", ""))
end

function M.host_port()
  local host, port = M.root():match("^http://([^:/]+):(%d+)")
  return host, tonumber(port)
end

local function decode(text)
  if not text or text == "" then return nil end
  local ok, v = pcall(cjson.decode, text)
  if ok then return v end
  return nil
end

--- Any request. opts: method, path (from the root) or url, body (string or
-- table, sent as JSON), headers. Returns status, decoded body, raw body, headers.
function M.request(opts)
  local body = opts.body
  local headers = {}
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if type(body) == "table" then
    body = cjson.encode(body)
    headers["Content-Type"] = headers["Content-Type"] or "application/json"
  end
  if body then headers["Content-Length"] = tostring(#body) end
  local chunks = {}
  local ok, status, resp_headers = http.request {
    url = opts.url or (M.root() .. opts.path),
    method = opts.method or (body and "POST" or "GET"),
    headers = headers,
    source = body and ltn12.source.string(body) or nil,
    sink = ltn12.sink.table(chunks),
  }
  if not ok then return nil, status end
  local raw = table.concat(chunks)
  return status, decode(raw), raw, resp_headers
end

local function control(method, path, body)
  local status, doc, raw = M.request { method = method, path = "/_sandbox" .. path, body = body or nil }
  if status ~= 200 then
    error(string.format("sandbox %s %s: %s %s", method, path, tostring(status), tostring(raw)), 3)
  end
  return doc
end

function M.auth_headers()
  return {
    ["X-CleverTap-Account-Id"] = M.account_id,
    ["X-CleverTap-Passcode"] = M.passcode,
    ["Content-Type"] = "application/json",
  }
end

--- POST /1/<endpoint>.json with the sandbox credentials (opts.auth = false: none).
function M.api(endpoint, payload, opts)
  opts = opts or {}
  local headers = opts.auth == false and {} or M.auth_headers()
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.fault then headers["X-Sandbox-Fault"] = opts.fault end
  local body = payload
  if type(payload) == "table" then body = cjson.encode(payload) end
  return M.request { method = opts.method or "POST", url = M.url() .. "/" .. endpoint .. ".json",
    body = body, headers = headers }
end

function M.reset() return control("POST", "/reset") end

local function escape(s)
  return (tostring(s):gsub("[^%w%-%._~/]", function(c) return string.format("%%%02X", c:byte()) end))
end

function M.requests(filter)
  local q = {}
  for k, v in pairs(filter or {}) do q[#q + 1] = k .. "=" .. escape(v) end
  table.sort(q)
  return control("GET", "/requests" .. (#q > 0 and ("?" .. table.concat(q, "&")) or ""))
end

-- The largest seq, not the last record's: the sandbox's workers append to
-- the log concurrently, so the file order is not always the seq order.
function M.last_seq()
  local newest = 0
  for _, r in ipairs(M.requests()) do
    if r.seq > newest then newest = r.seq end
  end
  return newest
end

function M.stats() return control("GET", "/stats") end

function M.faults(rules, seed)
  local doc = rules
  if rules[1] ~= nil or next(rules) == nil then doc = { rules = rules, seed = seed } end
  return control("POST", "/faults", doc)
end

function M.clear_faults() return control("DELETE", "/faults") end
function M.fault_status() return control("GET", "/faults") end

-- cjson under Lua 5.4 decodes every number as a float: 1700000001.0.
local function id_text(id)
  if type(id) == "number" then return string.format("%.0f", id) end
  return tostring(id)
end

function M.complete(id, numbers)
  return control("POST", "/campaigns/" .. id_text(id) .. "/complete", numbers)
end

function M.complete_all() return control("POST", "/campaigns/complete").completed end

function M.campaign(id) return control("GET", "/campaigns/" .. id_text(id)) end
function M.configure(settings) return control("POST", "/config", settings) end
function M.config() return control("GET", "/config") end
function M.provider(name, settings) return control("POST", "/providers/" .. name, settings or {}) end
function M.expire_tokens() return control("POST", "/oauth/expire") end

--- Sends raw bytes and reads until the server closes (or timeout).
function M.raw(text, timeout)
  local host, port = M.host_port()
  local c = assert(socket.tcp())
  c:settimeout(timeout or 5)
  assert(c:connect(host, port))
  assert(c:send(text))
  local parts = {}
  local err
  while true do
    local data, e, partial = c:receive(4096)
    if data then
      parts[#parts + 1] = data
    else
      if partial and partial ~= "" then parts[#parts + 1] = partial end
      err = e
      break
    end
  end
  c:close()
  return table.concat(parts), err
end

--- A raw HTTP/1.1 POST of `body` to the API endpoint, with credentials.
function M.raw_post(endpoint, body, extra_headers)
  local host, port = M.host_port()
  local lines = {
    "POST /1/" .. endpoint .. ".json HTTP/1.1",
    "Host: " .. host .. ":" .. port,
    "X-CleverTap-Account-Id: " .. M.account_id,
    "X-CleverTap-Passcode: " .. M.passcode,
    "Content-Type: application/json",
    "Content-Length: " .. #body,
  }
  for k, v in pairs(extra_headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

function M.fixture(name)
  local text = read_file("spec/fixtures/examples/" .. name .. ".json")
  if not text then error("no fixture " .. name, 2) end
  return cjson.decode(text)
end

return M
