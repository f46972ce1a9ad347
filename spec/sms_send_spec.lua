-- provider:send against the sandbox's provider capture (/provider/<name>/...)
-- and its OAuth2 token endpoint: what arrives is what render produced, and
-- the report accounts for every recipient.
local sandbox = require "support.sandbox"
local sms = require "clevertap.sms"
local cjson = require "cjson"

local FAST = { retry = { attempts = 3, base_delay = 0.01, max_delay = 0.05 } }
local ID = '"message_id"%s*:%s*"([^"]+)"'

local function url(name, rest) return sandbox.root() .. "/provider/" .. name .. (rest or "/send") end

local function provider(def)
  def.http = def.http or FAST
  return assert(sms.provider(def))
end

local function nums(n)
  local t = {}
  for i = 1, n do t[i] = string.format("+9198%08d", i) end
  return t
end

local function captured(name)
  return sandbox.requests { prefix = "/provider/" .. name .. "/" }
end

local function form_decode(s)
  local t = {}
  for kv in s:gmatch("[^&]+") do
    local k, v = kv:match("^([^=]*)=(.*)$")
    local function dec(x)
      return (x:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
    end
    t[dec(k)] = dec(v)
  end
  return t
end

local function all_recipients(report)
  local seen = {}
  for _, e in ipairs(report.sent) do seen[#seen + 1] = e.to end
  for _, e in ipairs(report.failed) do seen[#seen + 1] = e.to end
  for _, e in ipairs(report.unknown) do seen[#seen + 1] = e.to end
  table.sort(seen)
  return seen
end

describe("provider:send", function()
  before_each(function() sandbox.reset() end)

  it("sends exactly the rendered requests and reports every recipient", function()
    local p = provider{ url = url("acme"),
      json = '{"cid":"$$CampaignID","msgs":[{"to":"$$To","text":"$$Body"}]}',
      batch = { key = "msgs", size = 2 }, response = { message_id = ID } }
    local opts = { to = nums(3), body = "Hello ✓", campaign_id = 7 }
    local expected = assert(p:render(opts))
    local report = assert(p:send(opts))
    assert.is_true(report.ok)
    assert.equal(3, report.accepted)
    assert.equal(2, report.requests)
    assert.same({}, report.failed)
    assert.same({}, report.unknown)
    local got = captured("acme")
    assert.equal(2, #got)
    local bodies = { got[1].body, got[2].body }
    table.sort(bodies)
    local want = { expected[1].body, expected[2].body }
    table.sort(want)
    assert.same(want, bodies)
    assert.equal("application/json", got[1].headers["content-type"])
    assert.equal(3, #report.sent)
    for _, s in ipairs(report.sent) do assert.truthy(s.provider_id:match("^acme%-%d+$")) end
    assert.same(nums(3), all_recipients(report))
  end)

  describe("batching edges", function()
    for _, case in ipairs { { 1, 1 }, { 5, 1 }, { 6, 2 } } do
      it(case[1] .. " recipients with size 5 make " .. case[2] .. " request(s)", function()
        local p = provider{ url = url("edge"), json = '[{"to":"$$To","body":"$$Body"}]',
          batch = { array = true, size = 5 } }
        local report = assert(p:send{ to = nums(case[1]), body = "b" })
        assert.equal(case[1], report.accepted)
        assert.equal(case[2], report.requests)
        local n = 0
        for _, r in ipairs(captured("edge")) do n = n + #cjson.decode(r.body) end
        assert.equal(case[1], n)
      end)
    end
  end)

  describe("presets against their providers' success answers", function()
    local cases = {
      { "twilio", { account_sid = "AC1", auth_token = "tok" }, { status = 201, body = { sid = "SM0123abcd" } },
        "SM0123abcd", 2 },
      { "plivo", { auth_id = "MA1", auth_token = "tok", sender = "1415" },
        { status = 202, body = { message = "message(s) queued", message_uuid = { "u-1", "u-2" } } }, "u-1", 1 },
      { "msg91", { authkey = "k" }, { status = 200, body = { type = "success", message = "req-9" } }, "req-9", 1 },
      { "exotel", { sid = "s", api_key = "k", api_token = "t" },
        { status = 200, body = { SMSMessages = { { Sid = "ex-1" } } } }, "ex-1", 1 },
      { "bulksms", { username = "u", password = "p" }, { status = 201, body = { { id = "b-1" }, { id = "b-2" } } },
        "b-1", 1 },
      { "textlocal", { apikey = "k" }, { status = 200, body = { status = "success", batch_id = 1 } }, nil, 1 },
    }
    for _, case in ipairs(cases) do
      local name, settings, answer, id, nreq = case[1], case[2], case[3], case[4], case[5]
      it(name, function()
        sandbox.provider(name, answer)
        settings.base_url = sandbox.root() .. "/provider/" .. name
        local p = assert(sms.provider(sms.presets[name](settings)))
        local report = assert(p:send{ to = { "+911", "+912" }, body = "hi", template_id = "T", sender = "S" })
        assert.is_true(report.ok)
        assert.equal(2, report.accepted)
        assert.equal(nreq, report.requests)
        assert.equal(nreq, #captured(name))
        assert.equal(id, report.sent[1].provider_id)
      end)
    end
  end)

  it("sends GET with the values in the query string", function()
    local p = provider{ method = "GET", url = url("getter", "/sms?user=ct"),
      params = { { "to", "$$To" }, { "text", "$$Body" } } }
    local body = "नमस्ते & 100% = ok?"
    local report = assert(p:send{ to = { "+911" }, body = body })
    assert.is_true(report.ok)
    local r = captured("getter")[1]
    assert.equal("GET", r.method)
    assert.equal("ct", r.args.user)
    assert.equal("+911", r.args.to)
    assert.equal(body, r.args.text)
  end)

  it("sends a form body with same-text recipients joined (Exotel shape)", function()
    local p = provider{ url = url("joiner"), params = { { "To", "$$To" }, { "Body", "$$Body" } },
      batch = { join = ",", size = 2 } }
    local report = assert(p:send{ to = nums(3), body = "Grüße €5" })
    assert.equal(3, report.accepted)
    local got = captured("joiner")
    assert.equal(2, #got)
    local f = form_decode(got[1].body)
    assert.equal("Grüße €5", f.Body)
    local joined = { f.To, form_decode(got[2].body).To }
    table.sort(joined)
    assert.same({ nums(3)[1] .. "," .. nums(3)[2], nums(3)[3] }, joined)
  end)

  it("sends a JSON batch inside a form field (Textlocal shape)", function()
    local p = assert(sms.provider(sms.presets.textlocal{ apikey = "tl-secret-key", sender = "TXTLCL",
      base_url = sandbox.root() .. "/provider/textlocal" }))
    local report = assert(p:send{ to = nums(2), body = "Hi" })
    assert.is_true(report.ok)
    local f = form_decode(captured("textlocal")[1].body)
    local data = cjson.decode(f.data)
    assert.equal(2, #data.messages)
    assert.equal("Hi", data.messages[2].text)
  end)

  it("authenticates with HTTP Basic", function()
    sandbox.provider("basic", { auth = "basic", user = "acct", password = "b4sic-pw" })
    local p = provider{ url = url("basic"), params = { to = "$$To", b = "$$Body" },
      auth = { type = "basic", username = "acct", password = "b4sic-pw" } }
    local report = assert(p:send{ to = { "+1" }, body = "x" })
    assert.is_true(report.ok)
    assert.equal("Basic REDACTED", captured("basic")[1].headers.authorization)
  end)

  it("fails every recipient on a wrong Basic password, without the password in errors", function()
    sandbox.provider("basic2", { auth = "basic", user = "acct", password = "right-pw" })
    local p = provider{ url = url("basic2"), params = { to = "$$To", b = "$$Body" },
      auth = { type = "basic", username = "acct", password = "wrong-pw-123" } }
    local report = assert(p:send{ to = nums(2), body = "x" })
    assert.is_false(report.ok)
    assert.equal(0, report.accepted)
    assert.equal(2, #report.failed)
    local e = report.failed[1].error
    assert.equal(401, e.status)
    assert.falsy(tostring(e):find("wrong-pw-123", 1, true))
  end)

  describe("OAuth2 client credentials", function()
    local function oauth_provider(secret)
      sandbox.provider("oauthp", { auth = "oauth" })
      return provider{ url = url("oauthp"), json = '{"to":"$$To","text":"$$Body"}',
        auth = { type = "oauth2", url = sandbox.root() .. "/provider/oauth/token", client_id = "sandbox-client",
          client_secret = secret or "sandbox-secret", params = { scope = "sms" } } }
    end
    local function token_requests()
      return #sandbox.requests { path = "/provider/oauth/token" }
    end

    it("fetches a token, caches it, and sends with Bearer", function()
      local p = oauth_provider()
      assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
      assert.is_true(assert(p:send{ to = { "+2" }, body = "b" }).ok)
      assert.equal(1, token_requests())
      local tok = sandbox.requests { path = "/provider/oauth/token" }[1]
      local f = form_decode(tok.body)
      assert.equal("client_credentials", f.grant_type)
      assert.equal("sandbox-client", f.client_id)
      assert.equal("sms", f.scope)
      assert.equal("REDACTED", f.client_secret)
      assert.equal("Bearer REDACTED", captured("oauthp")[1].headers.authorization)
    end)

    it("refreshes the token once on 401 and retries", function()
      local p = oauth_provider()
      assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
      sandbox.expire_tokens()
      local report = assert(p:send{ to = { "+2" }, body = "b" })
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      assert.equal(2, token_requests())
    end)

    it("refreshes once for many requests refused with the same expired token", function()
      local p = oauth_provider()
      assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
      sandbox.expire_tokens()
      local report = assert(p:send{ to = nums(3), body = "b" })
      assert.is_true(report.ok)
      assert.equal(3, report.accepted)
      assert.equal(6, report.requests)
      assert.equal(2, token_requests())
    end)

    it("times the token on a monotonic clock, not the wall clock", function()
      local p = oauth_provider()
      assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
      -- the wall clock set a day forward (NTP, a resumed VM): the token
      -- the provider gave for an hour is still good
      local wall = os.time
      local t0 = wall()
      os.time = function(t) return t and wall(t) or t0 + 86400 end -- luacheck: ignore 122
      local ok, report = pcall(p.send, p, { to = { "+2" }, body = "b" })
      os.time = wall -- luacheck: ignore 122
      assert.is_true(ok, report)
      assert.is_true(assert(report).ok)
      assert.equal(1, token_requests())
    end)

    it("does not fetch a token when nothing can be sent", function()
      local p = oauth_provider()
      assert.is_nil(p:send{ to = { "+1" } })
      assert.equal(0, token_requests())
    end)

    it("fails without leaking the secret when the client is refused", function()
      local p = oauth_provider("not-the-secret-42")
      local report, err = p:send{ to = { "+1" }, body = "a" }
      assert.is_nil(report)
      assert.equal(401, err.status)
      assert.truthy(err.message:find("token", 1, true))
      assert.falsy(tostring(err):find("not-the-secret-42", 1, true))
      assert.equal(0, #captured("oauthp"))
    end)
  end)

  describe("provider answers", function()
    it("fails recipients on a body that matches permfail (HTTP 200)", function()
      sandbox.provider("pf", { status = 200, body = { type = "error", message = "invalid number" } })
      local p = provider{ url = url("pf"), json = '{"r":[{"to":"$$To"}],"t":"$$TemplateID"}',
        batch = { key = "r" },
        response = { success = '"type"%s*:%s*"success"', permfail = '"type"%s*:%s*"error"' } }
      local report = assert(p:send{ to = nums(2), template_id = "T" })
      assert.is_false(report.ok)
      assert.equal(0, report.accepted)
      assert.equal(2, #report.failed)
      assert.equal(1, report.requests)
      assert.truthy(report.failed[1].error.message:find("invalid number", 1, true))
    end)

    -- The provider took the request and may have sent the message: like a
    -- CleverTap 200 whose body cannot be read, the outcome is unknown, and
    -- it is not re-sent.
    it("a 200 without the success mark is an unknown outcome, not re-sent", function()
      sandbox.provider("nomark", { status = 200, body = { status = "queued?" } })
      local p = provider{ url = url("nomark"), params = { to = "$$To", b = "$$Body" },
        response = { success = '"status"%s*:%s*"success"' } }
      local report = assert(p:send{ to = { "+1" }, body = "x" })
      assert.is_false(report.ok)
      assert.equal(0, #report.failed)
      assert.equal(1, #report.unknown)
      assert.equal(1, report.requests)
      assert.equal(1, #captured("nomark"))
      assert.equal("http", report.unknown[1].error.kind)
      assert.truthy(report.unknown[1].error.message:find("success mark"))
    end)

    it("a damaged 200 (success mark cut off) is unknown too", function()
      sandbox.provider("cut", { status = 200, body = '{"type":"succ' })
      local p = provider{ url = url("cut"), json = '{"r":[{"to":"$$To"}],"b":"$$Body"}', batch = { key = "r" },
        response = { success = '"type"%s*:%s*"success"', permfail = '"type"%s*:%s*"error"' } }
      local report = assert(p:send{ to = nums(3), body = "x" })
      assert.equal(0, #report.failed)
      assert.equal(3, #report.unknown)
      assert.equal(1, report.requests)
    end)

    it("retries tempfail answers, then gives up", function()
      sandbox.provider("tf", { status = 200, body = { status = "throttled" } })
      local p = provider{ url = url("tf"), params = { to = "$$To", b = "$$Body" },
        response = { tempfail = '"throttled"' } }
      local report = assert(p:send{ to = { "+1" }, body = "x" })
      assert.is_false(report.ok)
      assert.equal(3, report.requests)
      assert.equal(1, #report.failed + #report.unknown)
    end)

    it("retries a tempfail answer and takes the next success", function()
      sandbox.provider("tf2", { responses = {
        { status = 200, body = { status = "throttled" } },
        { status = 200, body = { status = "success", id = "P-1" } },
      } })
      local p = provider{ url = url("tf2"), params = { to = "$$To", b = "$$Body" },
        response = { tempfail = '"throttled"', success = '"success"', message_id = '"id"%s*:%s*"([^"]+)"' } }
      local report = assert(p:send{ to = { "+1" }, body = "x" })
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      assert.same({ { to = "+1", provider_id = "P-1" } }, report.sent)
    end)

    it("accounts per request when answers differ within one send", function()
      sandbox.provider("mixed", { responses = {
        { status = 200, body = { type = "success", message = "R1" } },
        { status = 200, body = { type = "error", message = "bad template" } },
      } })
      local p = provider{ url = url("mixed"), json = '{"t":"$$TemplateID","r":[{"m":"$$To"}]}',
        batch = { key = "r", size = 2 }, http = { concurrency = 1, retry = FAST.retry },
        response = { success = '"type"%s*:%s*"success"', permfail = '"type"%s*:%s*"error"',
          message_id = '"message"%s*:%s*"([^"]+)"' } }
      local report = assert(p:send{ to = nums(4), template_id = "T" })
      assert.is_false(report.ok)
      assert.equal(2, report.accepted)
      assert.same({ nums(4)[1], nums(4)[2] }, { report.sent[1].to, report.sent[2].to })
      assert.equal("R1", report.sent[1].provider_id)
      assert.same({ nums(4)[3], nums(4)[4] }, { report.failed[1].to, report.failed[2].to })
      assert.truthy(report.failed[1].error.message:find("bad template", 1, true))
      assert.same(nums(4), all_recipients(report))
    end)

    it("fails on HTTP 400 and keeps the provider's text, redacting secrets", function()
      sandbox.provider("bad", { status = 400, body = "bad key key-SECRET-9 for +1" })
      local p = provider{ url = url("bad"), params = { to = "$$To", b = "$$Body", key = "key-SECRET-9" },
        secrets = { "key-SECRET-9" } }
      local report = assert(p:send{ to = { "+1" }, body = "x" })
      local e = report.failed[1].error
      assert.equal(400, e.status)
      assert.truthy(e.message:find("bad key *** for +1", 1, true))
      assert.falsy(tostring(e):find("SECRET", 1, true))
    end)

    it("retries 503 and succeeds", function()
      sandbox.faults { { path = "/provider/flaky/*", fault = "503", count = 1 } }
      local p = provider{ url = url("flaky"), params = { to = "$$To", b = "$$Body" } }
      local report = assert(p:send{ to = { "+1" }, body = "x" })
      assert.is_true(report.ok)
      assert.equal(2, report.requests)
      assert.equal(2, #captured("flaky"))
    end)

    it("puts recipients of a 500 answer in unknown, never re-sent", function()
      sandbox.faults { { path = "/provider/boom/*", fault = "500-89", count = 1 } }
      local p = provider{ url = url("boom"), json = '{"m":[{"to":"$$To","t":"$$Body"}]}',
        batch = { key = "m", size = 2 } }
      local report = assert(p:send{ to = nums(2), body = "x" })
      assert.is_false(report.ok)
      assert.equal(2, #report.unknown)
      assert.equal(1, report.requests)
      assert.same(nums(2), all_recipients(report))
    end)

    it("puts recipients of a dropped connection in unknown", function()
      sandbox.faults { { path = "/provider/drop/*", fault = "drop", count = 1 } }
      local p = provider{ url = url("drop"), params = { to = "$$To", b = "$$Body" } }
      local report = assert(p:send{ to = nums(2), body = "x" })
      assert.equal(1, #report.unknown)
      assert.equal(1, #report.sent)
      assert.equal(2, report.requests)
      assert.same(nums(2), all_recipients(report))
    end)
  end)

  it("redacts secrets in raw, URL, form and JSON forms", function()
    local redact = require("clevertap.sms.errors").redact
    local secret = 'p@ss w/"x"'
    local text = "a " .. secret .. " b p%40ss%20w%2F%22x%22 c p%40ss+w%2F%22x%22 d p@ss w/\"x\" e"
    assert.equal("a *** b *** c *** d *** e", redact(text, { secret }))
    -- too short to hide without hiding the message
    assert.equal("a p b", redact("a p b", { "p" }))
  end)

  it("keeps secrets out of network errors", function()
    local p = provider{ method = "GET", url = "http://127.0.0.1:1/sms?apikey=K3Y-s3cret",
      params = { to = "$$To", b = "$$Body" }, secrets = { "K3Y-s3cret" } }
    local report = assert(p:send{ to = { "+1" }, body = "x" })
    assert.is_false(report.ok)
    local e = (report.failed[1] or report.unknown[1]).error
    assert.equal("network", e.kind)
    assert.falsy(tostring(e):find("K3Y", 1, true))
  end)

  it("uses a given runner (left open) and reports progress", function()
    local runner = require("clevertap.http").new(FAST)
    local p = provider{ url = url("shared"), params = { to = "$$To", b = "$$Body" } }
    local seen = 0
    for _ = 1, 2 do
      local report = assert(p:send{ to = nums(2), body = "x", runner = runner,
        on_progress = function() seen = seen + 1 end })
      assert.is_true(report.ok)
    end
    assert.equal(4, #captured("shared"))
    assert.is_true(seen > 0)
    runner:close()
  end)

  it("keeps what a raising on_progress or logger raised in report.callback_errors; every recipient sent", function()
    sandbox.provider("tf3", { status = 200, body = { status = "throttled" } })
    local p = provider{ url = url("tf3"), params = { to = "$$To", b = "$$Body" },
      response = { tempfail = '"throttled"' } }
    local boom = { why = "logger" }
    local report = assert(p:send{ to = nums(3), body = "x",
      on_progress = function() error("progress broke") end,
      logger = function() error(boom) end })
    assert.equal(3, #report.failed + #report.unknown)
    local by = {}
    for _, e in ipairs(assert(report.callback_errors, "no callback_errors")) do by[e.callback] = e end
    assert.matches("progress broke", by.on_progress.message, 1, true)
    assert.equal(boom, by.logger.cause)
    assert.equal(0, report.callback_errors.dropped)
  end)

  it("raises on misuse of send options", function()
    local p = provider{ url = url("x"), params = { to = "$$To", b = "$$Body" } }
    assert.has_error(function() p:send("x") end)
    assert.has_error(function() p:send{ to = { "+1" }, body = "b", runner = 5 } end)
    assert.has_error(function() p:send{ to = { "+1" }, body = "b", nope = 1 } end)
  end)

  it("does not send when rendering fails", function()
    local p = provider{ url = url("never"), params = { to = "$$To", t = "$$TemplateID" } }
    local report, err = p:send{ to = { "+1" } }
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.equal(0, #captured("never"))
  end)
end)
