-- Issue 17 ("Validation"): pointers exact for any member name, every problem
-- reported, String-typed fields refusing integers, integral floats beyond
-- int64, members whose variant cannot be chosen, the nesting limit.
local core = require "clevertap.core"

local function push()
  return { to = { Identity = { "a" } }, content = { title = "t", body = "b" } }
end

local function campaign()
  return { name = "n", target_mode = "push", where = {}, when = "now", devices = { "android" },
           content = { title = "t", body = "b" } }
end

-- every problem at `pointer`
local function all_at(list, pointer)
  local found = {}
  for _, p in ipairs(list) do
    if p.pointer == pointer then found[#found + 1] = p end
  end
  return found
end

local function at(list, pointer)
  local found = all_at(list, pointer)
  assert(#found == 1, ("expected one problem at %q, got %d:\n%s"):format(pointer, #found, tostring(list)))
  return found[1]
end

describe("validate: pointers are exact for any member name", function()
  it("keeps a NUL byte of a member name in the pointer", function()
    local p = push()
    p.content["k\0x"] = 1
    local ok, list = core.validate("send/push", p)
    assert.is_true(ok)
    local w = at(list, "/content/k\0x")
    assert.equal("warning", w.severity)
    assert.equal(0, #all_at(list, "/content/k"))
    -- the readable path shows the byte escaped, the message has no NUL
    assert.matches('content["k\\x00x"]', w.message, 1, true)
    assert.is_nil(w.message:find("\0", 1, true))
  end)

  it("does not report an unknown member at a known member's pointer", function()
    local c = campaign()
    c["respect_frequency_caps\0"] = true
    c.respect_frequency_caps = false
    local ok, list = core.validate("targets/create", c)
    assert.is_true(ok)
    assert.equal(0, #all_at(list, "/respect_frequency_caps"))
    local w = at(list, "/respect_frequency_caps\0")
    assert.matches("unknown member", w.message, 1, true)
  end)

  it("escapes ~ and / around the NUL as RFC 6901 says, and errors point there too", function()
    local c = campaign()
    c.where = { ["a/\0~b"] = { 1 } }
    local _, list = core.validate("targets/create", c)
    at(list, "/where/a~1\0~0b")
    local p = push()
    p.content["x\0"] = { [1] = 1, y = 2 }
    local ok, list2 = core.validate("send/push", p)
    assert.is_nil(ok)
    local sev = {}
    for _, q in ipairs(all_at(list2, "/content/x\0")) do sev[q.severity] = true end
    assert.is_true(sev.error)
  end)

  it("sorts conversion problems by the whole name, NUL bytes included", function()
    local p = push()
    p.content["b\0b"] = function() end
    p.content["b\0a"] = function() end
    p.content["b"] = function() end
    local _, list = core.validate("send/push", p)
    assert.equal("/content/b", list[1].pointer)
    assert.equal("/content/b\0a", list[2].pointer)
    assert.equal("/content/b\0b", list[3].pointer)
  end)
end)

describe("validate: ALL problems are reported", function()
  local function bad_identities(n)
    local ids = {}
    for i = 1, n do ids[i] = "" end
    return { to = { Identity = ids }, content = { title = "t", body = "b" } }
  end

  it("reports 1500 bad identities as 1500 problems, none of them made up", function()
    local ok, list = core.validate("send/push", bad_identities(1500))
    assert.is_nil(ok)
    assert.equal(1500, #list)
    for i, p in ipairs(list) do
      assert.equal("/to/Identity/" .. (i - 1), p.pointer)
      assert.equal("error", p.severity)
    end
    assert.is_nil(list.not_shown)
    assert.equal(0, #all_at(list, ""))
  end)

  it("caps only when asked, and says so in a field of the list, not as a problem", function()
    local ok, list = core.validate("send/push", bad_identities(1500), { max_problems = 10 })
    assert.is_nil(ok)
    assert.equal(10, #list)
    assert.equal(1490, list.not_shown)
    for _, p in ipairs(list) do assert.matches("^/to/Identity/%d$", p.pointer) end
    -- the readable form still says it
    assert.matches("1490 more problems not shown", tostring(list), 1, true)
    local json, errs = core.encode("send/push", bad_identities(30), { max_problems = 5 })
    assert.is_nil(json)
    assert.equal(5, #errs)
    assert.equal(25, errs.not_shown)
    -- a cap that is not reached leaves no field
    local _, all = core.validate("send/push", bad_identities(3), { max_problems = 5 })
    assert.equal(3, #all)
    assert.is_nil(all.not_shown)
  end)

  it("the SMS renderer reports every problem too", function()
    local sms = require "clevertap.sms"
    local p = assert(sms.provider{ url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' })
    local to = {}
    for i = 1, 45 do to[i] = "+1\255" .. i end
    local reqs, err = p:render{ to = to, body = "b" }
    assert.is_nil(reqs)
    assert.equal("validation", err.kind)
    assert.equal(45, #err.errors)
    for i, q in ipairs(err.errors) do
      assert.matches("^recipient " .. i .. " ", q.message)
      assert.is_nil(q.message:find("more problems", 1, true))
    end
  end)
end)

describe("validate: documented members whose variant cannot be chosen", function()
  local function wa()
    local c = campaign()
    c.target_mode = "whatsapp"
    c.content = { template_name = "ns:tpl", replacements = { name = "x" },
                  attachments = { type = "Document", value = "https://x.test/a.pdf" } }
    return c
  end

  it("says content is not checked when target_mode is invalid", function()
    for _, mode in ipairs { "pushh", 5 } do
      local c = campaign()
      c.target_mode = mode
      c.ttl = { ttl_type = "relative", value = 60 }
      local ok, list = core.validate("targets/create", c)
      assert.is_nil(ok)
      assert.equal("error", at(list, "/target_mode").severity)
      for _, ptr in ipairs { "/content", "/devices", "/ttl" } do
        local w = at(list, ptr)
        assert.equal("warning", w.severity)
        assert.matches("not checked: target_mode is invalid", w.message, 1, true)
        assert.is_nil(w.message:find("unknown member", 1, true))
      end
    end
  end)

  it("says attachments.value is not checked when the attachment type is unsupported", function()
    local c = wa()
    assert.is_true((core.validate("targets/create", c)))
    c.content.attachments.type = "Audio"
    local ok, list = core.validate("targets/create", c)
    assert.is_nil(ok)
    assert.equal("error", at(list, "/content/attachments/type").severity)
    local w = at(list, "/content/attachments/value")
    assert.matches("not checked: type is invalid", w.message, 1, true)
    c.content.attachments.type = nil
    list = select(2, core.validate("targets/create", c))
    assert.matches("not checked: type is missing", at(list, "/content/attachments/value").message, 1, true)
  end)

  it("names the campaign kinds a member belongs to, in another kind", function()
    local c = campaign()
    c.target_mode = "sms"
    c.content = { body = "b" }
    c.ttl = { ttl_type = "relative", value = 60 }
    local ok, list = core.validate("targets/create", c)
    assert.is_true(ok)
    assert.matches('ttl: only used when target_mode is "push" (ignored here: target_mode is "sms")',
      at(list, "/ttl").message, 1, true)
    assert.matches('only used when target_mode is "push"', at(list, "/devices").message, 1, true)
    -- a member no kind knows is still unknown
    c.tll = 1
    list = select(2, core.validate("targets/create", c))
    assert.matches("unknown member", at(list, "/tll").message, 1, true)
  end)
end)

describe("encode: integral numbers beyond int64", function()
  it("refuses them with a clear error instead of writing an exponent", function()
    for _, n in ipairs { 1e22, -1e22, 2 ^ 63, 1e300 } do
      local c = campaign()
      c.where = { common_profile_properties = { profile_fields = { { name = "n", operator = "equals", value = n } } } }
      local json, errs = core.encode("targets/create", c)
      assert.is_nil(json)
      local e = at(errs, "/where/common_profile_properties/profile_fields/0/value")
      assert.equal("error", e.severity)
      assert.matches("outside the int64 range", e.message, 1, true)
      assert.matches("cannot be written exactly", e.message, 1, true)
    end
    local json, errs = core.encode("targets/stop", { id = 1e22 })
    assert.is_nil(json)
    assert.matches("int64", at(errs, "/id").message, 1, true)
  end)

  it("still writes the int64 extremes and non-integral numbers as before", function()
    local c = campaign()
    local field = { name = "n", operator = "equals", value = 2 ^ 62 }
    c.where = { common_profile_properties = { profile_fields = { field } } }
    assert.matches('"value":4611686018427387904', assert(core.encode("targets/create", c)), 1, true)
    c.where.common_profile_properties.profile_fields[1].value = 0.5
    assert.matches('"value":0.5', assert(core.encode("targets/create", c)), 1, true)
  end)
end)

describe("validate: the nesting limit is a hard limit for the whole payload", function()
  -- n nested objects {a = {a = ... 1}} : n levels
  local function nest(n)
    local v = 1
    for _ = 1, n do v = { a = v } end
    return v
  end
  local function deepest(n) return "/zz" .. ("/a"):rep(n - 1) end

  it("takes 64 levels, counting the payload itself, under an unknown member too (a warning only)", function()
    local p = push()
    p.zz = nest(63)
    local ok, list = core.validate("send/push", p)
    assert.is_true(ok, tostring(list))
    assert.equal(1, #list)
    assert.matches("unknown member", at(list, "/zz").message, 1, true)
    assert.truthy(core.encode("send/push", p))
  end)

  it("refuses a 65th level wherever it is, unknown members included, saying it is a hard limit", function()
    local p = push()
    p.zz = nest(64)
    local ok, list = core.validate("send/push", p)
    assert.is_nil(ok)
    local e = at(list, deepest(64))
    assert.equal("error", e.severity)
    assert.matches("nested too deeply: more than 64 levels", e.message, 1, true)
    assert.matches("a limit for the whole payload, unknown members included", e.message, 1, true)
    assert.equal("warning", at(list, "/zz").severity)
  end)
end)
