-- Provider template validation: every problem at once.
local sms = require "clevertap.sms"

local function problems(def)
  local p, err = sms.provider(def)
  assert.is_nil(p)
  assert.equal("validation", err.kind)
  local by = {}
  for _, e in ipairs(err.errors) do by[#by + 1] = e.pointer .. " " .. e.message end
  return by, err
end

local function has(list, pattern)
  for _, l in ipairs(list) do if l:find(pattern) then return true end end
  return false
end

describe("sms.provider validation", function()
  it("is clevertap.sms of the main module", function()
    assert.equal(sms, require("clevertap").sms)
    assert.equal("function", type(require("clevertap").sms.provider))
  end)

  it("accepts the reference's batching example, comments included", function()
    local p, err = sms.provider{
      url = "https://sms.example.test/send",
      json = [[{
        "hid": "$$hid", //Global Key-Value pair
        "tid": "$$TemplateID",
        "cid": "$$CampaignID",
        "type": "template",
        "msgs": [ { "seq": 1, "to": "$$To", "uid": "$$uid", /* per message */
                    "variables": "$$TemplateVariables", "enc": "utf8" } ]
      }]],
      batch = { key = "msgs", size = 100 },
    }
    assert.is_nil(err)
    assert.truthy(p)
  end)

  it("reports every problem of a bad template in one answer", function()
    local list, err = problems{
      url = "ftp://x.test/",
      json = '{"msgs": {"to": "x"}}',
      batch = { key = "msgs", size = 1001 },
      auth = { type = "digest" },
      headers = { ["X-A"] = "a\r\nInjected: 1" },
    }
    assert.truthy(has(list, "^/url .*http or https"))
    assert.truthy(has(list, "^/batch/size .*1001.*over the limit of 1000"))
    assert.truthy(has(list, "^/batch/key .*exactly one record"))
    assert.truthy(has(list, "^/auth/type unknown auth type \"digest\""))
    assert.truthy(has(list, "^/headers/X%-A .*CR or LF"))
    assert.truthy(has(list, "no %$%$To placeholder"))
    assert.truthy(has(list, "%$%$Body or %$%$TemplateID"))
    assert.equal(7, #list)
    -- one readable line per problem
    assert.equal(7, select(2, tostring(err.errors):gsub("\n", "")) + 1)
  end)

  it("requires $$To", function()
    local list = problems{ url = "https://x.test/", params = { text = "$$Body" } }
    assert.equal(1, #list)
    assert.truthy(list[1]:find("$$To", 1, true))
  end)

  it("requires $$Body or $$TemplateID, either is enough", function()
    local list = problems{ url = "https://x.test/", params = { to = "$$To" } }
    assert.equal(1, #list)
    assert.truthy(list[1]:find("$$Body or $$TemplateID", 1, true))
    assert.truthy(sms.provider{ url = "https://x.test/", params = { to = "$$To", t = "$$TemplateID" } })
    assert.truthy(sms.provider{ url = "https://x.test/", params = { to = "$$To", t = "$$Body" } })
  end)

  it("finds placeholders in headers and the URL too", function()
    assert.truthy(sms.provider{ url = "https://x.test/send/$$To", headers = { ["X-Text"] = "$$Body" } })
  end)

  it("rejects batch sizes over 1000 and below 1, and fractions", function()
    for _, size in ipairs { 1001, 0, -5, 2.5 } do
      local list = problems{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}',
        batch = { key = "m", size = size } }
      assert.equal(1, #list)
      assert.truthy(list[1]:find("^/batch/size"))
    end
    assert.truthy(sms.provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}',
      batch = { key = "m", size = 1000 } })
    assert.truthy(sms.provider{ url = "https://x.test/", json = '{"m":[{"to":"$$To","b":"$$Body"}]}',
      batch = { key = "m", size = 1 } })
  end)

  it("requires the batching key, holding an array of exactly one record", function()
    local base = { url = "https://x.test/", batch = { key = "msgs" } }
    local function with(json) base.json = json return problems(base) end
    assert.truthy(with('{"m":[{"to":"$$To","b":"$$Body"}]}')[1]:find("\"msgs\" is not a top%-level key"))
    assert.truthy(with('{"msgs":{"to":"$$To","b":"$$Body"}}')[1]:find("exactly one record"))
    assert.truthy(with('{"msgs":[{"to":"$$To","b":"$$Body"},{"to":"x"}]}')[1]:find("exactly one record"))
    assert.truthy(with('{"msgs":[]}, "x":"$$To"}')[1]:find("JSON template"))
    assert.truthy(with('{"msgs":["$$To"], "b":"$$Body"}')[1]:find("exactly one record"))
  end)

  it("requires $$To inside the batch record", function()
    local list = problems{ url = "https://x.test/", json = '{"to":"$$To","msgs":[{"b":"$$Body"}]}',
      batch = { key = "msgs" } }
    assert.equal(1, #list)
    assert.truthy(list[1]:find("outside the batch record"))
  end)

  it("requires a JSON template for key and array batching", function()
    local list = problems{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" }, batch = { key = "m" } }
    assert.truthy(list[1]:find("needs a JSON template"))
    list = problems{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}', batch = { array = true } }
    assert.truthy(list[1]:find("top level is an array of one record"))
  end)

  it("requires exactly one batching shape", function()
    local list = problems{ url = "https://x.test/", json = '[{"to":"$$To","b":"$$Body"}]',
      batch = { array = true, join = "," } }
    assert.truthy(list[1]:find("exactly one of"))
  end)

  it("join batching needs $$To once, as a whole value", function()
    local list = problems{ url = "https://x.test/", params = { to = "91$$To", b = "$$Body" }, batch = { join = "," } }
    assert.truthy(list[1]:find("whole value"))
    list = problems{ url = "https://x.test/", params = { to = "$$To", cc = "$$To", b = "$$Body" },
      batch = { join = "," } }
    assert.truthy(list[1]:find("exactly once"))
  end)

  it("rejects bad URLs with a reason", function()
    local cases = {
      ["not a url"] = "absolute", ["https://"] = "no host", ["https://u:p@x.test/"] = "credentials",
      ["https://$$host/x"] = "host", ["https://x.test/a b"] = "space", ["https://x.test/a#f"] = "fragment",
      ["mailto://x.test"] = "http or https",
    }
    for url, why in pairs(cases) do
      local list = problems{ url = url, params = { to = "$$To", b = "$$Body" } }
      assert.equal(1, #list, url)
      assert.truthy(list[1]:find(why, 1, true), url .. ": " .. list[1])
    end
  end)

  it("checks auth settings per type", function()
    local list = problems{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" }, auth = { type = "basic" } }
    assert.equal(2, #list)
    assert.truthy(has(list, "auth.username is required"))
    assert.truthy(has(list, "auth.password is required"))
    list = problems{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" }, auth = { type = "oauth2" } }
    assert.equal(3, #list)
    list = problems{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "oauth2", url = "nope", client_id = "i", client_secret = "s" } }
    assert.truthy(has(list, "^/auth/url"))
  end)

  it("rejects placeholders in keys and near-miss system names", function()
    local list = problems{ url = "https://x.test/", json = '{"$$k":"v","to":"$$To","b":"$$Body"}' }
    assert.equal(1, #list)
    assert.truthy(list[1]:find("placeholder in the JSON key", 1, true))
    list = problems{ url = "https://x.test/", params = { { "$$k", "v" }, { "to", "$$To" }, { "b", "$$Body" } } }
    assert.truthy(list[1]:find("placeholder in the key", 1, true))
    list = problems{ url = "https://x.test/", params = { to = "$$to", b = "$$Body" } }
    assert.truthy(has(list, "%$%$to is not a system placeholder: did you mean %$%$To%?"))
    assert.truthy(has(list, "no %$%$To placeholder"))
  end)

  it("accepts the auth names some provider docs use", function()
    local p = assert(sms.provider{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "basic", user = "u", password = "p" } })
    assert.equal("Basic dTpw", assert(p:render{ to = { "+1" }, body = "b" })[1].headers.Authorization)
    assert.truthy(sms.provider{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "oauth", token_url = "https://a.test/token", client_id = "i", client_secret = "s" } })
    local _, err = sms.provider{ url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      auth = { type = "basic", user = "u", username = "u", password = "p" } }
    assert.truthy(tostring(err.errors):find("are the same setting", 1, true))
  end)

  it("rejects bad JSON with line and column", function()
    local list = problems{ url = "https://x.test/", json = '{"to": "$$To",\n "b": $Body}' }
    assert.truthy(list[1]:find("line 2, column 7"))
    -- only the syntax error: what the template holds is not guessed at
    assert.equal(1, #list)
  end)

  it("rejects GET with a JSON body and POST with both bodies", function()
    local list = problems{ method = "GET", url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' }
    assert.truthy(list[1]:find("GET request has no body"))
    list = problems{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}', params = { a = "1" } }
    assert.truthy(list[1]:find("not both"))
  end)

  it("rejects invalid methods, header names, patterns", function()
    local list = problems{ method = "PUT", url = "https://x.test/", params = { to = "$$To", b = "$$Body" },
      headers = { ["Bad Name"] = "x" }, response = { success = "([", message_id = "no capture" } }
    assert.truthy(has(list, "^/method"))
    assert.truthy(has(list, "^/headers/Bad Name"))
    assert.truthy(has(list, "^/response/success .*not a valid Lua pattern"))
    assert.truthy(has(list, "^/response/message_id .*capture"))
  end)

  it("reports wrong Lua types and unknown keys as problems (raises only for a non-table)", function()
    assert.has_error(function() sms.provider("x") end)
    local list = problems{ url = 5 }
    assert.truthy(has(list, "^/url url must be a string, got number"))
    assert.truthy(has(list, "^/url url is required"))
    assert.truthy(has(list, "no %$%$To placeholder"))
    assert.truthy(has(problems{ url = "https://x.test/", bogus = 1 }, "^/bogus unknown key bogus"))
    assert.truthy(has(problems{ url = "https://x.test/", batch = { size = "10" } },
      "^/batch/size batch.size must be a number, got string"))
    assert.truthy(has(problems{ url = "https://x.test/", auth = { type = "basic", pass = "x" } },
      "unknown key auth.pass %(did you mean auth.password%?%)"))
    assert.truthy(has(problems{ url = "https://x.test/", params = { to = true } },
      "^/params/to params.to must be a string or a number"))
  end)

  it("never puts secrets in validation errors", function()
    local _, err = sms.provider{ url = "https://x.test/", auth = { type = "basic", username = "u",
      password = "S3cr3t-pw" }, params = { b = "$$Body" } }
    assert.falsy(tostring(err):find("S3cr3t", 1, true))
    assert.falsy(tostring(err.errors):find("S3cr3t", 1, true))
  end)

  it("gives one problem one message", function()
    -- params and json: giving both is the problem, not a missing $$To
    local list = problems { url = "https://x.test/", params = { { "to", "$$To" } }, json = '{"b":"$$Body"}' }
    assert.same({ "/json give the POST body as params (x-www-form-urlencoded) or as json, not both" }, list)
    -- a batch key holding two records: the batch shape is the one problem
    list = problems { url = "https://x.test/", json = '{"msgs":[{"to":"$$To"},{"to":"$$To"}],"b":"$$Body"}',
      batch = { key = "msgs" } }
    assert.equal(1, #list)
    assert.truthy(has(list, "^/batch/key .*exactly one record"))
    -- $$To outside a record, written twice: said once
    list = problems { url = "https://x.test/", json = '{"msgs":[{"b":"$$Body"}],"x":"$$To","y":"$$To"}',
      batch = { key = "msgs" } }
    assert.equal(1, #list)
    assert.truthy(has(list, "^/batch %$%$To is outside the batch record"))
    -- a placeholder in a JSON key: at "/" like other whole-template
    -- problems, and not also "no $$To placeholder"
    list = problems { url = "https://x.test/", json = '{"$$To":"$$Body"}' }
    assert.same({ '/ placeholder in the JSON key "$$To": placeholders go in values' }, list)
  end)
end)
