-- Acceptance: clevertap.sms as SPEC.md ("Generic SMS providers"),
-- api-reference/generic-sms.txt and the issue describe it, written from those
-- texts: the reference's own examples and words, every validation rule,
-- encodings per position, segment counts, and sends against the sandbox's
-- provider capture (auth modes, batching edges, provider answers, unknown
-- outcomes, secrets).
local clevertap = require "clevertap"
local cjson = require "cjson"
local sandbox = require "support.sandbox"

local sms = clevertap.sms

-- The reference's configuration example, pasted as it is (comments included).
local REFERENCE_BATCH = require "fixtures.sms_reference"

local REFERENCE_SINGLE = [[{
  "hid": "$$hid",//Message Body Key-Value pair
  "tid": "$$TemplateID",
  "cid": "$$CampaignID",
  "type": "template",
  "seq": 1,
  "to": "$$To",
  "uid": "$$uid",//Message Body Key-Value pair
  "variables": "$$TemplateVariables",
  "enc": "utf8"
}]]

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function decode_pairs(s)
  local t = {}
  for kv in s:gmatch("[^&]+") do
    local k, v = kv:match("^([^=]*)=(.*)$")
    t[unescape(k)] = unescape(v)
  end
  return t
end

local function query_of(url) return decode_pairs(url:match("%?(.*)$") or "") end

local function numbers(n)
  local t = {}
  for i = 1, n do t[i] = string.format("+9199%08d", i) end
  return t
end

local function problems_of(def)
  local p, err = sms.provider(def)
  assert.is_nil(p)
  assert.is_table(err)
  assert.equal("validation", err.kind)
  assert.is_table(err.errors)
  local text = {}
  for _, e in ipairs(err.errors) do
    assert.is_string(e.message)
    text[#text + 1] = e.message
  end
  return table.concat(text, "\n"), err
end

describe("acceptance: clevertap.sms", function()
  describe("provider templates as the reference describes them", function()
    it("renders the reference's batching example: globals once, one msgs record per recipient", function()
      local provider = assert(sms.provider{ method = "POST", url = "https://sms.example.com/api/send",
        json = REFERENCE_BATCH, batch = { key = "msgs", size = 1000 } })
      local requests, err = provider:render{
        to = { { to = "+919800000001", values = { uid = "U1" } }, { to = "+919800000002", values = { uid = "U2" } } },
        template_id = "1107160000000000001", campaign_id = 1700000001, values = { hid = "HID-1" },
        template_variables = { "Asha", "42" },
      }
      assert.is_nil(err)
      assert.equal(1, #requests)
      local r = requests[1]
      assert.equal("POST", r.method)
      assert.equal("https://sms.example.com/api/send", r.url)
      assert.is_string(r.body)
      assert.is_table(r.headers)
      assert.truthy(r.headers["Content-Type"]:find("application/json", 1, true))
      local doc = cjson.decode(r.body)
      assert.equal("HID-1", doc.hid)
      assert.equal("1107160000000000001", doc.tid)
      assert.equal(1700000001, doc.cid)
      assert.equal("template", doc.type)
      assert.equal(2, #doc.msgs)
      local vars = { "Asha", "42" }
      assert.same({ seq = 1, to = "+919800000001", uid = "U1", variables = vars, enc = "utf8" }, doc.msgs[1])
      assert.same({ seq = 1, to = "+919800000002", uid = "U2", variables = vars, enc = "utf8" }, doc.msgs[2])
      -- global keys appear once, message keys per record
      local _, hids = r.body:gsub('"hid"', "")
      assert.equal(1, hids)
    end)

    it("renders the reference's example without batching: one request per recipient, all personal", function()
      local provider = assert(sms.provider{ url = "https://sms.example.com/api/send", json = REFERENCE_SINGLE })
      local requests = assert(provider:render{
        to = { { to = "+1555000001", values = { hid = "H-a", uid = "u-a" } }, "+1555000002" },
        template_id = "T1", campaign_id = 99, values = { hid = "H-all", uid = "u-all" }, template_variables = "v",
      })
      assert.equal(2, #requests)
      local a, b = cjson.decode(requests[1].body), cjson.decode(requests[2].body)
      assert.same({ "H-a", "u-a", "+1555000001" }, { a.hid, a.uid, a.to })
      assert.same({ "H-all", "u-all", "+1555000002" }, { b.hid, b.uid, b.to })
      assert.equal(1, a.seq)
    end)

    it("understands the dashboard's words: endpoint, payload, batching key and records per batch", function()
      local provider, err = sms.provider{
        method = "POST", endpoint = "https://sms.example.com/v2/bulk",
        headers = { ["X-Api-Version"] = "2" },
        payload = REFERENCE_BATCH,
        batching = { key = "msgs", size = 2 },
      }
      assert.is_nil(err)
      local requests = assert(provider:render{
        to = { { to = "+1", uid = "a" }, { to = "+2", uid = "b" }, { to = "+3", uid = "c" } },
        TemplateID = "T", CampaignID = 5, hid = "H", TemplateVariables = {},
      })
      assert.equal(2, #requests)
      assert.equal("https://sms.example.com/v2/bulk", requests[1].url)
      assert.equal("2", requests[1].headers["X-Api-Version"])
      local doc = cjson.decode(requests[1].body)
      assert.equal("H", doc.hid)
      assert.same({ "a", "b" }, { doc.msgs[1].uid, doc.msgs[2].uid })
      assert.equal("c", cjson.decode(requests[2].body).msgs[1].uid)
      -- batch_key / batch_size at the top level
      local q = assert(sms.provider{ url = "https://x.example/", payload = '{"m":[{"to":"$$To","b":"$$Body"}]}',
        batch_key = "m", batch_size = 1 })
      assert.equal(2, #assert(q:render{ to = { "+1", "+2" }, body = "x" }))
    end)

    it("takes key-value parameters as an x-www-form-urlencoded body", function()
      local provider = assert(sms.provider{ url = "https://sms.example.com/send", body_type = "x-www-form-urlencoded",
        params = { to = "$$To", message = "$$Body", sender = "$$Sender" } })
      local r = assert(provider:render{ to = "+15551234567", body = "Hi Ann & co: 100% = £5 €", sender = "ACME" })[1]
      -- "message" and "text" are the body too
      assert.equal(r.body, assert(provider:render{ to = "+15551234567", message = "Hi Ann & co: 100% = £5 €",
        sender = "ACME" })[1].body)
      assert.equal("application/x-www-form-urlencoded", r.headers["Content-Type"])
      assert.same({ to = "+15551234567", message = "Hi Ann & co: 100% = £5 €", sender = "ACME" }, decode_pairs(r.body))
      assert.falsy(r.body:find(" ", 1, true))
    end)

    it("renders requests shaped exactly { method =, url =, headers =, body = }", function()
      local provider = assert(sms.provider{ url = "https://sms.example.com/send", json = '{"to":"$$To","t":"$$Body"}',
        auth = { type = "basic", username = "u", password = "p" }, headers = { ["X-Tag"] = "t" } })
      local requests = assert(provider:render{ to = { "+1", "+2" }, body = "hi" })
      assert.same({
        { method = "POST", url = "https://sms.example.com/send", body = '{"to":"+1","t":"hi"}',
          headers = { ["Content-Type"] = "application/json", Authorization = "Basic dTpw", ["X-Tag"] = "t" } },
        { method = "POST", url = "https://sms.example.com/send", body = '{"to":"+2","t":"hi"}',
          headers = { ["Content-Type"] = "application/json", Authorization = "Basic dTpw", ["X-Tag"] = "t" } },
      }, requests)
      -- what render knows beside those is still there to read
      assert.same({ "+1" }, requests[1].to)
      assert.equal(1, requests[1].segments)
    end)

    it("takes a key-value body written as it is sent (k=v&k2=v2)", function()
      local provider = assert(sms.provider{ url = "https://sms.example.com/send",
        body = "to=$$To&text=$$Body&route=4" })
      local r = assert(provider:render{ to = "+1", body = "a b&c" })[1]
      assert.equal("application/x-www-form-urlencoded", r.headers["content-type"])
      assert.same({ to = "+1", text = "a b&c", route = "4" }, decode_pairs(r.body))
    end)

    it("takes headers and parameters as key and value pairs", function()
      local provider = assert(sms.provider{ url = "https://sms.example.com/send",
        headers = { { name = "X-Api-Key", value = "k-1" }, { key = "X-Route", value = "$$route" } },
        params = { { key = "to", value = "$$To" }, { key = "text", value = "$$Body" } } })
      local r = assert(provider:render{ to = { { to = "+1", route = "r9" } }, body = "b" })[1]
      assert.equal("k-1", r.headers["X-Api-Key"])
      assert.equal("r9", r.headers["x-route"])
      assert.equal("to=%2B1&text=b", r.body)
    end)

    it("puts GET parameters in the query string, URL-encoded", function()
      local provider = assert(sms.provider{ method = "GET", url = "https://sms.example.com/http-api?user=ct",
        params = { { "to", "$$To" }, { "text", "$$Body" } } })
      local text = "a b&c=d/e?f#g+h%i ünï 😀"
      local r = assert(provider:render{ to = { "+15551234567" }, body = text })[1]
      assert.equal("GET", r.method)
      assert.falsy(r.body)
      assert.falsy(r.url:find("[ #]", 1))
      assert.equal("https://sms.example.com/http-api?user=ct&to=%2B15551234567&text=", r.url:match("^(.-text=)"))
      assert.same({ user = "ct", to = "+15551234567", text = text }, query_of(r.url))
    end)

    it("escapes values for JSON, keeps unicode, and lets a whole placeholder be a number, array or object", function()
      local provider = assert(sms.provider{ url = "https://x.example/", json = [[
        {"to": "$$To", "text": "Dear customer: $$Body", "raw": "$$Body", "cid": "$$CampaignID",
         "vars": "$$TemplateVariables", "id": "$$MessageID"}]] })
      local body = 'quote " backslash \\ newline \n tab \t ctrl \1 नमस्ते 😀'
      local r = assert(provider:render{ to = { "+1" }, body = body, campaign_id = 1700000000123,
        template_variables = { name = "Ann", n = 2 } })[1]
      local doc = cjson.decode(r.body)
      assert.equal("Dear customer: " .. body, doc.text)
      assert.equal(body, doc.raw)
      assert.equal(1700000000123, doc.cid)
      assert.truthy(r.body:find('"cid":1700000000123', 1, true))
      assert.same({ name = "Ann", n = 2 }, doc.vars)
      assert.truthy(r.body:find("नमस्ते 😀", 1, true))
      assert.is_string(doc.id)
    end)

    it("takes a placeholder written bare where the JSON has a number", function()
      local provider = assert(sms.provider{ url = "https://x.example/",
        json = '{"seq": $$seq, "msgs": [{"to": "$$To", "text": "$$Body", "n": $$n}]}', batch = { key = "msgs" } })
      local r = assert(provider:render{ to = { { to = "+1", values = { n = 2 } } }, body = "b",
        values = { seq = 7 } })[1]
      assert.equal('{"seq":7,"msgs":[{"to":"+1","text":"b","n":2}]}', r.body)
    end)

    it("gives each message a unique $$MessageID and fills $$Sender", function()
      local provider = assert(sms.provider{ url = "https://x.example/",
        json = '{"from":"$$Sender","messages":[{"to":"$$To","id":"$$MessageID","text":"$$Body"}]}',
        batch = { key = "messages", size = 2 } })
      local requests = assert(provider:render{ to = numbers(5), body = "x", sender = "ACME" })
      local seen, n = {}, 0
      for _, r in ipairs(requests) do
        local doc = cjson.decode(r.body)
        assert.equal("ACME", doc.from)
        for _, m in ipairs(doc.messages) do
          assert.is_nil(seen[m.id])
          seen[m.id] = true
          n = n + 1
        end
      end
      assert.equal(5, n)
    end)

    it("fills placeholders in headers and in the URL path", function()
      local provider = assert(sms.provider{ url = "https://x.example/v1/$$account/send",
        headers = { ["X-Campaign"] = "c-$$CampaignID", ["X-Key"] = "$$key" },
        params = { to = "$$To", body = "$$Body" } })
      local r = assert(provider:render{ to = { "+1" }, body = "b", campaign_id = 7,
        values = { account = "acc/1 2", key = "k1" } })[1]
      assert.equal("https://x.example/v1/acc%2F1%202/send", r.url)
      assert.equal("c-7", r.headers["X-Campaign"])
      assert.equal("k1", r.headers["X-Key"])
    end)

    it("adds HTTP Basic authentication", function()
      local provider = assert(sms.provider{ url = "https://x.example/", params = { to = "$$To", text = "$$Body" },
        auth = { type = "basic", username = "user1", password = "pa:ss wörd" } })
      local r = assert(provider:render{ to = { "+1" }, body = "b" })[1]
      local b64 = "dXNlcjE6cGE6c3Mgd8O2cmQ=" -- base64("user1:pa:ss wörd")
      assert.equal("Basic " .. b64, r.headers.Authorization)
    end)

    it("accepts every auth type of the reference, by the dashboard's names", function()
      local base = { url = "https://x.example/", params = { to = "$$To", text = "$$Body" } }
      local function with(auth)
        local t = {}
        for k, v in pairs(base) do t[k] = v end
        t.auth = auth
        return sms.provider(t)
      end
      assert.truthy(with{ type = "none" })
      assert.truthy(with{ type = "No Authentication" })
      assert.truthy(with{ type = "Basic Authentication", username = "u", password = "p" })
      assert.truthy(with{ type = "oauth2", url = "https://auth.example/token", client_id = "id",
        client_secret = "s", params = { scope = "sms" } })
      assert.truthy(with{ type = "OAuth 2.0", client_url = "https://auth.example/token", client_id = "id",
        secret_key = "s", key_values = { audience = "sms" } })
      -- without a type, the settings say which
      local basic = assert(with{ username = "u", password = "p" })
      assert.equal("Basic dTpw", assert(basic:render{ to = "+1", body = "b" })[1].headers.Authorization)
      local oauth = assert(with{ client_url = "https://auth.example/token", client_id = "id", secret_key = "s" })
      assert.equal("oauth2", assert(oauth:render{ to = "+1", body = "b" })[1].auth)
    end)
  end)

  describe("template validation: every problem at once, with clear messages", function()
    it("requires $$To", function()
      local text = problems_of{ url = "https://x.example/", params = { text = "$$Body" } }
      assert.truthy(text:find("$$To", 1, true))
    end)

    it("requires $$Body or $$TemplateID, and either is enough", function()
      local text = problems_of{ url = "https://x.example/", params = { to = "$$To" } }
      assert.truthy(text:find("$$Body", 1, true))
      assert.truthy(text:find("$$TemplateID", 1, true))
      assert.truthy(sms.provider{ url = "https://x.example/", params = { to = "$$To", t = "$$TemplateID" } })
      assert.truthy(sms.provider{ url = "https://x.example/", params = { to = "$$To", t = "$$Body" } })
    end)

    for _, size in ipairs { 1001, 5000, 0, -1 } do
      it("refuses batch size " .. size, function()
        local text = problems_of{ url = "https://x.example/", json = REFERENCE_BATCH,
          batch = { key = "msgs", size = size } }
        assert.truthy(text:find("size", 1, true))
      end)
    end

    it("accepts batch sizes 1 and 1000", function()
      for _, size in ipairs { 1, 1000 } do
        assert.truthy(sms.provider{ url = "https://x.example/", json = REFERENCE_BATCH,
          batch = { key = "msgs", size = size } })
      end
    end)

    it("refuses a batching key that is missing or not an array of exactly one record", function()
      local text = problems_of{ url = "https://x.example/", json = REFERENCE_BATCH, batch = { key = "messages" } }
      assert.truthy(text:find("messages", 1, true))
      for _, json in ipairs {
        '{"tid":"$$TemplateID","msgs":[{"to":"$$To"},{"to":"$$To"}]}',
        '{"tid":"$$TemplateID","msgs":{"to":"$$To"}}',
        '{"tid":"$$TemplateID","msgs":[],"to":"$$To"}',
        '{"tid":"$$TemplateID","msgs":["$$To"]}',
      } do
        text = problems_of{ url = "https://x.example/", json = json, batch = { key = "msgs" } }
        assert.truthy(text:find("msgs", 1, true), json)
      end
    end)

    it("refuses batching without a key when the JSON is an object", function()
      local text = problems_of{ url = "https://x.example/", json = REFERENCE_BATCH, batch = { size = 10 } }
      assert.truthy(text:find("key", 1, true))
    end)

    it("refuses unknown auth types", function()
      local text = problems_of{ url = "https://x.example/", params = { to = "$$To", b = "$$Body" },
        auth = { type = "digest", username = "u", password = "p" } }
      assert.truthy(text:find("digest", 1, true))
      text = problems_of{ url = "https://x.example/", params = { to = "$$To", b = "$$Body" },
        auth = { type = "apikey", key = "k" } }
      assert.truthy(text:find("apikey", 1, true))
    end)

    for _, url in ipairs { "sms.example.com/send", "ftp://sms.example.com/send", "https://", "https://exa mple.com/",
      "https://example.com/a b", "not a url", "" } do
      it("refuses the bad URL '" .. url .. "'", function()
        local text = problems_of{ url = url, params = { to = "$$To", b = "$$Body" } }
        assert.truthy(text:lower():find("url", 1, true))
      end)
    end

    it("refuses CR/LF in header names and values", function()
      local text = problems_of{ url = "https://x.example/", params = { to = "$$To", b = "$$Body" },
        headers = { ["X-Evil"] = "a\r\nInjected: 1" } }
      assert.truthy(text:find("CR", 1, true))
      text = problems_of{ url = "https://x.example/", params = { to = "$$To", b = "$$Body" },
        headers = { ["X-A\r\nB"] = "v" } }
      assert.truthy(text:find("CR", 1, true))
    end)

    it("keeps secrets out of validation errors", function()
      local text, err = problems_of{ url = "sms.example.com/send?apikey=Api-Key-Secret-1",
        params = { to = "$$To", b = "$$Body" }, auth = { type = "basic", username = "u", password = "Pw-Secret-2" },
        headers = { ["X-Key"] = "Hdr-Secret-3\n" }, secrets = { "Hdr-Secret-3" } }
      for _, secret in ipairs { "Api-Key-Secret-1", "Pw-Secret-2", "Hdr-Secret-3" } do
        assert.falsy(text:find(secret, 1, true))
        assert.falsy(tostring(err):find(secret, 1, true))
      end
    end)

    it("lists all problems of one template together", function()
      local _, err = problems_of{ url = "ftp://x", json = '{"msgs":[{"seq":1},{"seq":2}]}',
        batch = { key = "msgs", size = 2000 }, auth = { type = "magic" }, headers = { H = "a\nb" } }
      assert.truthy(#err.errors >= 6)
      -- the list prints every problem; the error's own line is the first
      local all = tostring(err.errors)
      assert.truthy(tostring(err):find(err.errors[1].message, 1, true))
      for _, word in ipairs { "$$To", "$$Body", "2000", "magic", "ftp", "CR" } do
        assert.truthy(all:find(word, 1, true), word)
      end
      for _, e in ipairs(err.errors) do assert.equal("error", e.severity) end
    end)
  end)

  describe("render", function()
    it("returns nil, err naming each placeholder that has no value", function()
      local provider = assert(sms.provider{ url = "https://x.example/", json = REFERENCE_BATCH,
        batch = { key = "msgs" } })
      local requests, err = provider:render{ to = { "+1" }, template_id = "T", campaign_id = 1,
        template_variables = {} }
      assert.is_nil(requests)
      assert.equal("validation", err.kind)
      assert.truthy(tostring(err.errors):find("hid", 1, true))
      assert.truthy(tostring(err.errors):find("uid", 1, true))
      local _, err2 = provider:render{ to = { "+1" }, values = { hid = "h", uid = "u" }, campaign_id = 1,
        template_variables = {} }
      assert.truthy(tostring(err2):find("TemplateID", 1, true))
    end)

    it("refuses CR/LF reaching a header through a value", function()
      local provider = assert(sms.provider{ url = "https://x.example/", headers = { ["X-Sender"] = "$$Sender" },
        params = { to = "$$To", b = "$$Body" } })
      local requests, err = provider:render{ to = { "+1" }, body = "b", sender = "a\r\nX-Injected: 1" }
      assert.is_nil(requests)
      assert.equal("validation", err.kind)
    end)

    describe("batching edges", function()
      local provider = assert(sms.provider{ url = "https://x.example/",
        json = '{"sender":"S","messages":[{"number":"$$To","text":"$$Body"}]}',
        batch = { key = "messages", size = 10 } })
      for _, case in ipairs { { 1, { 1 } }, { 10, { 10 } }, { 11, { 10, 1 } }, { 25, { 10, 10, 5 } } } do
        it(case[1] .. " recipients with 10 per batch", function()
          local requests = assert(provider:render{ to = numbers(case[1]), body = "hi" })
          assert.equal(#case[2], #requests)
          local all = {}
          for i, n in ipairs(case[2]) do
            local doc = cjson.decode(requests[i].body)
            assert.equal(n, #doc.messages)
            assert.equal("S", doc.sender)
            for _, m in ipairs(doc.messages) do all[#all + 1] = m.number end
          end
          assert.same(numbers(case[1]), all)
        end)
      end
      it("1000 records at most per request, whatever the template allows", function()
        local q = assert(sms.provider{ url = "https://x.example/", json = '[{"to":"$$To","body":"$$Body"}]',
          batch = { array = true } })
        local requests = assert(q:render{ to = numbers(1001), body = "x" })
        assert.equal(2, #requests)
        assert.equal(1000, #cjson.decode(requests[1].body))
        assert.equal(1, #cjson.decode(requests[2].body))
      end)
    end)

    it("sends the same text to many numbers joined in one field", function()
      local provider = assert(sms.provider{ url = "https://x.example/", json = '{"dst":"$$To","text":"$$Body"}',
        batch = { join = "<", size = 2 } })
      local requests = assert(provider:render{ to = { "+1", "+2", "+3" }, body = "x" })
      assert.same({ "+1<+2", "+3" }, { cjson.decode(requests[1].body).dst, cjson.decode(requests[2].body).dst })
      -- the field named as the batching key, with its separator
      local form = assert(sms.provider{ url = "https://x.example/", params = { To = "$$To", Body = "$$Body" },
        batch = { key = "To", separator = "," } })
      assert.equal("+1,+2", decode_pairs(assert(form:render{ to = { "+1", "+2" }, body = "x" })[1].body).To)
      local text = problems_of{ url = "https://x.example/", json = '{"src":"$$To","dst":"x","text":"$$Body"}',
        batch = { key = "dst", separator = "<" } }
      assert.truthy(text:find("dst", 1, true))
    end)

    it("batches a JSON template that is itself an array of one record", function()
      local provider = assert(sms.provider{ url = "https://x.example/", json = '[{"to":"$$To","body":"$$Body"}]',
        batch = { size = 2 } })
      local requests = assert(provider:render{ to = { "+1", "+2", "+3" }, body = "x" })
      assert.equal(2, #requests)
      assert.same({ { to = "+1", body = "x" }, { to = "+2", body = "x" } }, cjson.decode(requests[1].body))
    end)

    it("reports GSM-7/UCS-2 and segments per message", function()
      local provider = assert(sms.provider{ url = "https://x.example/",
        json = '{"m":[{"to":"$$To","b":"$$Body"}]}', batch = { key = "m" } })
      local r = assert(provider:render{ to = { "+1", { to = "+2", body = "привет" } }, body = string.rep("a", 161) })[1]
      assert.same({ "GSM-7", 2 }, { r.messages[1].encoding, r.messages[1].segments })
      assert.same({ "UCS-2", 1 }, { r.messages[2].encoding, r.messages[2].segments })
    end)
  end)

  describe("GSM-7 / UCS-2 segment counts", function()
    local cases = {
      { string.rep("a", 160), "GSM-7", 1 }, { string.rep("a", 161), "GSM-7", 2 },
      { string.rep("a", 306), "GSM-7", 2 }, { string.rep("a", 307), "GSM-7", 3 },
      { string.rep("€", 80), "GSM-7", 1 }, { string.rep("€", 81), "GSM-7", 2 },
      { string.rep("{", 80), "GSM-7", 1 }, { "[" .. string.rep("a", 159), "GSM-7", 2 },
      { string.rep("é", 160), "GSM-7", 1 },
      { string.rep("ж", 70), "UCS-2", 1 }, { string.rep("ж", 71), "UCS-2", 2 },
      { string.rep("ж", 134), "UCS-2", 2 }, { string.rep("ж", 135), "UCS-2", 3 },
      { string.rep("a", 69) .. "ж", "UCS-2", 1 }, { string.rep("😀", 35), "UCS-2", 1 },
      { string.rep("😀", 36), "UCS-2", 2 }, { "", "GSM-7", 1 },
    }
    for _, case in ipairs(cases) do
      it(case[2] .. " " .. #case[1] .. " bytes -> " .. case[3], function()
        local f = assert(sms.facts(case[1]))
        assert.equal(case[2], f.encoding)
        assert.equal(case[3], f.segments)
        local n, enc = sms.segments(case[1])
        assert.same({ case[3], case[2] }, { n, enc })
        assert.equal(case[2], sms.encoding(case[1]))
      end)
    end
    it("counts extension characters twice", function()
      assert.equal(2, sms.facts("^").units)
      assert.equal(10, sms.facts("{}[]~").units)
      assert.equal(1, sms.facts("a").units)
    end)
  end)

  describe("send against the provider capture", function()
    local RETRY = { retry = { attempts = 3, base_delay = 0.01, max_delay = 0.05 } }
    local ID = '"message_id"%s*:%s*"([^"]+)"'
    local function url(name) return sandbox.root() .. "/provider/" .. name .. "/send" end
    local function captured(name) return sandbox.requests { prefix = "/provider/" .. name .. "/" } end
    local function accounted(report)
      local n = report.accepted
      for _, e in ipairs(report.failed) do n = n + (e.count or 1) end
      for _, e in ipairs(report.unknown) do n = n + (e.count or 1) end
      return n
    end

    before_each(function() sandbox.reset() end)

    it("sends exactly what render produced; the report has ok, accepted, failed, unknown, requests", function()
      local provider = assert(sms.provider{ url = url("acc1"), json = REFERENCE_BATCH,
        batch = { key = "msgs", size = 2 }, response = { message_id = ID } })
      local opts = { to = { { to = "+1", values = { uid = "a" } }, { to = "+2", values = { uid = "b" } },
        { to = "+3", values = { uid = "c" } } }, template_id = "T", campaign_id = 1, values = { hid = "H" },
        template_variables = { x = 1 } }
      local expected = assert(provider:render(opts))
      local report, err = provider:send(opts)
      assert.is_nil(err)
      assert.is_true(report.ok)
      assert.equal(3, report.accepted)
      assert.same({}, report.failed)
      assert.same({}, report.unknown)
      assert.equal(2, report.requests)
      local got = captured("acc1")
      assert.equal(2, #got)
      local want, have = {}, {}
      for i = 1, 2 do want[i], have[i] = expected[i].body, got[i].body end
      table.sort(want)
      table.sort(have)
      assert.same(want, have)
      for _, s in ipairs(report.sent) do assert.truthy(s.provider_id:find("^acc1%-")) end
      -- the report is the SPEC's shape, field for field
      assert.same({ ok = true, accepted = 3, failed = {}, unknown = {}, requests = 2 }, report)
    end)

    for _, case in ipairs { { 1, 1 }, { 4, 1 }, { 5, 2 } } do
      it("batching edge: " .. case[1] .. " recipients, 4 per batch -> " .. case[2] .. " request(s)", function()
        local provider = assert(sms.provider{ url = url("edge"), json = '[{"to":"$$To","body":"$$Body"}]',
          batch = { array = true, size = 4 } })
        local report = assert(provider:send{ to = numbers(case[1]), body = "b" })
        assert.is_true(report.ok)
        assert.equal(case[1], report.accepted)
        assert.equal(case[2], report.requests)
        local n = 0
        for _, r in ipairs(captured("edge")) do n = n + #cjson.decode(r.body) end
        assert.equal(case[1], n)
      end)
    end

    it("sends each batching shape: numbers joined in one field, a JSON batch inside a form field", function()
      local j = assert(sms.provider{ url = url("join"), params = { To = "$$To", Body = "$$Body" },
        batch = { join = ",", size = 2 } })
      local report = assert(j:send{ to = numbers(3), body = "same text" })
      assert.is_true(report.ok)
      assert.equal(3, report.accepted)
      assert.equal(2, report.requests)
      local joined = {}
      for _, r in ipairs(captured("join")) do joined[#joined + 1] = decode_pairs(r.body).To end
      table.sort(joined)
      assert.same({ numbers(3)[1] .. "," .. numbers(3)[2], numbers(3)[3] }, joined)
      local f = assert(sms.provider{ url = url("inform"), params = { { "apikey", "k" }, { "data", { json =
        '{"sender":"S","messages":[{"number":"$$To","text":"$$Body"}]}' } } }, batch = { key = "messages" } })
      assert.is_true(assert(f:send{ to = numbers(2), body = "ü" }).ok)
      local data = cjson.decode(decode_pairs(captured("inform")[1].body).data)
      assert.same({ { number = numbers(2)[1], text = "ü" }, { number = numbers(2)[2], text = "ü" } }, data.messages)
    end)

    it("delivers unicode bodies intact (JSON and form)", function()
      local text = "Ünïcødé ✓ नमस्ते 😀 \"q\" & +"
      local j = assert(sms.provider{ url = url("uj"), json = '{"to":"$$To","text":"$$Body"}' })
      assert.is_true(assert(j:send{ to = { "+1" }, body = text }).ok)
      assert.equal(text, cjson.decode(captured("uj")[1].body).text)
      local f = assert(sms.provider{ url = url("uf"), params = { to = "$$To", text = "$$Body" } })
      assert.is_true(assert(f:send{ to = { "+1" }, body = text }).ok)
      assert.equal(text, decode_pairs(captured("uf")[1].body).text)
      local g = assert(sms.provider{ method = "GET", url = url("ug"), params = { to = "$$To", text = "$$Body" } })
      assert.is_true(assert(g:send{ to = { "+1" }, body = text }).ok)
      assert.equal(text, captured("ug")[1].args.text)
    end)

    it("authenticates with Basic; a wrong password fails every recipient without showing it", function()
      sandbox.provider("bas", { auth = "basic", user = "acct", password = "Right-Passw0rd" })
      local ok = assert(sms.provider{ url = url("bas"), params = { to = "$$To", text = "$$Body" },
        auth = { type = "basic", username = "acct", password = "Right-Passw0rd" }, http = RETRY })
      assert.is_true(assert(ok:send{ to = { "+1" }, body = "x" }).ok)
      local bad = assert(sms.provider{ url = url("bas"), params = { to = "$$To", text = "$$Body" },
        auth = { type = "basic", username = "acct", password = "Wr0ng-Passw0rd" }, http = RETRY })
      local report = assert(bad:send{ to = numbers(2), body = "x" })
      assert.is_false(report.ok)
      assert.equal(0, report.accepted)
      assert.equal(2, accounted(report))
      for _, e in ipairs(report.failed) do
        assert.equal(401, e.error.status)
        assert.falsy(tostring(e.error):find("Wr0ng", 1, true))
        assert.falsy(cjson.encode(e.error):find("Wr0ng", 1, true))
      end
    end)

    describe("OAuth 2.0 client credentials", function()
      local function token_requests() return #sandbox.requests { path = "/provider/oauth/token" } end
      local function provider(secret)
        sandbox.provider("oa", { auth = "oauth" })
        return assert(sms.provider{ url = url("oa"), json = '{"to":"$$To","text":"$$Body"}', http = RETRY,
          auth = { type = "oauth2", client_url = sandbox.root() .. "/provider/oauth/token",
            client_id = "sandbox-client", secret_key = secret or "sandbox-secret", params = { scope = "sms" } } })
      end

      it("fetches the token once and caches it across sends", function()
        local p = provider()
        assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
        assert.is_true(assert(p:send{ to = { "+2" }, body = "b" }).ok)
        assert.equal(1, token_requests())
        assert.equal("Bearer REDACTED", captured("oa")[1].headers.authorization)
        assert.equal("sms", decode_pairs(sandbox.requests { path = "/provider/oauth/token" }[1].body).scope)
      end)

      it("refreshes once on 401 and retries the request", function()
        local p = provider()
        assert.is_true(assert(p:send{ to = { "+1" }, body = "a" }).ok)
        sandbox.expire_tokens()
        local report = assert(p:send{ to = { "+2" }, body = "b" })
        assert.is_true(report.ok)
        assert.equal(1, report.accepted)
        assert.equal(2, report.requests)
        assert.equal(2, token_requests())
      end)

      it("gives up after one refresh when the provider keeps answering 401", function()
        sandbox.provider("oa401", { status = 401, body = { error = "invalid_token" }, auth = "none" })
        local p = assert(sms.provider{ url = url("oa401"), json = '{"to":"$$To","text":"$$Body"}', http = RETRY,
          auth = { type = "oauth2", url = sandbox.root() .. "/provider/oauth/token",
            client_id = "sandbox-client", client_secret = "sandbox-secret" } })
        local report = assert(p:send{ to = { "+1" }, body = "a" })
        assert.is_false(report.ok)
        assert.equal(1, #report.failed)
        assert.equal(2, report.requests)
        assert.equal(2, token_requests())
      end)

      it("returns nil, err without the secret when the client is refused", function()
        local p = provider("Not-The-Secret-77")
        local report, err = p:send{ to = { "+1" }, body = "a" }
        assert.is_nil(report)
        assert.is_table(err)
        assert.falsy(tostring(err):find("Not-The-Secret-77", 1, true))
        assert.falsy(cjson.encode(err):find("Not-The-Secret-77", 1, true))
        assert.equal(0, #captured("oa"))
        -- every recipient is still accounted for
        assert.equal(1, #err.report.failed)
        assert.equal("+1", err.report.failed[1].to)
      end)
    end)

    describe("provider answers", function()
      it("fails on an HTTP 200 whose body says failure", function()
        sandbox.provider("f200", { status = 200, body = { status = "error", error = "invalid number" } })
        local p = assert(sms.provider{ url = url("f200"), params = { to = "$$To", text = "$$Body" },
          response = { success = '"status":"success"', failure = '"status":"error"' } })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.is_false(report.ok)
        assert.equal(0, report.accepted)
        assert.equal(1, #report.failed)
        assert.equal("+1", report.failed[1].to)
        assert.equal(1, report.failed[1].count)
        assert.truthy(tostring(report.failed[1].error):find("invalid number", 1, true))
      end)

      it("an HTTP 200 without the success mark is an unknown outcome", function()
        sandbox.provider("nomark", { status = 200, body = { result = "rejected" } })
        local p = assert(sms.provider{ url = url("nomark"), params = { to = "$$To", text = "$$Body" },
          response = { success = '"status"%s*:%s*"success"' } })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.is_false(report.ok)
        assert.equal(0, #report.failed)
        assert.equal(1, #report.unknown)
      end)

      it("reads regex-style patterns and answer settings given at the top level", function()
        sandbox.provider("rx", { status = 200, body = { status = "failed", reason = "DND number" } })
        local p = assert(sms.provider{ url = url("rx"), params = { to = "$$To", text = "$$Body" },
          failure = [["status"\s*:\s*"(error|failed)"]] })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.equal(1, #report.failed)
        assert.truthy(tostring(report.failed[1].error):find("DND number", 1, true))
        local q = assert(sms.provider{ url = url("rx2"), params = { to = "$$To", text = "$$Body" },
          success = "success", message_id = [["message_id"\s*:\s*"([^"]+)"]], timeout = 5 })
        report = assert(q:send{ to = { "+1" }, body = "x" })
        assert.is_true(report.ok)
        assert.equal(string.format("rx2-%d", captured("rx2")[1].seq), report.sent[1].provider_id)
      end)

      it("takes the success statuses as numbers", function()
        sandbox.provider("st", { status = 202, body = { queued = true } })
        local p = assert(sms.provider{ url = url("st"), params = { to = "$$To", text = "$$Body" },
          response = { success = 201 } })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.equal(1, #report.failed)
        assert.equal(202, report.failed[1].error.status)
        local q = assert(sms.provider{ url = url("st"), params = { to = "$$To", text = "$$Body" },
          response = { status = { 201, 202 } } })
        assert.is_true(assert(q:send{ to = { "+1" }, body = "x" }).ok)
      end)

      it("captures the provider's message id", function()
        local p = assert(sms.provider{ url = url("mid"), params = { to = "$$To", text = "$$Body" },
          response = { message_id = '"message_id":"([^"]+)"' } })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.equal(string.format("mid-%d", captured("mid")[1].seq), report.sent[1].provider_id)
        -- a field name of the JSON answer works too
        local q = assert(sms.provider{ url = url("mid2"), params = { to = "$$To", text = "$$Body" },
          response = { message_id = "message_id" } })
        report = assert(q:send{ to = { "+1" }, body = "x" })
        assert.equal(string.format("mid2-%d", captured("mid2")[1].seq), report.sent[1].provider_id)
      end)

      it("puts a request whose answer was lost in unknown, never re-sent", function()
        sandbox.faults { { path = "/provider/lost/*", fault = "drop", count = 1 } }
        local p = assert(sms.provider{ url = url("lost"), json = '{"m":[{"to":"$$To","t":"$$Body"}]}',
          batch = { key = "m" }, http = RETRY })
        local report = assert(p:send{ to = numbers(3), body = "x" })
        assert.is_false(report.ok)
        assert.equal(0, report.accepted)
        assert.equal(3, accounted(report))
        assert.equal(3, #report.unknown)
        assert.equal(1, report.requests)
        assert.equal(1, #captured("lost"))
      end)

      it("retries 429 and 503 and then succeeds", function()
        sandbox.faults { { path = "/provider/busy/*", fault = "503", count = 1 },
          { path = "/provider/busy/*", fault = "429", count = 1 } }
        local p = assert(sms.provider{ url = url("busy"), params = { to = "$$To", text = "$$Body" }, http = RETRY })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        assert.is_true(report.ok)
        assert.equal(3, report.requests)
      end)

      it("logs retries, refusals and unknown outcomes through a logger, without secrets", function()
        sandbox.faults { { path = "/provider/logged/*", fault = "503", count = 1 },
          { path = "/provider/logged/*", fault = "drop", count = 1 } }
        sandbox.provider("logged", { responses = { { status = 200, body = { status = "success" } },
          { status = 400, body = "bad key Api-Key-Log-1" } } })
        local lines = {}
        local p = assert(sms.provider{ method = "GET", url = url("logged") .. "?apikey=Api-Key-Log-1",
          params = { to = "$$To", text = "$$Body" }, auth = { type = "basic", username = "u", password = "Pw-Log-22" },
          secrets = { "Api-Key-Log-1" }, http = RETRY,
          logger = function(level, message) lines[#lines + 1] = level .. " " .. message end })
        local report = assert(p:send{ to = numbers(3), body = "x", concurrency = 1 })
        assert.equal(3, accounted(report))
        local text = table.concat(lines, "\n")
        assert.truthy(text:find("warn GET ", 1, true), text)
        assert.truthy(text:find("retried", 1, true), text)
        assert.truthy(text:find("not re-sent", 1, true), text)
        assert.truthy(text:find("refused", 1, true), text)
        assert.falsy(text:find("Api-Key-Log-1", 1, true))
        assert.falsy(text:find("Pw-Log-22", 1, true))
      end)

      it("keeps secrets out of error messages even when the provider echoes them", function()
        sandbox.provider("echo", { status = 400, body = "bad apikey SeCrEt-Api-Key-1 for user" })
        local p = assert(sms.provider{ url = url("echo"),
          params = { apikey = "SeCrEt-Api-Key-1", to = "$$To", text = "$$Body" }, secrets = { "SeCrEt-Api-Key-1" } })
        local report = assert(p:send{ to = { "+1" }, body = "x" })
        local e = report.failed[1].error
        assert.equal(400, e.status)
        assert.falsy(tostring(e):find("SeCrEt", 1, true))
        assert.falsy(cjson.encode(e):find("SeCrEt", 1, true))
      end)
    end)

    it("runs the example of docs/sms.md as printed", function()
      local f = assert(io.open("docs/sms.md"))
      local code = f:read("*a"):match("```lua\n(.-)```")
      f:close()
      local out = {}
      local env = setmetatable({ print = function(...)
        local t = { n = select("#", ...), ... }
        for i = 1, t.n do t[i] = tostring(t[i]) end
        out[#out + 1] = table.concat(t, "\t")
      end }, { __index = _G })
      local chunk = assert((loadstring or load)(code, "=docs/sms.md", "t", env))
      if setfenv then setfenv(chunk, env) end
      chunk()
      local text = table.concat(out, "\n")
      assert.truthy(text:find("1\tGSM-7", 1, true))
      assert.truthy(text:find("true\t2\t0\t0\t1", 1, true), text)
      local got = captured("acme")
      assert.equal(1, #got)
      assert.equal(2, #cjson.decode(got[1].body).msgs)
    end)

    it("reports encoding and segments per message in a dry run, sending nothing", function()
      local p = assert(sms.provider{ url = url("dry"), json = '{"m":[{"to":"$$To","t":"$$Body"}]}',
        batch = { key = "m" } })
      local report = assert(p:send{ to = { "+1", { to = "+2", body = "Привет" } }, body = string.rep("x", 200),
        dry_run = true })
      assert.is_true(report.dry_run)
      assert.equal(0, report.requests)
      assert.equal(1, #report.rendered)
      local m1, m2 = report.messages[1], report.messages[2]
      assert.same({ "+1", "GSM-7", 2 }, { m1.to, m1.encoding, m1.segments })
      assert.same({ "+2", "UCS-2", 1 }, { m2.to, m2.encoding, m2.segments })
      assert.equal(0, #captured("dry"))
    end)

    it("makes no request when the send cannot be rendered", function()
      local p = assert(sms.provider{ url = url("none"), params = { to = "$$To", t = "$$TemplateID" } })
      local report, err = p:send{ to = { "+1" } }
      assert.is_nil(report)
      assert.equal("validation", err.kind)
      assert.equal(0, #captured("none"))
    end)
  end)
end)
