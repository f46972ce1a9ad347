-- The generic SMS provider capture under /provider/<name>/... and its OAuth2
-- client-credentials token endpoint.
local sandbox = require "support.sandbox"
local socket = require "socket"
local mime = require "mime"

local function form(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  return table.concat(parts, "&")
end

local function token_request(fields, headers)
  local h = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return sandbox.request { method = "POST", path = "/provider/oauth/token", body = form(fields), headers = h }
end

local function get_token()
  local status, body = token_request { grant_type = "client_credentials", client_id = "sandbox-client",
    client_secret = "sandbox-secret" }
  assert.are.equal(200, status)
  return body.access_token, body
end

local function sms(name, headers)
  return sandbox.request { method = "POST", path = "/provider/" .. name .. "/messages?sender=CT",
    body = '{"to":"+919999999999","text":"hi"}', headers = headers }
end

local function basic(user, pass)
  return "Basic " .. (mime.b64(user .. ":" .. pass))
end

describe("sandbox SMS provider", function()
  before_each(function() sandbox.reset() end)

  it("records what arrived and answers success with a message id", function()
    local status, body = sms("acme", { ["Content-Type"] = "application/json", ["X-Tenant"] = "t1" })
    assert.are.equal(200, status)
    assert.are.equal("success", body.status)
    assert.is_string(body.message_id)
    local rec = sandbox.requests { prefix = "/provider/acme/" }[1]
    assert.are.equal("POST", rec.method)
    assert.are.equal("/provider/acme/messages", rec.path)
    assert.are.equal("sender=CT", rec.query)
    assert.are.equal("t1", rec.headers["x-tenant"])
    assert.are.equal('{"to":"+919999999999","text":"hi"}', rec.body)
  end)

  it("captures any method, GET with a query string included", function()
    local status = sandbox.request { method = "GET", path = "/provider/acme/send?to=%2B91999&msg=hi%20there" }
    assert.are.equal(200, status)
    local rec = sandbox.requests { prefix = "/provider/" }[1]
    assert.are.equal("GET", rec.method)
    assert.are.equal("hi there", rec.args.msg)
    assert.are.equal("+91999", rec.args.to)
  end)

  it("answers as configured per provider name, failures included", function()
    sandbox.provider("flaky", { status = 200, body = { status = "error", error = "invalid number" } })
    sandbox.provider("down", { status = 503, body = "maintenance", content_type = "text/plain" })
    local status, body = sms("flaky")
    assert.are.equal(200, status)
    assert.are.same({ status = "error", error = "invalid number" }, body)
    local down, _, raw, headers = sms("down")
    status = down
    assert.are.equal(503, status)
    assert.are.equal("maintenance", raw)
    assert.are.equal("text/plain", headers["content-type"])
    assert.are.equal(200, (sms("other")))
  end)

  it("takes fault rules like the API endpoints", function()
    sandbox.faults { { path = "/provider/*", fault = "503", count = 1 } }
    assert.are.equal(503, (sms("acme")))
    assert.are.equal(200, (sms("acme")))
    assert.are.equal(2, #sandbox.requests { prefix = "/provider/acme/" })
  end)

  it("gives configured responses in turn, cycling", function()
    sandbox.provider("seq", { responses = {
      { status = 200, body = { status = "success", message_id = "m-$seq" } },
      { status = 200, body = { status = "error", error = "DND number" } },
      { status = 500, body = "oops", content_type = "text/plain" },
    } })
    local got = {}
    for i = 1, 4 do
      local status, body, raw = sms("seq")
      got[i] = { status, body and body.status or raw }
    end
    assert.are.same({ { 200, "success" }, { 200, "error" }, { 500, "oops" }, { 200, "success" } }, got)
    sandbox.reset()
    sandbox.provider("seq", { responses = { { status = 202 }, { status = 200 } } })
    assert.are.equal(202, (sms("seq")))
  end)

  it("checks HTTP Basic credentials when configured, never logging them", function()
    sandbox.provider("basic", { auth = "basic", user = "ct", password = "s3cret" })
    assert.are.equal(200, (sms("basic", { Authorization = basic("ct", "s3cret") })))
    local status, _, _, headers = sms("basic", { Authorization = basic("ct", "wrong") })
    assert.are.equal(401, status)
    assert.is_truthy(headers["www-authenticate"])
    assert.are.equal(401, (sms("basic")))
    for _, rec in ipairs(sandbox.requests { prefix = "/provider/basic/" }) do
      assert.is_nil(rec.headers.authorization and rec.headers.authorization:find("s3cret", 1, true))
    end
    assert.are.equal("Basic REDACTED", sandbox.requests { prefix = "/provider/basic/" }[1].headers.authorization)
  end)

  it("shows provider settings with their secrets hidden", function()
    sandbox.provider("shown", { auth = "basic", user = "ct", password = "pw-secret",
      oauth_clients = { id1 = "client-secret-1" } })
    local _, one = sandbox.request { method = "GET", path = "/_sandbox/providers/shown" }
    assert.are.equal("ct", one.user)
    assert.are.equal("REDACTED", one.password)
    assert.are.same({ id1 = "REDACTED" }, one.oauth_clients)
    local _, _, raw = sandbox.request { method = "GET", path = "/_sandbox/config" }
    assert.is_nil(raw:find("pw-secret", 1, true))
    assert.is_nil(raw:find("client-secret-1", 1, true))
    assert.is_nil(raw:find("sandbox-secret", 1, true))
    assert.is_nil(raw:find(sandbox.passcode, 1, true))
  end)

  it("issues client-credentials tokens and accepts them as bearer tokens", function()
    local token, body = get_token()
    assert.are.equal("Bearer", body.token_type)
    assert.is_number(body.expires_in)
    sandbox.provider("oauth", { auth = "oauth" })
    assert.are.equal(200, (sms("oauth", { Authorization = "Bearer " .. token })))
    local status, err = sms("oauth", { Authorization = "Bearer nope" })
    assert.are.equal(401, status)
    assert.are.equal("invalid_token", err.error)
    assert.are.equal(401, (sms("oauth")))
  end)

  it("checks any bearer token by default, and none with auth = none", function()
    assert.are.equal(401, (sms("plain", { Authorization = "Bearer made-up" })))
    assert.are.equal(200, (sms("plain", { Authorization = "Bearer " .. get_token() })))
    assert.are.equal(200, (sms("plain")))
    sandbox.provider("static", { auth = "none" })
    assert.are.equal(200, (sms("static", { Authorization = "Bearer static-api-key" })))
  end)

  it("accepts client credentials in a Basic header on the token endpoint", function()
    local status, body = token_request({ grant_type = "client_credentials" },
      { Authorization = basic("sandbox-client", "sandbox-secret") })
    assert.are.equal(200, status)
    assert.is_string(body.access_token)
  end)

  it("has a token endpoint per provider, with the provider's own clients", function()
    sandbox.provider("acme", { auth = "oauth", oauth_clients = { ["acme-id"] = "acme-secret" } })
    local status, body = sandbox.request { method = "POST", path = "/provider/acme/oauth/token",
      body = "grant_type=client_credentials&client_id=acme-id&client_secret=acme-secret",
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
    assert.are.equal(200, status)
    assert.are.equal(200, (sms("acme", { Authorization = "Bearer " .. body.access_token })))
    status = sandbox.request { method = "POST", path = "/provider/acme/oauth/token",
      body = "grant_type=client_credentials&client_id=sandbox-client&client_secret=sandbox-secret",
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
    assert.are.equal(401, status)
  end)

  it("refuses bad client credentials and other grant types", function()
    local status, body = token_request { grant_type = "client_credentials", client_id = "sandbox-client",
      client_secret = "wrong" }
    assert.are.equal(401, status)
    assert.are.equal("invalid_client", body.error)
    status, body = token_request { grant_type = "password", client_id = "sandbox-client",
      client_secret = "sandbox-secret" }
    assert.are.equal(400, status)
    assert.are.equal("unsupported_grant_type", body.error)
  end)

  it("tokens expire after token_ttl and when expired by the control endpoint", function()
    sandbox.configure { oauth = { token_ttl = 1 } }
    local token = get_token()
    local auth = { Authorization = "Bearer " .. token }
    assert.are.equal(200, (sms("acme", auth)))
    socket.sleep(1.1)
    assert.are.equal(401, (sms("acme", auth)))
    sandbox.configure { oauth = { token_ttl = 60 } }
    token = get_token()
    sandbox.expire_tokens()
    assert.are.equal(401, (sms("acme", { Authorization = "Bearer " .. token })))
  end)

  it("redacts the query and body parameters a provider lists as secret", function()
    sandbox.provider("textlocal", { secret_params = { "apikey" } })
    sandbox.request { method = "POST", path = "/provider/textlocal/send?apikey=key-987&sender=CT",
      body = "apikey=key-987&numbers=919999999999&message=hi",
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
    local rec = sandbox.requests { prefix = "/provider/textlocal/" }[1]
    assert.are.equal("apikey=REDACTED&sender=CT", rec.query)
    assert.are.equal("REDACTED", rec.args.apikey)
    assert.are.equal("CT", rec.args.sender)
    assert.are.equal("apikey=REDACTED&numbers=919999999999&message=hi", rec.body)
    local f = assert(io.open(sandbox.dir() .. "/requests.jsonl"))
    local text = f:read("*a")
    f:close()
    assert.is_nil(text:find("key-987", 1, true))
  end)

  it("never logs client secrets, tokens or configured secret headers", function()
    sandbox.provider("keyed", { secret_headers = { "X-Provider-Key" } })
    local token = get_token()
    sms("keyed", { Authorization = "Bearer " .. token, ["X-Provider-Key"] = "k-123" })
    local f = assert(io.open(sandbox.dir() .. "/requests.jsonl"))
    local text = f:read("*a")
    f:close()
    assert.is_nil(text:find("sandbox-secret", 1, true))
    assert.is_nil(text:find(token, 1, true))
    assert.is_nil(text:find("k-123", 1, true))
    local rec = sandbox.requests { path = "/provider/oauth/token" }[1]
    assert.is_truthy(rec.body:find("client_secret=REDACTED", 1, true))
  end)
end)
