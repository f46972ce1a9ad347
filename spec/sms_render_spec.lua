-- provider:render: exact requests, escaping per position, batching shapes,
-- placeholders, message facts. Pure: no network.
local sms = require "clevertap.sms"
local cjson = require "cjson"

local REFERENCE = require "fixtures.sms_reference"

local function provider(def) return assert(sms.provider(def)) end

describe("provider:render", function()
  it("renders the reference's batching example: globals once, one record per recipient", function()
    local p = provider{ url = "https://sms.example.test/v1/send", json = REFERENCE, batch = { key = "msgs", size = 2 } }
    local reqs = assert(p:render{
      to = { { to = "+919800000001", values = { uid = "u-1" }, template_variables = { "Asha", 3 } },
             { to = "+919800000002", values = { uid = "u-2" } },
             "+919800000003" },
      template_id = "T-77", campaign_id = 1700000000123, values = { hid = "H1", uid = "u-default" },
      template_variables = { name = "friend" },
    })
    assert.equal(2, #reqs)
    assert.equal("POST", reqs[1].method)
    assert.equal("https://sms.example.test/v1/send", reqs[1].url)
    assert.equal("application/json", reqs[1].headers["Content-Type"])
    assert.equal('{"hid":"H1","tid":"T-77","cid":1700000000123,"type":"template","msgs":['
      .. '{"seq":1,"to":"+919800000001","uid":"u-1","variables":["Asha",3],"enc":"utf8"},'
      .. '{"seq":1,"to":"+919800000002","uid":"u-2","variables":{"name":"friend"},"enc":"utf8"}]}', reqs[1].body)
    assert.equal('{"hid":"H1","tid":"T-77","cid":1700000000123,"type":"template","msgs":['
      .. '{"seq":1,"to":"+919800000003","uid":"u-default","variables":{"name":"friend"},"enc":"utf8"}]}', reqs[2].body)
    assert.same({ "+919800000001", "+919800000002" }, reqs[1].to)
    assert.same({ "+919800000003" }, reqs[2].to)
    -- the body is valid JSON
    assert.equal(2, #cjson.decode(reqs[1].body).msgs)
  end)

  it("takes a JSON template written as a Lua table (keys sorted)", function()
    local p = provider{ url = "https://x.test/",
      json = { msgs = { { to = "$$To", text = "$$Body" } }, cid = "$$CampaignID" }, batch = { key = "msgs" } }
    local r = assert(p:render{ to = { "+1", "+2" }, body = "hi", campaign_id = 5 })[1]
    assert.equal('{"cid":5,"msgs":[{"text":"hi","to":"+1"},{"text":"hi","to":"+2"}]}', r.body)
    local f = provider{ url = "https://x.test/",
      params = { { "k", "1" }, { "data", { json = { { n = "$$To", t = "$$Body" } } } } }, batch = { array = true } }
    r = assert(f:render{ to = { "+1" }, body = "hi" })[1]
    assert.equal("k=1&data=%5B%7B%22n%22%3A%22%2B1%22%2C%22t%22%3A%22hi%22%7D%5D", r.body)
  end)

  it("without batching sends one request per recipient, everything personalisable", function()
    local p = provider{ url = "https://sms.example.test/v1/send", json = [[{"hid":"$$hid","to":"$$To","t":"$$Body"}]] }
    local reqs = assert(p:render{ to = { "+1", { to = "+2", values = { hid = "own" }, body = "mine" } },
      body = "all", values = { hid = "camp" } })
    assert.equal(2, #reqs)
    assert.equal('{"hid":"camp","to":"+1","t":"all"}', reqs[1].body)
    assert.equal('{"hid":"own","to":"+2","t":"mine"}', reqs[2].body)
  end)

  describe("batching edges", function()
    local p = provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}',
      batch = { key = "m", size = 3 } }
    local function nums(n) local t = {} for i = 1, n do t[i] = "+1" .. i end return t end
    for _, case in ipairs { { 1, { 1 } }, { 3, { 3 } }, { 4, { 3, 1 } }, { 7, { 3, 3, 1 } } } do
      it(case[1] .. " recipients with size 3", function()
        local reqs = assert(p:render{ to = nums(case[1]), body = "b" })
        assert.equal(#case[2], #reqs)
        for i, n in ipairs(case[2]) do
          assert.equal(n, #cjson.decode(reqs[i].body).m)
          assert.equal(n, #reqs[i].to)
        end
      end)
    end
    it("1000 per request by default; 1001 recipients make two", function()
      local q = provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}', batch = { key = "m" } }
      local reqs = assert(q:render{ to = nums(1001), body = "b" })
      assert.equal(2, #reqs)
      assert.equal(1000, #cjson.decode(reqs[1].body).m)
      assert.equal(1, #cjson.decode(reqs[2].body).m)
      reqs = assert(q:render{ to = nums(1000), body = "b" })
      assert.equal(1, #reqs)
    end)
    it("batch_size lowers the size for one render, never raises it", function()
      local reqs = assert(p:render{ to = nums(4), body = "b", batch_size = 2 })
      assert.equal(2, #reqs)
      reqs = assert(p:render{ to = nums(4), body = "b", batch_size = 50 })
      assert.equal(2, #reqs)
    end)
    it("no recipients, no requests", function()
      assert.same({}, assert(p:render{ to = {}, body = "b" }))
    end)
  end)

  it("renders a top-level array body (BulkSMS shape)", function()
    local p = provider{ url = "https://x.test/m", json = '[{"to":"$$To","body":"$$Body"}]', batch = { array = true } }
    local reqs = assert(p:render{ to = { "+1", "+2" }, body = "hi" })
    assert.equal('[{"to":"+1","body":"hi"},{"to":"+2","body":"hi"}]', reqs[1].body)
  end)

  it("renders a JSON batch inside one form field (Textlocal shape)", function()
    local p = provider{ url = "https://x.test/bulk", params = { { "apikey", "k" },
      { "data", { json = '{"sender":"S","messages":[{"number":"$$To","text":"$$Body"}]}' } } },
      batch = { key = "messages" } }
    local reqs = assert(p:render{ to = { "+1", "+2" }, body = "a b&c" })
    assert.equal("application/x-www-form-urlencoded", reqs[1].headers["Content-Type"])
    -- decode the form value: it is the JSON batch, with the body JSON- then form-encoded
    local data = reqs[1].body:match("^apikey=k&data=(.*)$")
    local decoded = data:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    assert.equal('{"sender":"S","messages":[{"number":"+1","text":"a b&c"},{"number":"+2","text":"a b&c"}]}', decoded)
    assert.falsy(data:find("[,&\"{]"))
  end)

  it("joins recipients into one field (Plivo '<' in JSON, ',' in a form)", function()
    local p = provider{ url = "https://x.test/", json = '{"dst":"$$To","text":"$$Body"}',
      batch = { join = "<", size = 2 } }
    local reqs = assert(p:render{ to = { "+1", "+2", "+3" }, body = "x" })
    assert.equal('{"dst":"+1<+2","text":"x"}', reqs[1].body)
    assert.equal('{"dst":"+3","text":"x"}', reqs[2].body)
    local f = provider{ url = "https://x.test/", params = { { "To", "$$To" }, { "Body", "$$Body" } },
      batch = { join = "," } }
    reqs = assert(f:render{ to = { "+1", "+2" }, body = "x y" })
    assert.equal("To=%2B1%2C%2B2&Body=x+y", reqs[1].body)
  end)

  it("joins numbers in a GET query value, refusing numbers that hold the separator", function()
    local p = provider{ method = "GET", url = "https://x.test/send", params = { { "dst", "$$To" }, { "t", "$$Body" } },
      batch = { join = "<" } }
    assert.equal("https://x.test/send?dst=%2B1%3C%2B2&t=a%20b",
      assert(p:render{ to = { "+1", "+2" }, body = "a b" })[1].url)
    local reqs, err = p:render{ to = { "+1", "+2<+3" }, body = "x" }
    assert.is_nil(reqs)
    assert.truthy(err.message:find("recipient 2 (+2<+3): the number contains the join separator", 1, true))
  end)

  it("refuses personal values where one value per request is used", function()
    local p = provider{ url = "https://x.test/", json = '{"dst":"$$To","text":"$$Body"}', batch = { join = "," } }
    local reqs, err = p:render{ to = { "+1", { to = "+2", body = "own" } }, body = "x" }
    assert.is_nil(reqs)
    assert.truthy(err.message:find("recipient 2 %(%+2%) gives its own body"))
    local q = provider{ url = "https://x.test/", json = REFERENCE, batch = { key = "msgs" } }
    reqs, err = q:render{ to = { { to = "+1", values = { hid = "mine", uid = "u" } } },
      template_id = "T", campaign_id = 1,
      values = { hid = "H" }, template_variables = {} }
    assert.is_nil(reqs)
    assert.truthy(err.message:find("%$%$hid is campaign%-level"))
  end)

  describe("escaping per position", function()
    local nasty = 'a "q" \\ & = + / ? # % é\n€'
    it("inside a JSON string and as a whole JSON value", function()
      local p = provider{ url = "https://x.test/", json = '{"to":"$$To","t":"Say: $$Body!","raw":"$$Body"}' }
      local r = assert(p:render{ to = { "+1" }, body = nasty })[1]
      local doc = cjson.decode(r.body)
      assert.equal("Say: " .. nasty .. "!", doc.t)
      assert.equal(nasty, doc.raw)
      assert.truthy(r.body:find('\\"q\\" \\\\ & = + / ? # % é\\n€', 1, true))
    end)
    it("in a form body (space as +, everything else reserved as %XX)", function()
      local p = provider{ url = "https://x.test/", params = { { "to", "$$To" }, { "msg text", "Hi $$Body" } } }
      local r = assert(p:render{ to = { "+1" }, body = nasty })[1]
      assert.equal("to=%2B1&msg+text=Hi+a+%22q%22+%5C+%26+%3D+%2B+%2F+%3F+%23+%25+%C3%A9%0A%E2%82%AC", r.body)
    end)
    it("in a GET query string (space as %20), after the URL's own query", function()
      local p = provider{ method = "GET", url = "https://x.test/api?user=u",
        params = { { "to", "$$To" }, { "text", "$$Body" } } }
      local r = assert(p:render{ to = { "+1" }, body = nasty })[1]
      assert.equal("https://x.test/api?user=u&to=%2B1&text="
        .. "a%20%22q%22%20%5C%20%26%20%3D%20%2B%20%2F%20%3F%20%23%20%25%20"
        .. "%C3%A9%0A%E2%82%AC", r.url)
      assert.is_nil(r.body)
      assert.is_nil(r.headers["Content-Type"])
      p = provider{ method = "GET", url = "https://x.test/api", params = { to = "$$To", text = "$$Body" } }
      assert.equal("https://x.test/api?text=hi&to=%2B1", assert(p:render{ to = { "+1" }, body = "hi" })[1].url)
    end)
    it("in the URL path", function()
      local p = provider{ url = "https://x.test/send/$$To/$$Body" }
      local r = assert(p:render{ to = { "+1 2" }, body = "a/b" })[1]
      assert.equal("https://x.test/send/%2B1%202/a%2Fb", r.url)
    end)
    it("in headers, refusing CR/LF in values", function()
      local p = provider{ url = "https://x.test/", headers = { ["X-To"] = "tel:$$To" }, params = { b = "$$Body" } }
      local r = assert(p:render{ to = { "+1" }, body = "b" })[1]
      assert.equal("tel:+1", r.headers["X-To"])
      local reqs, err = p:render{ to = { "+1\r\nX-Evil: 1" }, body = "b" }
      assert.is_nil(reqs)
      assert.truthy(err.message:find("CR or LF"))
    end)
  end)

  it("lets a whole JSON string placeholder take numbers, booleans, arrays and objects", function()
    local p = provider{ url = "https://x.test/",
      json = '{"to":"$$To","n":"$$n","f":"$$f","b":"$$b","a":"$$a","o":"$$o",'
      .. '"s":"$$TemplateID"}' }
    local r = assert(p:render{ to = { 919800000001 }, template_id = "T",
      values = { n = 12345678901234, f = 1.5, b = true, a = { 1, "x" }, o = { k = { 1 } } } })[1]
    assert.equal('{"to":919800000001,"n":12345678901234,"f":1.5,"b":true,"a":[1,"x"],"o":{"k":[1]},"s":"T"}', r.body)
  end)

  it("writes tables as JSON text in text positions", function()
    local p = provider{ url = "https://x.test/", params = { { "To", "$$To" }, { "Vars", "$$TemplateVariables" },
      { "Sid", "$$TemplateID" } } }
    local r = assert(p:render{ to = { "+1" }, template_id = "HX1", template_variables = { ["1"] = "12/1" } })[1]
    assert.equal("To=%2B1&Vars=%7B%221%22%3A%2212%2F1%22%7D&Sid=HX1", r.body)
  end)

  it("fills $$CampaignID, $$Sender and unique $$MessageID", function()
    local p = provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","id":"$$MessageID","b":"$$Body"}],'
      .. '"c":"$$CampaignID","s":"$$Sender"}', batch = { key = "m", size = 2 } }
    local reqs = assert(p:render{ to = { "+1", "+2", { to = "+3", message_id = "given" } }, body = "b",
      campaign_id = 42, sender = "ACME", message_id_prefix = "run7" })
    assert.equal('{"m":[{"to":"+1","id":"run7-1","b":"b"},{"to":"+2","id":"run7-2","b":"b"}],"c":42,"s":"ACME"}',
      reqs[1].body)
    assert.equal('{"m":[{"to":"+3","id":"given","b":"b"}],"c":42,"s":"ACME"}', reqs[2].body)
    assert.same({ "run7-1", "run7-2" }, reqs[1].message_ids)
    assert.same({ to = "+3", message_id = "given", encoding = "GSM-7", units = 1, characters = 1, segments = 1 },
      reqs[2].messages[1])
    -- default ids are unique within and across renders
    local seen = {}
    for _ = 1, 3 do
      for _, r in ipairs(assert(p:render{ to = { "+1", "+2" }, body = "b", campaign_id = 1, sender = "S" })) do
        for _, id in ipairs(r.message_ids) do
          assert.is_nil(seen[id])
          seen[id] = true
        end
      end
    end
  end)

  it("reports every placeholder with no value at render time", function()
    local p = provider{ url = "https://x.test/",
      json = '{"to":"$$To","t":"$$TemplateID","u":"$$uid","c":"$$CampaignID"}' }
    local reqs, err = p:render{ to = { "+1", { to = "+2", values = { uid = "x" } } } }
    assert.is_nil(reqs)
    assert.equal("validation", err.kind)
    local msgs = tostring(err.errors)
    assert.truthy(msgs:find("$$TemplateID (in body) has no value for recipient 1 (+1)", 1, true))
    assert.truthy(msgs:find("$$uid (in body) has no value for recipient 1 (+1)", 1, true))
    assert.truthy(msgs:find("$$CampaignID (in body) has no value for recipient 2 (+2)", 1, true))
    assert.falsy(msgs:find("$$uid (in body) has no value for recipient 2", 1, true))
  end)

  it("adds auth headers: Basic, and Bearer once a token is known", function()
    local p = provider{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "basic", username = "Aladdin", password = "open sesame" } }
    assert.equal("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
      assert(p:render{ to = { "+1" }, body = "b" })[1].headers.Authorization)
    local o = provider{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "oauth2", url = "https://auth.test/token", client_id = "id", client_secret = "sec" } }
    local r = assert(o:render{ to = { "+1" }, body = "b" })[1]
    assert.is_nil(r.headers.Authorization)
    assert.equal("oauth2", r.auth)
    assert.equal("Bearer tok", assert(o:render{ to = { "+1" }, body = "b", token = "tok" })[1].headers.Authorization)
  end)

  it("keeps the user's Content-Type and adds extra headers", function()
    local p = provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}',
      headers = { ["Content-Type"] = "application/vnd.acme+json", Accept = "application/json" } }
    local r = assert(p:render{ to = { "+1" }, body = "b" })[1]
    assert.equal("application/vnd.acme+json", r.headers["Content-Type"])
    assert.equal("application/json", r.headers.Accept)
    local n = 0
    for k in pairs(r.headers) do if k:lower() == "content-type" then n = n + 1 end end
    assert.equal(1, n) -- no second Content-Type
    assert.equal("application/vnd.acme+json", r.headers["content-type"]) -- names are case-insensitive
  end)

  it("reports encoding and segments per message", function()
    local p = provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}', batch = { key = "m" } }
    local r = assert(p:render{
      to = { "+1", { to = "+2", body = "नमस्ते" }, { to = "+3", body = string.rep("a", 161) } },
      body = "Hi {you}" })[1]
    assert.same({ encoding = "GSM-7", units = 10, characters = 8, segments = 1 }, r.facts[1])
    assert.same({ encoding = "UCS-2", units = 6, characters = 6, segments = 1 }, r.facts[2])
    assert.same({ encoding = "GSM-7", units = 161, characters = 161, segments = 2 }, r.facts[3])
    assert.same({ to = "+2", encoding = "UCS-2", units = 6, characters = 6, segments = 1 }, r.messages[2])
    assert.equal(3, #r.messages)
  end)

  it("refuses bodies that are not UTF-8", function()
    local p = provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' }
    local reqs, err = p:render{ to = { "+1" }, body = "bad \255" }
    assert.is_nil(reqs)
    assert.truthy(err.message:find("UTF%-8"))
  end)

  it("is pure: the same input renders the same bytes", function()
    local p = provider{ url = "https://x.test/", json = REFERENCE, batch = { key = "msgs" } }
    local opts = { to = { { to = "+1", values = { uid = "u" } } }, template_id = "T", campaign_id = 1,
      values = { hid = "h" }, template_variables = { b = 2, a = 1 } }
    assert.same(p:render(opts), p:render(opts))
  end)

  it("raises on misuse of render options", function()
    local p = provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' }
    assert.has_error(function() p:render{ to = { "+1" }, bodyy = "x" } end)
    assert.has_error(function() p:render{ body = "x" } end)
    assert.has_error(function() p:render{ to = { true } } end)
    assert.has_error(function() p:render{ to = { { number = "+1" } } } end)
    assert.has_error(function() p:render{ to = { "+1" }, body = 5 } end)
  end)

  -- One problem, one message, readable: each case below gave two or three.
  local function problems_of(p, opts)
    local reqs, err = p:render(opts)
    assert.is_nil(reqs)
    assert.equal("validation", err.kind)
    return err.errors, err
  end

  it("checks a custom value in a header for UTF-8, like every other position", function()
    local p = provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}',
      headers = { { "X-Key", "$$apikey" } } }
    local list = problems_of(p, { to = { "+1" }, body = "b", values = { apikey = "k\255ey" } })
    assert.equal(1, #list)
    assert.equal("$$apikey (in headers.X-Key) for recipient 1 (+1): cannot use a string that is not valid UTF-8",
      list[1].message)
    list = problems_of(p, { to = { "+1" }, body = "b", values = { apikey = "k\ney" } })
    assert.equal(1, #list)
    assert.truthy(list[1].message:find("cannot use a value with CR or LF", 1, true))
  end)

  it("reports an invalid body or number once, and the message stays UTF-8", function()
    local p = provider{ url = "https://x.test/", params = { { "to", "$$To" }, { "b", "$$Body" } } }
    local list = problems_of(p, { to = { "+1" }, body = "b\255" })
    assert.equal(1, #list)
    assert.equal("body is not valid UTF-8", list[1].message)
    list = problems_of(p, { to = { "+1\255" }, body = "b" })
    assert.equal(1, #list)
    assert.equal("recipient 1 (+1\\xFF): the number is empty or not valid UTF-8", list[1].message)
    assert.truthy(require("clevertap.sms.escape").valid_utf8(list[1].message))
    local q = provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' }
    list = problems_of(q, { to = { "+1", { to = "+2", body = "\255" } }, body = "b" })
    assert.equal(1, #list)
    assert.equal("/to/1/body", list[1].pointer)
  end)

  it("returns nil, err for a recipient without a number, whatever the batching", function()
    for _, def in ipairs {
      { url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' },
      { url = "https://x.test/", json = '[{"to":"$$To","b":"$$Body"}]', batch = { array = true } },
      { url = "https://x.test/", json = REFERENCE, batch = { key = "msgs" } },
      { url = "https://x.test/", params = { { "to", "$$To" }, { "b", "$$Body" } }, batch = { join = "," } },
    } do
      local list = problems_of(provider(def), { to = { "+1", { body = "x" } }, body = "b", template_id = "T",
        campaign_id = 1, values = { hid = "h", uid = "u" }, template_variables = {} })
      assert.equal("/to/1/to", list[1].pointer)
      assert.equal("recipient 2 has no number (to)", list[1].message)
      for i = 2, #list do assert.falsy(list[i].message:find("$$To", 1, true), list[i].message) end
    end
  end)
end)
