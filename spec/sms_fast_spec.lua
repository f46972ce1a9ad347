-- The C fast path for batch records renders the same bytes as the Lua path,
-- and declines (so the Lua path reports) whatever it does not cover.
local sms = require "clevertap.sms"
local fast = require "clevertap.sms.fast"

-- Renders with the Lua path, then with the fast path; counts the requests
-- the fast path rendered and declined.
local rendered, declined
local function both(def, opts)
  local p = assert(sms.provider(def))
  local saved, records = fast.available, fast.records
  fast.available = false
  local lua_reqs, lua_err = p:render(opts)
  fast.available = saved
  rendered, declined = 0, 0
  fast.records = function(...)
    local text, why = records(...)
    if text then rendered = rendered + 1 else declined = declined + 1 end
    return text, why
  end
  local ok, c_reqs, c_err = pcall(p.render, p, opts)
  fast.records = records
  if not ok then error(c_reqs, 0) end
  return lua_reqs, c_reqs, lua_err, c_err
end

local function bodies(reqs)
  local out = {}
  for i, r in ipairs(reqs) do out[i] = { url = r.url, body = r.body, ids = r.message_ids, to = r.to } end
  return out
end

describe("render fast path", function()
  it("is built (the specs run against a build)", function()
    assert.is_true(fast.available)
  end)

  local recipients = {
    "+911", 919800000002, { to = "+913", values = { uid = 'q"uote\\ \n tab\t' } },
    { to = "+914", body = "नमस्ते 😀 €", values = { uid = 12.5 } },
    { to = "+915", values = { uid = true }, message_id = "own-5" },
    { to = "+916", values = { uid = 2 ^ 53 + 2 } }, { to = "+917", message_id = 77 },
  }
  local opts = { to = recipients, body = "Hi {x} \127 & <b>", template_id = "T", campaign_id = 99,
    values = { uid = "default", hid = "H" }, template_variables = { a = 1 }, message_id_prefix = "run" }

  it("matches the Lua path inside a JSON body", function()
    local l, c = both({ url = "https://x.test/", json = '{"h":"$$hid","m":[{"to":"$$To","u":"$$uid","t":"x $$uid y",'
      .. '"b":"$$Body","v":"$$TemplateVariables","id":"$$MessageID","c":"$$CampaignID"}]}',
      batch = { key = "m", size = 3 } }, opts)
    assert.same(bodies(l), bodies(c))
    assert.equal(3, rendered)
    assert.equal(0, declined)
  end)

  it("matches the Lua path for JSON inside a form field and a query parameter", function()
    local l, c = both({ url = "https://x.test/", params = { { "k", "v" }, { "data", { json =
      '{"m":[{"n":"$$To","t":"$$Body","u":"pre $$uid"}]}' } } }, batch = { key = "m" } }, opts)
    assert.same(bodies(l), bodies(c))
    assert.equal(1, rendered)
    l, c = both({ method = "GET", url = "https://x.test/q", params = { { "data", { json =
      '[{"n":"$$To","t":"$$Body","u":"$$uid"}]' } } }, batch = { array = true, size = 4 } }, opts)
    assert.same(bodies(l), bodies(c))
  end)

  it("declines tables in a record and lets the Lua path render them", function()
    local o = { to = { { to = "+1", template_variables = { 1, 2 } }, "+2" }, body = "b",
      template_variables = { x = "y" } }
    local l, c = both({ url = "https://x.test/", json = '[{"to":"$$To","v":"$$TemplateVariables","b":"$$Body"}]',
      batch = { array = true } }, o)
    assert.same(bodies(l), bodies(c))
    assert.equal(1, declined)
    assert.equal('[{"to":"+1","v":[1,2],"b":"b"},{"to":"+2","v":{"x":"y"},"b":"b"}]', c[1].body)
  end)

  it("declines recipients giving values under placeholder names; the Lua path renders them alike", function()
    local def = { url = "https://x.test/", json = '{"h":"$$hid","m":[{"to":"$$To","u":"$$uid","b":"$$Body"}]}',
      batch = { key = "m" } }
    local l, c = both(def, { to = { { To = "+1", uid = "a", Body = "x" }, { to = "+2", uid = 3 } }, body = "b",
      hid = "H" })
    assert.same(bodies(l), bodies(c))
    assert.equal(1, declined)
    assert.equal('{"h":"H","m":[{"to":"+1","u":"a","b":"x"},{"to":"+2","u":3,"b":"b"}]}', c[1].body)
    -- a personal value for a campaign-level placeholder is refused either way
    local _, _, le, ce = both(def, { to = { { to = "+1", uid = "a", hid = "mine" } }, body = "b", hid = "H" })
    assert.same(le.errors, ce.errors)
    assert.truthy(tostring(ce):find("$$hid is campaign-level", 1, true))
  end)

  it("reports the same problems as the Lua path", function()
    local def = { url = "https://x.test/", json = '{"h":"$$hid","m":[{"to":"$$To","u":"$$uid"}],"t":"$$TemplateID"}',
      batch = { key = "m" } }
    local cases = {
      { to = { "+1", { to = "+2", values = { hid = "mine" } } }, template_id = "T", values = { hid = "h", uid = "u" } },
      { to = { "+1", { to = "" } }, template_id = "T", values = { hid = "h", uid = "u" } },
      { to = { "+1", { to = "+2", template_id = "own" } }, template_id = "T", values = { hid = "h", uid = "u" } },
      { to = { "+1", "+2" }, template_id = "T", values = { hid = "h" } },
      { to = { "+1", { to = "+2", body = "\255" } }, template_id = "T", values = { hid = "h", uid = "u" } },
    }
    for _, o in ipairs(cases) do
      local l, c, le, ce = both(def, o)
      assert.is_nil(l)
      assert.is_nil(c)
      assert.same(le.errors, ce.errors)
    end
  end)

  it("takes every recipient field in every type the Lua path takes, with the same bytes", function()
    -- render.lua's RECIPIENT: sender and template_id may be numbers, message_id too
    local def = { url = "https://x.test/", json = '[{"to":"$$To","s":"$$Sender","t":"$$TemplateID",'
      .. '"id":"$$MessageID","b":"$$Body"}]', batch = { array = true } }
    local o = { to = { { to = "+1", sender = 4455, template_id = 7, message_id = 9 },
      { to = 919800000002, sender = "ACME", template_id = "T2", message_id = "m-2", body = "own" } },
      body = "b", sender = "S", template_id = "T" }
    local l, c = both(def, o)
    assert.same(bodies(l), bodies(c))
    assert.equal(1, rendered)
    assert.equal(0, declined)
    -- a placeholder that is a whole JSON string takes a number as a JSON number
    assert.equal('[{"to":"+1","s":4455,"t":7,"id":9,"b":"b"},'
      .. '{"to":919800000002,"s":"ACME","t":"T2","id":"m-2","b":"own"}]', c[1].body)
  end)

  it("raises on misuse in recipients like the Lua path", function()
    local p = assert(sms.provider{ url = "https://x.test/", json = '[{"to":"$$To","b":"$$Body"}]',
      batch = { array = true } })
    assert.has_error(function() p:render{ to = { "+1", { to = "+2", bogus = 1 } }, body = "b" } end,
      'render: to[2]: unknown option "bogus" (known: body, message_id, sender, template_id, '
        .. 'template_variables, to, values)')
    assert.has_error(function() p:render{ to = { "+1", { to = "+2", body = 5 } }, body = "b" } end)
    assert.has_error(function() p:render{ to = { "+1", false }, body = "b" } end)
  end)
end)
