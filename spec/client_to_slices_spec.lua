-- A transport with a `yield` hook (the nginx one) gets `to` checked in
-- slices of 50,000 entries with yield() between them, so a large send does
-- not hold the host's event loop; what the check finds, and its problem
-- list, are the same as the one-pass check's.
local clevertap = require "clevertap"
local core = require "clevertap.core"
local U = require "support.client_util"

local SLICE = 50000

-- A table transport answering at once, counting yields and when the first
-- request came (after how many yields).
local function transport()
  local t = { yields = 0, requests = 0 }
  function t.request(_, req)
    t.requests = t.requests + 1
    t.first_after = t.first_after or t.yields
    return { status = 200, body = '{"status":"success","processed":' .. #req.body .. "}" }
  end
  function t.yield() t.yields = t.yields + 1 end
  return t
end

local function problems_of(client, to)
  local report, err = client:send("push", { to = to, content = U.content })
  assert.is_nil(report)
  assert.equal("validation", err.kind)
  local out = {}
  for _, p in ipairs(err.errors) do out[#out + 1] = p.pointer .. " " .. p.message end
  return out
end

describe("core.check_identities_slice", function()
  it("walks an array in slices and tells whether every entry is usable", function()
    local ids = U.ids(25)
    local key, seen, slices = nil, 0, 0
    repeat
      local next_key, entries, usable, n = core.check_identities_slice(ids, key, 10)
      assert.is_true(usable)
      assert.equal(25, n)
      seen, key, slices = seen + entries, next_key, slices + 1
    until key == nil
    assert.equal(25, seen)
    assert.equal(3, slices)
  end)

  it("finds what the whole check finds: a bad value, a stray key", function()
    for _, bad in ipairs { { "a", 5 }, { "a", "" }, { "a", "\255" }, { "a", x = "b" }, { "a", [0] = "b" } } do
      local _, _, usable = core.check_identities_slice(bad, nil, 100)
      assert.is_false(usable)
    end
    assert.same({ "FBID", "GPID", "Email", "Identity", "objectId" }, core.identity_types)
  end)
end)

describe("client:send with a yielding transport", function()
  it("checks a large `to` in slices before the first request and sends every identity", function()
    local t = transport()
    local client = U.client { transport = t }
    local n = 3 * SLICE + 123
    local report = assert(client:send("push", { to = { Identity = U.ids(n), Email = U.ids(10, "e") },
      content = U.content }))
    client:close()
    assert.equal(n + 10, report.accepted)
    assert.equal(3, t.first_after) -- 4 slices of Identity, a yield between each
    assert.equal(3, t.yields)
  end)

  it("reports the same problems as the one-pass check, wherever they are", function()
    local ids = U.ids(2 * SLICE + 10)
    ids[SLICE + 7] = 42
    ids[2 * SLICE + 3] = ""
    local holey = U.ids(SLICE + 5)
    holey[SLICE + 20] = "beyond"
    local stray = U.ids(SLICE + 1)
    stray.name = "x"
    for _, to in ipairs { { Identity = ids }, { Identity = holey }, { Identity = stray, GPID = { "g", 1 } } } do
      local t = transport()
      local sliced = U.client { transport = t }
      local plain = U.client { transport = function() error("nothing is sent") end }
      local a, b = problems_of(sliced, to), problems_of(plain, to)
      sliced:close()
      plain:close()
      assert.is_true(#a > 0)
      assert.same(b, a)
      assert.equal(0, t.requests)
    end
  end)

  it("checks again whole an array changed between slices", function()
    local ids = U.ids(2 * SLICE)
    local t = transport()
    function t.yield()
      t.yields = t.yields + 1
      ids[#ids + 1] = 7 -- grows the array with a bad entry while it is being checked
    end
    local client = U.client { transport = t }
    local report, err = client:send("push", { to = { Identity = ids }, content = U.content })
    client:close()
    assert.is_nil(report)
    assert.matches("to.Identity[" .. 2 * SLICE .. "]", err.message, 1, true)
    assert.equal(0, t.requests)
  end)

  it("refuses a yield hook that is not a function", function()
    assert.has_error(function()
      clevertap.new { account_id = "a", passcode = "p", transport = { request = print, yield = 1 } }
    end, "transport.yield: must be a function")
  end)
end)
