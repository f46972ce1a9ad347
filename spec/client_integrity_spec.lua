-- What clevertap.new and clevertap.http refuse before anything is sent:
-- base URLs that hide where the passcode goes, credentials cut short by a NUL,
-- a CA file that cannot be read, methods that are not HTTP tokens.
local clevertap = require "clevertap"
local http = require "clevertap.http"

local function new(extra)
  local o = { account_id = "ACC", passcode = "PASSCODE-SECRET" }
  for k, v in pairs(extra) do o[k] = v end
  return clevertap.new(o)
end

describe("clevertap.new base_url", function()
  local refused = {
    ["http://u:p@127.0.0.1:9/1"] = "userinfo",
    ["http://127.0.0.1:9@127.0.0.2:9/1"] = "userinfo",
    ["http://:p@127.0.0.1:9/1"] = "userinfo",
    ["http://127.0.0.1:9/1?x="] = "query",
    ["http://127.0.0.1:9/1?"] = "query",
    ["http://127.0.0.1:9/1#frag"] = "fragment",
    ["http://"] = "not a valid URL",
    ["http://127.0.0.1:99999/1"] = "not a valid URL",
    ["ftp://127.0.0.1/1"] = "http:// or https://",
    ["http://127.0.0.1:9/a b"] = "spaces",
  }
  for url, why in pairs(refused) do
    it("refuses " .. url, function()
      local c, err = new { base_url = url }
      assert.is_nil(c)
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find("base_url", 1, true), err.message)
      assert.truthy(err.message:find(why, 1, true), err.message)
      assert.falsy(tostring(err):find("PASSCODE-SECRET", 1, true))
    end)
  end

  it("keeps a base URL of any length whole (no silent truncation)", function()
    local url = "http://127.0.0.1:9/" .. ("p"):rep(2000)
    local c = assert(new { base_url = url .. "/" })
    assert.equal(url, c:info().base_url)
    c:close()
  end)

  it("accepts a host with a port and a path", function()
    local c = assert(new { base_url = "https://localhost:8443/1" })
    assert.equal("https://localhost:8443/1", c:info().base_url)
    c:close()
  end)
end)

describe("clevertap.new credentials and files", function()
  for _, name in ipairs { "account_id", "passcode" } do
    it("refuses a NUL in " .. name, function()
      local c, err = new { [name] = "abc\0def" }
      assert.is_nil(c)
      assert.truthy(err.message:find(name .. ": must not contain a NUL byte", 1, true), err.message)
      assert.falsy(tostring(err):find("abc", 1, true))
    end)
  end

  it("refuses a ca_file that cannot be read, before any request", function()
    local c, err = new { base_url = "https://127.0.0.1:9/1", ca_file = "/nonexistent/ca.pem" }
    assert.is_nil(c)
    assert.equal("validation", err.kind)
    assert.truthy(err.message:find("ca_file: cannot read '/nonexistent/ca.pem'", 1, true), err.message)
  end)
end)

describe("clevertap.http methods", function()
  it("refuses a method that is not an RFC 9110 token, sending nothing", function()
    local sent = 0
    local runner = http.new { transport = function() sent = sent + 1; return { status = 200, body = "" } end }
    for _, m in ipairs { "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\nPOST", "GE T", "POST\n", "" } do
      local report, err = runner:run { { method = m, url = "http://127.0.0.1:9/x", body = "" } }
      assert.is_nil(report)
      assert.equal("validation", err.kind)
      assert.equal("/0/method", err.errors[1].pointer)
    end
    local report = assert(runner:run { { method = "PATCH", url = "http://127.0.0.1:9/x", body = "" } })
    assert.is_true(report.ok)
    runner:close()
    assert.equal(1, sent)
  end)
end)

describe("a server echoing the passcode", function()
  local cjson = require "cjson"
  local secret = "PASSCODE-SECRET"
  -- every JSON spelling of the passcode a server may use
  local function spellings()
    local all_u = secret:gsub(".", function(c) return ("\\u%04x"):format(c:byte()) end)
    return { secret, "\\u0050ASSCODE-SECRET", all_u, "PASSCODE\\u002dSECRET" }
  end
  local function leaked(text)
    return text:find("PASSC", 1, true) or text:find("SECRET", 1, true)
  end

  it("never reaches err.message, tostring(err) or err.body, at any offset and in any escape", function()
    for _, spelled in ipairs(spellings()) do
      for _, off in ipairs { 0, 1, 100, 200, 225, 230, 235, 240, 245, 250, 300 } do
        local body = ('{"status":"fail","code":1,"error":"%s%s tail"}'):format(("x"):rep(off), spelled)
        local c = assert(clevertap.new { account_id = "ACC", passcode = secret,
          base_url = "http://127.0.0.1:9/1", retry = { attempts = 1 },
          transport = function() return { status = 400, body = body } end })
        local ok, err = c:stop(1700000001)
        c:close()
        assert.is_nil(ok)
        local shown = tostring(err) .. "\n" .. err.message .. "\n" .. cjson.encode(err.body or {})
        assert.falsy(leaked(shown), ("offset %d, %s: %s"):format(off, spelled, shown:sub(1, 400)))
      end
    end
  end)
end)

describe("identity tables", function()
  -- a client whose transport counts what would be sent
  local function client(sent)
    return assert(clevertap.new { account_id = "ACC", passcode = "PASSCODE-SECRET",
      base_url = "http://127.0.0.1:9/1", retry = { attempts = 1 },
      transport = function(req)
        sent[#sent + 1] = require("cjson").decode(req.body).to
        return { status = 200, body = '{"status":"success"}' }
      end })
  end
  local content = { title = "t", body = "b" }

  it("a proxy `to` is read as batching reads it (raw): nothing to send is an error, not ok = true", function()
    local sent = {}
    local c = client(sent)
    local to = setmetatable({}, { __index = { Identity = { "a", "b" } } })
    local report, err = c:send("push", { content = content, to = to })
    c:close()
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.matches("at least one identity is required", err.message)
    assert.matches("metatable is not used", err.message)
    assert.equal(0, #sent)
  end)

  it("an array with holes is refused on every interpreter, naming its entries and length", function()
    local sent = {}
    local c = client(sent)
    local report, err = c:send("push", { content = content, to = { Identity = { "a", nil, "b" } } })
    c:close()
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.equal("/to/Identity", err.errors[1].pointer)
    assert.matches("keys 1..n without holes", err.errors[1].message)
    assert.equal(0, #sent)
  end)

  it("an array with a stray key beside 1..n is refused", function()
    local sent = {}
    local c = client(sent)
    local ids = { "a", "b" }
    ids.extra = "c"
    local _, err = c:send("push", { content = content, to = { Identity = ids } })
    c:close()
    assert.matches("3 entries for a length of 2", err.errors[1].message)
    assert.equal(0, #sent)
  end)

  it("an array with methods in its metatable (a list class) is sent as its entries", function()
    local sent = {}
    local c = client(sent)
    local List = {}
    List.__index = List
    function List:size() return #self end
    local report = assert(c:send("push", { content = content, to = { Identity = setmetatable({ "a", "b" }, List) } }))
    c:close()
    assert.equal(2, report.accepted)
    assert.same({ Identity = { "a", "b" } }, sent[1])
  end)
end)

describe("identity type names", function()
  it("an unknown type's pointer names the key exactly, NUL, '/' and '~' included", function()
    local c = assert(clevertap.new { account_id = "ACC", passcode = "PASSCODE-SECRET",
      base_url = "http://127.0.0.1:9/1", transport = function() error("nothing is sent") end })
    for key, pointer in pairs { ["Identity\0x"] = "/to/Identity\0x", ["a/b~c"] = "/to/a~1b~0c" } do
      local _, err = c:send("push", { content = { title = "t", body = "b" }, to = { [key] = { "u" } } })
      assert.equal("validation", err.kind)
      local found
      for _, p in ipairs(err.errors) do if p.pointer == pointer then found = p end end
      assert.truthy(found, key)
      assert.matches("unknown identity type", found.message)
    end
    c:close()
  end)
end)
