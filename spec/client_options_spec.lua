-- clevertap.new: options, regions, environment, headers on the wire,
-- User-Agent, CR/LF refusal, passcode redaction, close.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local clevertap = require "clevertap"

local function run_with_env(env, code)
  local interp = os.getenv("CT_LUA") or "lua5.4"
  local prefix = {}
  for k, v in pairs(env) do prefix[#prefix + 1] = k .. "='" .. v .. "'" end
  local unset = "-u CLEVERTAP_ACCOUNT_ID -u CLEVERTAP_PASSCODE -u CLEVERTAP_REGION -u CLEVERTAP_BASE_URL"
  local cmd = ("env " .. unset .. " %s %s -e %q 2>&1"):format(table.concat(prefix, " "), interp, code)
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

describe("clevertap.new", function()
  it("maps regions to their hosts", function()
    local want = {
      eu1 = "https://api.clevertap.com/1", in1 = "https://in1.api.clevertap.com/1",
      sg1 = "https://sg1.api.clevertap.com/1", us1 = "https://us1.api.clevertap.com/1",
      aps3 = "https://aps3.api.clevertap.com/1", mec1 = "https://mec1.api.clevertap.com/1",
    }
    for region, url in pairs(want) do
      local c = assert(clevertap.new { account_id = "a", passcode = "p", region = region })
      assert.equal(url, c:info().base_url)
      c:close()
    end
    local c = assert(clevertap.new { account_id = "a", passcode = "p" })
    assert.equal(want.eu1, c:info().base_url)
    c:close()
  end)

  it("base_url overrides the region; a trailing slash is dropped", function()
    local c = assert(clevertap.new { account_id = "a", passcode = "p", region = "in1",
      base_url = "http://127.0.0.1:9/1/" })
    assert.equal("http://127.0.0.1:9/1", c:info().base_url)
    c:close()
  end)

  it("rejects an unknown region, bad base_url, missing credentials with nil, err", function()
    local c, err = clevertap.new { account_id = "a", passcode = "p", region = "mars1" }
    assert.is_nil(c)
    assert.equal("validation", err.kind)
    assert.matches("region", err.message)
    c, err = clevertap.new { account_id = "a", passcode = "p", base_url = "ftp://x" }
    assert.is_nil(c)
    assert.matches("base_url", err.message)
  end)

  it("raises on unknown option keys and wrong types (misuse)", function()
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", regoin = "in1" } end)
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", timeout = "10" } end)
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", retry = { tries = 3 } } end)
    assert.has_error(function() clevertap.new { account_id = "a", passcode = "p", concurrency = 0 } end)
  end)

  it("refuses header values with CR or LF without echoing the passcode", function()
    local c, err = clevertap.new { account_id = "a\r\nX-Evil: 1", passcode = "p" }
    assert.is_nil(c)
    assert.matches("account_id", err.message)
    c, err = clevertap.new { account_id = "a", passcode = "SECRET\nX: y" }
    assert.is_nil(c)
    assert.matches("passcode", err.message)
    assert.is_nil(tostring(err):find("SECRET", 1, true))
  end)

  it("reads credentials, region and base URL from the environment", function()
    local code = [[local c, e = require("clevertap").new{}
      if not c then print(e.message) else print(c:info().base_url) end]]
    assert.equal("https://sg1.api.clevertap.com/1", run_with_env(
      { CLEVERTAP_ACCOUNT_ID = "a", CLEVERTAP_PASSCODE = "p", CLEVERTAP_REGION = "sg1" }, code))
    assert.equal("http://127.0.0.1:1/1", run_with_env(
      { CLEVERTAP_ACCOUNT_ID = "a", CLEVERTAP_PASSCODE = "p", CLEVERTAP_BASE_URL = "http://127.0.0.1:1/1" }, code))
    assert.matches("account_id", run_with_env({ CLEVERTAP_PASSCODE = "p" }, code))
    assert.matches("passcode", run_with_env({ CLEVERTAP_ACCOUNT_ID = "a" }, code))
    -- a region given in code wins over the environment's base URL
    assert.equal("https://in1.api.clevertap.com/1", run_with_env({ CLEVERTAP_ACCOUNT_ID = "a",
      CLEVERTAP_PASSCODE = "p", CLEVERTAP_BASE_URL = "http://127.0.0.1:1/1" },
      [[print(require("clevertap").new{region="in1"}:info().base_url)]]))
  end)

  it("close is idempotent and calls after close raise", function()
    local c = U.client()
    c:close()
    c:close()
    assert.has_error(function() c:send("push", { to = { Identity = { "a" } }, content = U.content }) end)
  end)
end)

describe("requests on the wire", function()
  before_each(function() sandbox.reset() end)

  it("carry exactly the documented headers and the User-Agent", function()
    local c = U.client()
    assert(c:send("push", { to = { Identity = { "a" } }, content = U.content }))
    c:close()
    local r = U.logged("/1/send/push.json")[1]
    local names = {}
    for k in pairs(r.headers) do names[#names + 1] = k:lower() end
    table.sort(names)
    assert.same({ "content-length", "content-type", "host", "user-agent", "x-clevertap-account-id",
      "x-clevertap-passcode" }, names)
    assert.equal("application/json; charset=utf-8", r.headers["content-type"])
    assert.equal(sandbox.account_id, r.headers["x-clevertap-account-id"])
    assert.matches("^lua%-clevertap/" .. clevertap.version:gsub("%.", "%%.") .. " libcurl/%d", r.headers["user-agent"])
    assert.equal("POST", r.method)
  end)

  it("never put the passcode in errors, even when the server echoes it", function()
    local secret = "TOPSECRET-PASSCODE-42"
    local c = U.client { passcode = secret }
    local report = assert(c:send("push", { to = { Identity = { "a" } }, content = U.content }))
    c:close()
    local err = report.failed[1].error
    assert.is_nil(tostring(err):find(secret, 1, true))
    assert.is_nil(err.message:find(secret, 1, true))
    -- a server that echoes the passcode in its error message
    local ct = U.client {
      passcode = secret,
      transport = function()
        return { status = 400, body = '{"status":"fail","error":"bad passcode ' .. secret .. '","code":1}' }
      end,
    }
    local r2 = assert(ct:send("push", { to = { Identity = { "a" } }, content = U.content }))
    ct:close()
    local e2 = r2.failed[1].error
    assert.equal("api", e2.kind)
    assert.is_nil(e2.message:find(secret, 1, true))
    assert.matches("%*%*%*", e2.message)
  end)
end)

describe("logger", function()
  before_each(function() sandbox.reset() end)

  it("receives retries, give-ups and unknown outcomes, without the passcode", function()
    sandbox.faults {
      { path = "/1/send/push.json", fault = "503", count = 1 },
      { path = "/1/send/push.json", fault = "drop", count = 1 },
    }
    local lines = {}
    local c = U.client { logger = function(level, msg) lines[#lines + 1] = level .. " " .. msg end }
    local report = assert(c:send("push", { to = { Identity = U.ids(10) }, content = U.content }))
    c:close()
    assert.equal(1, #report.unknown)
    local text = table.concat(lines, "\n")
    assert.matches("warn POST http://[^ ]+/send/push.json: HTTP 503: service unavailable; retry 1 of 4", text)
    assert.matches("not re%-sent: outcome unknown", text)
    assert.is_nil(text:find(sandbox.passcode, 1, true))
  end)

  it("must be a function", function()
    assert.has_error(function() U.client { logger = "stderr" } end)
  end)
end)
