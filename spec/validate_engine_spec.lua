-- The validator as seen from Lua: table conversion, pointers, the
-- encoder's rules, options, the problem lists. The per-field rules of each
-- endpoint are in validate_rules_spec.lua and validate_examples_spec.lua.
local core = require "clevertap.core"
local cjson = require "cjson"

local function push()
  return { to = { Identity = { "a" } }, content = { title = "t", body = "b" } }
end

local function campaign()
  return { name = "n", target_mode = "push", where = {}, when = "now", devices = { "android" },
           content = { title = "t", body = "b" } }
end

-- the problem at `pointer` (asserting there is exactly one)
local function at(list, pointer)
  local found
  for _, p in ipairs(list) do
    if p.pointer == pointer then
      assert(not found, "two problems at " .. pointer .. ":\n" .. tostring(list))
      found = p
    end
  end
  assert(found, "no problem at " .. pointer .. ":\n" .. tostring(list))
  return found
end

local function errors_of(endpoint, payload, opts)
  local ok, list = core.validate(endpoint, payload, opts)
  assert.is_nil(ok, "expected errors, got none")
  return list
end

describe("validate: results", function()
  it("returns true and an array of warnings for a valid payload", function()
    local ok, warnings = core.validate("send/push", push())
    assert.is_true(ok)
    assert.equal("table", type(warnings))
    assert.equal(0, #warnings)
  end)

  it("returns nil and every problem, each with pointer, message and severity", function()
    local p = push()
    p.content.title = 5
    p.content.body = nil
    p.content.titel = "x"
    local list = errors_of("send/push", p)
    assert.equal(3, #list)
    local e1 = at(list, "/content/title")
    assert.equal("error", e1.severity)
    assert.matches("^content%.title: expected a[^,]*, got 5$", e1.message)
    assert.equal("error", at(list, "/content/body").severity)
    local w = at(list, "/content/titel")
    assert.equal("warning", w.severity)
    assert.matches('did you mean "title"', w.message, 1, true)
  end)

  it("keeps warnings of a valid payload with their severity", function()
    local p = push()
    p.content.boddy = "x"
    local ok, warnings = core.validate("send/push", p)
    assert.is_true(ok)
    assert.equal(1, #warnings)
    assert.equal("warning", warnings[1].severity)
    assert.equal("/content/boddy", warnings[1].pointer)
    assert.equal('content.boddy: unknown member (did you mean "body"?)', warnings[1].message)
  end)

  it("has a __tostring printing one line per problem", function()
    local p = push()
    p.content.title = nil
    p.content.titel = "x"
    local list = errors_of("send/push", p)
    local text = tostring(list)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(#list, #lines)
    -- "<severity> <message>", the message naming its field once
    assert.truthy((text .. "\n"):find('error   content.title: missing required member\n', 1, true), text)
    assert.truthy(text:find('warning content.titel: unknown member (did you mean "title"?)', 1, true), text)
    assert.is_nil(text:find("/content/", 1, true), text)
  end)

  it("orders problems deterministically (by payload position)", function()
    local p = push()
    p.content.zz1 = 1; p.content.aa1 = 2; p.content.mm1 = 3
    local _, w = core.validate("send/push", p)
    assert.same({ "/content/aa1", "/content/mm1", "/content/zz1" }, { w[1].pointer, w[2].pointer, w[3].pointer })
  end)

  it("caps the kept problems with opts.max_problems and says how many more in list.not_shown", function()
    local ids = {}
    for i = 1, 50 do ids[i] = "" end
    local list = errors_of("send/push", { to = { Identity = ids }, content = { title = "t", body = "b" } },
      { max_problems = 10 })
    assert.equal(10, #list)
    assert.equal(40, list.not_shown)
    assert.equal("/to/Identity/9", list[10].pointer)
  end)
end)

describe("validate: JSON Pointers", function()
  it("escapes ~ and / in member names (RFC 6901)", function()
    local p = push()
    p.content["a/b"] = 1
    p.content["m~n"] = 2
    p.content["~/"] = 3
    local _, w = core.validate("send/push", p)
    local ptrs = {}
    for _, x in ipairs(w) do ptrs[x.pointer] = true end
    assert.is_true(ptrs["/content/a~1b"])
    assert.is_true(ptrs["/content/m~0n"])
    assert.is_true(ptrs["/content/~0~1"])
  end)

  it("uses 0-based array indexes", function()
    local list = errors_of("send/push", { to = { Identity = { "a", "", "c" } }, content = { title = "t", body = "b" } })
    at(list, "/to/Identity/1")
  end)

  it("points at the root with the empty string", function()
    local list = errors_of("send/push", { [1] = "x" })
    assert.equal("", list[1].pointer)
  end)
end)

describe("validate: Lua tables", function()
  it("treats an empty table as an empty array where the schema expects an array", function()
    local c = campaign()
    c.target_mode = "whatsapp"
    c.devices = nil
    c.content = { template_name = "x", body = { replacements = {} } }
    local json = assert(core.encode("targets/create", c))
    assert.truthy(json:find('"replacements":[]', 1, true), json)
    assert.truthy(json:find('"where":{}', 1, true), json)
  end)

  it("reports sparse arrays", function()
    local p = push()
    p.to.Identity = { "a", nil, "c" }
    local e = at(errors_of("send/push", p), "/to/Identity")
    assert.matches("holes", e.message)
  end)

  it("reports tables mixing array items and named members", function()
    local p = push()
    p.to.Identity = { "a", x = "b" }
    local e = at(errors_of("send/push", p), "/to/Identity")
    assert.matches("mixes array items", e.message)
  end)

  it("reports keys that are neither strings nor 1..n", function()
    for _, key in ipairs({ true, 1.5, 0, -1, {} }) do
      local p = push()
      p.content[key] = "x"
      local e = at(errors_of("send/push", p), "/content")
      assert.matches("key", e.message)
    end
  end)

  it("reports NaN and infinities", function()
    for _, n in ipairs({ 0 / 0, math.huge, -math.huge }) do
      local p = push()
      p.content.platform_specific = { android = { badge = n } }
      local e = at(errors_of("send/push", p), "/content/platform_specific/android/badge")
      assert.matches("finite number", e.message)
    end
  end)

  it("reports functions, userdata and threads", function()
    for _, v in ipairs({ print, io.stdout, coroutine.create(function() end) }) do
      local p = push()
      p.content.title = v
      local e = at(errors_of("send/push", p), "/content/title")
      assert.matches("expected a JSON value", e.message)
    end
  end)

  it("reads cjson.null as JSON null", function()
    local p = push()
    p.content.platform_specific = { android = { x = cjson.null } }
    -- custom key-values are scalars: null is refused, as null (not as a userdata)
    local e = at(errors_of("send/push", p), "/content/platform_specific/android/x")
    assert.matches("got null$", e.message)
  end)

  it("reports cycles instead of looping", function()
    local p = push()
    local t = { a = {} }
    t.a.b = t
    p.content.platform_specific = { android = t }
    local e = at(errors_of("send/push", p), "/content/platform_specific/android/a/b")
    assert.matches("contains itself", e.message)
  end)

  it("accepts the same table twice when it is not a cycle", function()
    local ids = { "a", "b" }
    local p = { to = { Identity = ids, FBID = ids }, content = { title = "t", body = "b" } }
    assert.is_true((core.validate("send/push", p)))
  end)

  it("limits nesting depth with a clear error", function()
    local p = push()
    local deep = {}
    local cur = deep
    for _ = 1, 200 do cur.x = {}; cur = cur.x end
    p.content.platform_specific = { android = deep }
    local list = errors_of("send/push", p)
    local found
    for _, e in ipairs(list) do if e.message:match("nested too deeply") then found = e end end
    assert.truthy(found, tostring(list))
  end)

  it("reports invalid UTF-8 in values and member names", function()
    local bad = { "\255", "\192\175", "\237\160\128", "ab\226\130", "\244\144\128\128" }
    for _, s in ipairs(bad) do
      local p = push()
      p.content.title = s
      local e = at(errors_of("send/push", p), "/content/title")
      assert.matches("not valid UTF%-8", e.message)
    end
    local p = push()
    p.content["k\255"] = "v"
    local e = at(errors_of("send/push", p), "/content")
    assert.matches("not valid UTF%-8", e.message)
  end)

  it("accepts and keeps valid UTF-8 as is", function()
    local p = push()
    p.content.body = "Где ты, 日本, 🎉"
    local json = assert(core.encode("send/push", p))
    assert.equal("Где ты, 日本, 🎉", cjson.decode(json).content.body)
    assert.truthy(json:find("Где ты, 日本, 🎉", 1, true))
  end)

  it("handles huge strings", function()
    local p = push()
    p.content.body = string.rep("x", 5 * 1024 * 1024)
    local json = assert(core.encode("send/push", p))
    assert.equal(#p.content.body, #cjson.decode(json).content.body)
  end)

  it("never crashes on a mess of everything at once", function()
    local t = {}
    t.self = t
    local p = { to = { [true] = 1, Identity = { 0 / 0, print, "\255", { {}, { a = 1, 1 } } } },
                content = t, [2] = "x" }
    local ok, list = core.validate("send/push", p)
    assert.is_nil(ok)
    assert.truthy(#list > 0)
    assert.is_string(tostring(list))
  end)
end)

describe("encode", function()
  it("returns the exact JSON: compact, members sorted bytewise", function()
    local json = assert(core.encode("send/push", push()))
    assert.equal('{"content":{"body":"b","title":"t"},"to":{"Identity":["a"]}}', json)
  end)

  it("writes integers without exponent or .0", function()
    local c = campaign()
    c.ttl = { ttl_type = "absolute", value = 202207200000 }
    local json = assert(core.encode("targets/create", c, { now = 1600000000 }))
    assert.truthy(json:find('"value":202207200000', 1, true), json)
    local p = push()
    p.content.platform_specific = { android = { a = 2.0, b = 1e15, c = -0.0, d = 0.1, e = 1 / 3, f = 1.5e-300,
                                                g = -12345678901234 } }
    json = assert(core.encode("send/push", p))
    local a = json:match('"android":(%b{})')
    assert.equal('{"a":2,"b":1000000000000000,"c":0,"d":0.1,"e":0.3333333333333333,"f":1.5e-300,'
      .. '"g":-12345678901234}', a)
    -- 1e300 is integral but beyond int64: refused (validate_exact_spec.lua), never "1e+300"
    p.content.platform_specific.android.f = 1e300
    assert.is_nil((core.encode("send/push", p)))
    assert.equal(1 / 3, cjson.decode(json).content.platform_specific.android.e)
  end)

  it("keeps the int64 range (Lua 5.4 integers)", function()
    if not math.maxinteger then return end -- LuaJIT, 5.1 and 5.2: numbers are doubles
    local p = push()
    p.content.platform_specific = { android = { max = math.maxinteger, min = math.mininteger } }
    local json = assert(core.encode("send/push", p))
    assert.truthy(json:find('"max":9223372036854775807', 1, true), json)
    assert.truthy(json:find('"min":-9223372036854775808', 1, true), json)
  end)

  it("escapes strings per RFC 8259", function()
    local p = push()
    p.content.body = 'q"b\\s/\n\r\t\b\f\1\31\127'
    local json = assert(core.encode("send/push", p))
    assert.truthy(json:find([["body":"q\"b\\s/\n\r\t\b\f\u0001\u001f]] .. "\127" .. [["]], 1, true), json)
    assert.equal(p.content.body, cjson.decode(json).content.body)
  end)

  it("returns nil and the errors when the payload is invalid", function()
    local p = push()
    p.content = nil
    local json, errs = core.encode("send/push", p)
    assert.is_nil(json)
    at(errs, "/content")
    assert.is_string(tostring(errs))
  end)

  it("round-trips through cjson.decode", function()
    local c = campaign()
    c.when = { type = "later", delivery_date_time = { "20350101 10:00", "20350102 10:00" } }
    local json = assert(core.encode("targets/create", c))
    local again = assert(core.encode("targets/create", cjson.decode(json)))
    assert.equal(json, again)
  end)
end)

describe("opts", function()
  it("uses opts.now for the must-be-in-the-future checks", function()
    local c = campaign()
    c.when = "20300101 10:00"
    assert.is_true((core.validate("targets/create", c, { now = 1800000000 })))  -- 2027
    local list = errors_of("targets/create", c, { now = 2000000000 })            -- 2033
    assert.matches("future", at(list, "/when").message)
  end)

  it("allows 14 hours of slack for account and user time zones", function()
    local c = campaign()
    c.when = "20300101 10:00"
    local t = os.time({ year = 2030, month = 1, day = 1, hour = 10, min = 0, isdst = false })
      - (os.time({ year = 1970, month = 1, day = 2, hour = 0, isdst = false }) - 86400) -- as UTC
    assert.is_true((core.validate("targets/create", c, { now = t + 13 * 3600 })))
    assert.is_nil((core.validate("targets/create", c, { now = t + 15 * 3600 })))
  end)

  it("without = 'to': to is neither required, walked nor encoded", function()
    local p = push()
    p.to = nil
    assert.is_true((core.validate("send/push", p, { without = "to" })))
    assert.is_nil((core.validate("send/push", p)))
    local p2 = push()
    p2.to = { Identity = { "" } } -- not walked
    local json = assert(core.encode("send/push", p2, { without = "to" }))
    assert.equal('{"content":{"body":"b","title":"t"}}', json)
  end)

  it("raises on misuse: unknown endpoint, non-table payload, bad opts", function()
    assert.has_error(function() core.validate("send/fax", {}) end)
    assert.has_error(function() core.validate(nil, {}) end)
    assert.has_error(function() core.validate("send/push", "x") end)
    assert.has_error(function() core.validate("send/push", nil) end)
    assert.has_error(function() core.validate("send/push", push(), { nwo = 1 }) end)
    assert.has_error(function() core.validate("send/push", push(), { now = "soon" }) end)
    assert.has_error(function() core.validate("send/push", push(), { without = 1 }) end)
    assert.has_error(function() core.validate("send/push", push(), "x") end)
    assert.has_error(function() core.encode("send/fax", {}) end)
    assert.has_error(function() core.encode("send/push", push(), { foo = true }) end)
    local ok, err = pcall(core.validate, "send/fax", {})
    assert.is_false(ok)
    assert.matches("unknown endpoint 'send/fax'", err)
  end)

  it("knows the endpoints of docs/contract.md", function()
    for _, e in ipairs({ "targets/create", "targets/list", "targets/stop", "targets/result", "targets/trigger",
                         "send/push", "send/webpush", "send/email", "send/sms" }) do
      assert.is_true(core.endpoint_known(e), e)
    end
    assert.is_false(core.endpoint_known("send/fax"))
  end)

  it("lists the options it takes in an unknown option's error, each one accepted", function()
    local ok, err = pcall(core.validate, "send/push", push(), { nwo = 1 })
    assert.is_false(ok)
    local known = assert(tostring(err):match("unknown option 'nwo' %(known: ([^)]*)%)"))
    local names = {}
    for name in known:gmatch("[%w_]+") do names[#names + 1] = name end
    assert.same({ "now", "without", "max_problems" }, names)
    local good = { now = 1700000000, without = "to", max_problems = 5 }
    for _, name in ipairs(names) do
      assert.is_true((core.validate("send/push", push(), { [name] = good[name] })), name)
    end
  end)
end)

describe("validate: re-entrancy", function()
  it("works from a finalizer running during a validation", function()
    -- a __gc that validates: whichever call it interrupts must not be disturbed
    local ran = 0
    for _ = 1, 200 do
      setmetatable({}, { __gc = function() ran = ran + 1; core.validate("send/push", push()) end })
    end
    for _ = 1, 200 do
      local ok = core.validate("send/push", push())
      assert.is_true(ok)
    end
    collectgarbage()
    collectgarbage()
    assert.truthy(ran >= 0)
  end)
end)
