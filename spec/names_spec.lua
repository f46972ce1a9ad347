-- clevertap.names, the Lua copies of lists the C core holds, against the
-- core itself: the send channels against the schema registry, the regions
-- against the client's table (through its unknown-region message and the
-- URLs it builds). The CLI and the client take theirs from clevertap.names.
local core = require "clevertap.core"
local clevertap = require "clevertap"
local names = require "clevertap.names"
local defs = require "clevertap.cli.definitions"

local function option(list, flag)
  for _, o in ipairs(list) do
    if o[1] == flag then return o end
  end
end

local function command(name)
  for _, c in ipairs(defs.commands) do
    if c.name == name then return c end
  end
end

describe("clevertap.names", function()
  it("channels: the send/ endpoints of the schema registry, in its order", function()
    local from_registry = {}
    for _, e in ipairs(core.endpoints) do
      local ch = e:match("^send/(.+)$")
      if ch then from_registry[#from_registry + 1] = ch end
    end
    assert.is_true(#from_registry > 0)
    assert.same(from_registry, names.channels)
  end)

  it("regions: exactly the ones the C client's unknown-region message lists, each accepted", function()
    local c, err = clevertap.new { account_id = "a", passcode = "p", region = "mars" }
    assert.is_nil(c)
    local listed = assert(tostring(err.message):match("unknown region 'mars' %(known: ([^)]*)%)"), err.message)
    local got = {}
    for name in listed:gmatch("[^, ]+") do got[#got + 1] = name end
    assert.same(names.regions, got)
    for i, region in ipairs(names.regions) do
      local k = assert(clevertap.new { account_id = "a", passcode = "p", region = region })
      local host = i == 1 and "api.clevertap.com" or (region .. ".api.clevertap.com")
      assert.equal("https://" .. host .. "/1", k:info().base_url)
      k:close()
    end
  end)

  it("the default region is the first", function()
    local k = assert(clevertap.new { account_id = "a", passcode = "p", region = names.regions[1] })
    local d = assert(clevertap.new { account_id = "a", passcode = "p" })
    -- without CLEVERTAP_BASE_URL/CLEVERTAP_REGION in the environment the two agree
    if not os.getenv("CLEVERTAP_BASE_URL") and not os.getenv("CLEVERTAP_REGION") then
      assert.equal(k:info().base_url, d:info().base_url)
    end
    k:close()
    d:close()
  end)

  it("client:send refuses a channel not in the list, naming every one", function()
    local k = assert(clevertap.new { account_id = "a", passcode = "p", base_url = "http://127.0.0.1:9/1" })
    local ok, err = pcall(k.send, k, "fax", { content = { body = "b" } })
    k:close()
    assert.is_false(ok)
    local listed = assert(tostring(err):match("unknown channel \"fax\" %(known: ([^)]*)%)"), tostring(err))
    local sorted = {}
    for i, ch in ipairs(names.channels) do sorted[i] = ch end
    table.sort(sorted)
    assert.equal(table.concat(sorted, ", "), listed)
  end)

  it("the CLI's --region and send CHANNEL choices are these lists", function()
    assert.equal(names.regions, option(defs.common, "--region").choices)
    local send = assert(command("send"))
    assert.equal(names.channels, send.args[1].choices)
    assert.equal("push, webpush, email or sms", send.args[1][3])
  end)

  it("either and set", function()
    assert.equal("a", names.either { "a" })
    assert.equal("a or b", names.either { "a", "b" })
    assert.equal("a, b or c", names.either { "a", "b", "c" })
    assert.same({ a = true, b = true }, names.set { "a", "b" })
  end)
end)
