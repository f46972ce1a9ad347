-- Presets: real providers' APIs as plain templates, each rendering the
-- request its public docs describe.
local sms = require "clevertap.sms"
local cjson = require "cjson"

local function render(name, settings, opts)
  local tpl = sms.presets[name](settings)
  assert.equal("table", type(tpl))
  local p = assert(sms.provider(tpl))
  return assert(p:render(opts)), tpl
end

local function basic(user, pass)
  return "Basic " .. require("clevertap.sms.escape").base64(user .. ":" .. pass)
end

describe("sms.presets", function()
  it("twilio: one form POST per recipient with Basic auth", function()
    local reqs = render("twilio",
      { account_sid = "AC0123456789abcdef", auth_token = "tw-token", sender = "+15005550006" },
      { to = { "+14155550100", "+14155550101" }, body = "Hello & welcome" })
    assert.equal(2, #reqs)
    local r = reqs[1]
    assert.equal("POST", r.method)
    assert.equal("https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json", r.url)
    assert.equal("application/x-www-form-urlencoded", r.headers["Content-Type"])
    assert.equal(basic("AC0123456789abcdef", "tw-token"), r.headers.Authorization)
    assert.equal("To=%2B14155550100&From=%2B15005550006&Body=Hello+%26+welcome", r.body)
    assert.equal("To=%2B14155550101&From=%2B15005550006&Body=Hello+%26+welcome", reqs[2].body)
  end)

  it("twilio: content templates carry variables as a JSON form value", function()
    local reqs = render("twilio",
      { account_sid = "AC1", auth_token = "t", messaging_service_sid = "MG9", content = true },
      { to = { "+14155550100" }, template_id = "HX123", template_variables = { ["1"] = "Asha" } })
    assert.equal("To=%2B14155550100&MessagingServiceSid=MG9&ContentSid=HX123"
      .. "&ContentVariables=%7B%221%22%3A%22Asha%22%7D",
      reqs[1].body)
  end)

  it("plivo: destinations joined with '<' in one JSON request", function()
    local reqs = render("plivo", { auth_id = "MAXXXXXXXXXXXXXXXXXX", auth_token = "pl-token", sender = "14155550000" },
      { to = { "14155550100", "14155550101", "14155550102" }, body = "Sale today" })
    assert.equal(1, #reqs)
    assert.equal("https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/", reqs[1].url)
    assert.equal("application/json", reqs[1].headers["Content-Type"])
    assert.equal(basic("MAXXXXXXXXXXXXXXXXXX", "pl-token"), reqs[1].headers.Authorization)
    assert.equal('{"src":"14155550000","dst":"14155550100<14155550101<14155550102","text":"Sale today"}', reqs[1].body)
  end)

  it("msg91: flow template with recipients records, global template id, authkey header", function()
    local reqs = render("msg91", { authkey = "m91-key", variables = { "name", "otp" } },
      { to = { { to = "919800000001", values = { name = "Asha", otp = "1234" } },
               { to = "919800000002", values = { name = "Ravi", otp = "9876" } } },
        template_id = "64f0c0ffee" })
    assert.equal(1, #reqs)
    assert.equal("https://control.msg91.com/api/v5/flow/", reqs[1].url)
    assert.equal("m91-key", reqs[1].headers.authkey)
    assert.equal('{"template_id":"64f0c0ffee","short_url":"0","recipients":['
      .. '{"mobiles":"919800000001","name":"Asha","otp":"1234"},'
      .. '{"mobiles":"919800000002","name":"Ravi","otp":"9876"}]}', reqs[1].body)
  end)

  it("exotel: form POST, numbers joined with ',' in To, DLT ids", function()
    local reqs = render("exotel", { sid = "acme1", api_key = "ex-key", api_token = "ex-token", sender = "ACMEIN",
      dlt_entity_id = "1101" }, { to = { "09800000001", "09800000002" }, body = "Hi there", template_id = "1107" })
    assert.equal(1, #reqs)
    assert.equal("https://api.exotel.com/v1/Accounts/acme1/Sms/bulksend.json", reqs[1].url)
    assert.equal(basic("ex-key", "ex-token"), reqs[1].headers.Authorization)
    assert.equal("From=ACMEIN&To=09800000001%2C09800000002&Body=Hi+there&DltEntityId=1101&DltTemplateId=1107",
      reqs[1].body)
  end)

  it("bulksms: the body is an array of message records", function()
    local reqs = render("bulksms", { username = "bs-user", password = "bs-pass", sender = "ACME" },
      { to = { "+27001234567", "+27001234568" }, body = "Ünïcode ✓" })
    assert.equal(1, #reqs)
    assert.equal("https://api.bulksms.com/v1/messages?auto-unicode=true", reqs[1].url)
    assert.equal(basic("bs-user", "bs-pass"), reqs[1].headers.Authorization)
    assert.equal('[{"to":"+27001234567","body":"Ünïcode ✓","from":"ACME"},'
      .. '{"to":"+27001234568","body":"Ünïcode ✓","from":"ACME"}]', reqs[1].body)
    assert.equal("UCS-2", reqs[1].facts[1].encoding)
  end)

  it("textlocal: a JSON batch inside the form field data", function()
    local reqs = render("textlocal", { apikey = "tl-key", sender = "TXTLCL" },
      { to = { "447700900001", "447700900002" }, body = "Hi" })
    assert.equal(1, #reqs)
    assert.equal("https://api.textlocal.in/bulk_json/", reqs[1].url)
    local key, data = reqs[1].body:match("^apikey=([^&]*)&data=([^&]*)$")
    assert.equal("tl-key", key)
    data = data:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    assert.same({ sender = "TXTLCL", messages = { { number = "447700900001", text = "Hi" },
      { number = "447700900002", text = "Hi" } } }, cjson.decode(data))
  end)

  it("each batching shape appears in some preset", function()
    local shapes = {}
    local settings = {
      twilio = { account_sid = "a", auth_token = "b" }, plivo = { auth_id = "a", auth_token = "b" },
      msg91 = { authkey = "a" }, exotel = { sid = "a", api_key = "b", api_token = "c" },
      bulksms = { username = "a", password = "b" }, textlocal = { apikey = "a" },
    }
    for name, s in pairs(settings) do
      local tpl = sms.presets[name](s)
      local b = tpl.batch
      local shape = not b and "none" or b.key and (tpl.json and "key" or "form json field") or b.array and "array"
        or ("join " .. b.join)
      shapes[shape] = true
    end
    assert.same({ none = true, key = true, array = true, ["form json field"] = true, ["join <"] = true,
      ["join ,"] = true }, shapes)
  end)

  it("raises on missing or mistyped settings", function()
    assert.has_error(function() sms.presets.twilio{ account_sid = "a" } end,
      "clevertap.sms.presets.twilio: auth_token is required")
    assert.has_error(function() sms.presets.plivo{ auth_id = 1, auth_token = "x" } end,
      'clevertap.sms.presets.plivo: option "auth_id" must be a string, got number')
    assert.has_error(function() sms.presets.msg91{ authkey = "k", varz = {} } end,
      'clevertap.sms.presets.msg91: unknown option "varz" (known: authkey, base_url, batch_size, short_url, variables)')
    assert.has_error(function() sms.presets.msg91{ authkey = "k", variables = { "bad name" } } end)
    assert.has_error(function() sms.presets.textlocal{ apikey = "k", region = "fr" } end)
    assert.is_nil(sms.presets.no_such_provider)
  end)
end)
