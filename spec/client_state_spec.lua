-- clevertap.new{ state = PATH }: client:create_campaign creates a campaign
-- once (docs/journal.md, "Campaigns created once"), checked against the
-- sandbox's request log; the answer lost after processing (a drop fault)
-- is an unknown outcome, refused until force = true.
local sandbox = require "support.sandbox"
local files = require "support.files"
local U = require "support.client_util"

local CREATE = "/1/targets/create.json"

local function campaign(name)
  return { name = name, where = { event_name = "App Launched", from = 20240101, to = 20240131 },
    content = { title = "Hi", body = "There" }, devices = { "android", "ios" }, when = "now" }
end

describe("campaigns created once (state = PATH)", function()
  local dir, client, db
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    dir = files.temp_dir()
    db = dir .. "/state.db"
    client = U.client { create_rate = false, state = db }
  end)
  after_each(function()
    client:close()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  it("a second create of the same campaign returns the recorded one and sends nothing", function()
    local first = assert(client:create_campaign(campaign("Once")))
    assert.is_nil(first.already)
    local again = assert(client:create_campaign(campaign("Once")))
    assert.is_true(again.already)
    assert.equal(first.id, again.id)
    assert.equal(1, #U.logged(CREATE))
    -- another process (a new client on the same file) sees the record too
    local other = U.client { create_rate = false, state = db }
    local third = assert(other:create_campaign(campaign("Once")))
    other:close()
    assert.is_true(third.already)
    assert.equal(first.id, third.id)
    assert.equal(1, #U.logged(CREATE))
    -- a different body is another campaign; force creates the same one again
    local changed = campaign("Once")
    changed.content.body = "Else"
    assert.is_nil(assert(client:create_campaign(changed)).already)
    local forced = assert(client:create_campaign(campaign("Once"), { force = true }))
    assert.is_nil(forced.already)
    assert.are_not.equal(first.id, forced.id)
    assert.equal(3, #U.logged(CREATE))
    assert.equal(forced.id, assert(client:create_campaign(campaign("Once"))).id)
  end)

  it("an answer lost after processing is unknown: refused without force, created with it", function()
    sandbox.faults { { path = CREATE, fault = "drop", count = 1 } }
    local r, err = client:create_campaign(campaign("Lost"))
    assert.is_nil(r)
    assert.equal("network", err.kind)
    assert.equal(1, #U.logged(CREATE))
    local r2, err2 = client:create_campaign(campaign("Lost"))
    assert.is_nil(r2)
    assert.equal("validation", err2.kind)
    assert.equal("unknown", err2.create)
    assert.matches("outcome is unknown", err2.message, 1, true)
    assert.matches("clevertap list", err2.message, 1, true)
    assert.equal(1, #U.logged(CREATE))
    local forced = assert(client:create_campaign(campaign("Lost"), { force = true }))
    assert.is_number(forced.id)
    assert.equal(2, #U.logged(CREATE))
    assert.is_true(assert(client:create_campaign(campaign("Lost"))).already)
  end)

  it("a 'sending' record left by a process that died while sending is refused like an unknown one", function()
    local core = require "clevertap.core"
    local body = assert(require("clevertap").encode("targets/create", campaign("Died")))
    local st = assert(core.state_open(db))
    assert(st:put(sandbox.account_id, core.create_key("Died", body), "sending"))
    st:close()
    local r, err = client:create_campaign(campaign("Died"))
    assert.is_nil(r)
    assert.equal("unknown", err.create)
    assert.matches("stopped or cancelled while being sent", err.message, 1, true)
    assert.equal(0, #U.logged(CREATE))
  end)

  it("client:start of create_campaign keeps the same record: sent once, answered from the record, refused when unknown",
    function()
    local done = {}
    local function on_done(r) done[#done + 1] = r end
    local job = assert(client:start("create_campaign", campaign("Async"), { on_done = on_done }))
    local first = assert(job:wait(10))
    assert.is_nil(first.already)
    assert.equal(1, #done)
    -- the record answers the blocking and the non-blocking forms alike
    assert.is_true(assert(client:create_campaign(campaign("Async"))).already)
    local again = assert(client:start("create_campaign", campaign("Async"), { on_done = on_done }))
    assert.same({ batches_done = 0, accepted = 0, requests = 0, in_flight = 0 }, again:progress())
    assert.is_true(again:is_done())
    assert.is_true(again:result().already)
    assert.equal(first.id, again:result().id)
    assert.equal(2, #done)
    assert.equal(first.id, assert(again:wait()).id)
    assert.equal(1, #U.logged(CREATE))
    -- force sends it again; an unknown outcome is refused at start
    local forced = assert(assert(client:start("create_campaign", campaign("Async"), { force = true })):wait(10))
    assert.are_not.equal(first.id, forced.id)
    sandbox.faults { { path = CREATE, fault = "drop", count = 1 } }
    local lost = assert(client:start("create_campaign", campaign("Lost async")))
    local r, err = lost:wait(10)
    assert.is_nil(r)
    assert.equal("network", err.kind)
    local r2, err2 = client:start("create_campaign", campaign("Lost async"))
    assert.is_nil(r2)
    assert.equal("unknown", err2.create)
    assert.equal(3, #U.logged(CREATE))
    -- a payload that does not validate records nothing and sends nothing
    local bad = campaign("Bad")
    bad.when = "yesterday"
    local r3, err3 = client:start("create_campaign", bad)
    assert.is_nil(r3)
    assert.equal("validation", err3.kind)
    assert.is_nil(err3.create)
    assert.equal(3, #U.logged(CREATE))
  end)

  it("a definite failure leaves no record: the next create is sent", function()
    sandbox.faults { { path = CREATE, fault = "500-89", count = 1 } }
    local c = U.client { create_rate = false, state = db, retry = { attempts = 1 } }
    local r, err = c:create_campaign(campaign("Refused"))
    assert.is_nil(r)
    assert.equal("api", err.kind)
    local ok = assert(c:create_campaign(campaign("Refused")))
    assert.is_nil(ok.already)
    assert.equal(2, #U.logged(CREATE))
    c:close()
  end)

  it("misuse raises at the caller; an unopenable state is nil, err; no state, no record", function()
    assert.has_error(function() client:create_campaign(campaign("x"), { forse = true }) end,
      'create_campaign: unknown option "forse" (did you mean "force"?)')
    local bad, err = require("clevertap").new { account_id = "a", passcode = "p", state = dir .. "/no/such/dir/s.db" }
    assert.is_nil(bad)
    assert.equal("validation", err.kind)
    assert.matches("cannot open it", err.message, 1, true)
    local plain = U.client { create_rate = false }
    assert(plain:create_campaign(campaign("Twice")))
    assert.is_nil(assert(plain:create_campaign(campaign("Twice"))).already)
    plain:close()
    assert.equal(2, #U.logged(CREATE))
  end)
end)
