-- Every campaign file in examples/ runs with the clevertap command against
-- the sandbox, and what arrived there is what the example says it sends.
-- Also the README's main job: examples/demo.sh end to end.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local function example(name) return cli.root .. "/examples/" .. name end

-- Runs `clevertap ARGV` (which must succeed) with env; returns the bodies
-- that arrived at the sandbox's `path` meanwhile, and the run.
-- Each run with a state directory of its own: an example created again
-- is sent again (a shared one would answer "already created").
local function sent(path, argv, env)
  local since = sandbox.last_seq()
  local state = files.temp_dir()
  local run_env = { XDG_STATE_HOME = state }
  for k, v in pairs(env or {}) do run_env[k] = v end
  local r = cli.run(argv, { env = run_env })
  files.remove_dir(state)
  assert.equal(0, r.code, r.stdout .. r.stderr)
  local out = {}
  for i, req in ipairs(sandbox.requests{ path = path, since = since }) do out[i] = cjson.decode(req.body) end
  return out, r
end

describe("examples/", function()
  local env
  before_each(function()
    sandbox.reset()
    sandbox.configure{ create_rate_per_sec = 0 }
    env = cli.sandbox_env()
  end)

  it("validates every example without errors or warnings", function()
    local r = cli.run({ "validate", "--strict", example("price_drop.lua"), example("weekly_digest.lua"),
                        example("whatsapp_template.lua"), example("bulletin.lua") })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local m = cli.run({ "validate", "--strict", "--endpoint", "send/push", example("bulk_send.lua") })
    assert.equal(0, m.code, m.stdout .. m.stderr)
  end)

  it("price_drop.lua creates one push campaign per product whose price dropped", function()
    local got = sent("/1/targets/create.json", { "create", example("price_drop.lua") }, env)
    -- data/catalog.lua: two of the three products are cheaper by >= 10%.
    assert.equal(2, #got)
    assert.equal("Price drop: Trail running shoes", got[1].name)
    assert.equal("Price drop: Noise-cancelling headphones", got[2].name)
    local c = got[1]
    assert.equal("push", c.target_mode)
    assert.equal("Product Viewed", c.where.event_name)
    assert.equal(tonumber(os.date("%Y%m%d")), c.where.to)
    assert.equal(tonumber(os.date("%Y%m%d", os.time() - 7 * 86400)), c.where.from)
    assert.equal("Trail running shoes is now 25% off", c.content.title)
    assert.equal("SKU-1042", c.conversion_goal.filter_type.event_property[1].property_value)
    assert.equal("now", c.when.type)
    assert.equal("delay", c.when.dnd.message_state)
    assert.same({ "22:00", "08:00" }, c.when.dnd.dnd_info["1"])
    -- PRICE_DROP_MIN_PERCENT filters products: 24% leaves only the 25% drop.
    assert.equal(1, #sent("/1/targets/create.json", { "create", example("price_drop.lua") },
                          cli.sandbox_env{ PRICE_DROP_MIN_PERCENT = "24" }))
  end)

  it("weekly_digest.lua creates a weekly recurring email with DND", function()
    local got = sent("/1/targets/create.json", { "create", example("weekly_digest.lua") }, env)
    assert.equal(1, #got)
    local w = got[1].when
    assert.equal("email", got[1].target_mode)
    assert.equal("recurring", w.type)
    assert.equal("week", w.repeat_type)
    assert.same({ 2 }, w.repeat_on_days_of_week)
    assert.equal(12, w.end_by_occurrences)
    assert.equal("user", w.delivery_timezone)
    assert.matches("^%d%d%d%d%d%d%d%d 09:00$", w.start_time)
    assert.equal("delay", w.dnd.message_state)
    assert.same({ "22:00", "07:00" }, w.dnd.dnd_info["2"])
    assert.same({ "23:00", "08:00" }, w.dnd.dnd_info["1"])
    -- and its preview shows Mondays at 09:00 on the account's clock
    local p = cli.run({ "preview", "--json", example("weekly_digest.lua"), "--count", "3", "--timezone", "UTC" })
    assert.equal(0, p.code, p.stdout .. p.stderr)
    local occ = cjson.decode(p.stdout).campaigns[1].occurrences
    assert.equal(3, #occ)
    for _, o in ipairs(occ) do assert.matches(" 09:00$", o.slot) end
  end)

  it("whatsapp_template.lua creates a WhatsApp template campaign", function()
    local got = sent("/1/targets/create.json", { "create", example("whatsapp_template.lua") },
                     cli.sandbox_env{ WHATSAPP_TEMPLATE = "abc_123:order_update" })
    assert.equal(1, #got)
    assert.equal("whatsapp", got[1].target_mode)
    assert.equal("abc_123:order_update", got[1].content.template_name)
    assert.equal("buddy", got[1].content.replacements["1"])
    assert.equal("Document", got[1].content.attachments.type)
  end)

  it("bulletin.lua raises the Program Released business event", function()
    local got = sent("/1/targets/trigger.json", { "trigger", example("bulletin.lua") }, env)
    assert.equal(1, #got)
    assert.equal("Program Released", got[1].business_event)
    assert.equal("Sa Re Ga Ma episode 12", got[1].name)
    assert.equal("234567", got[1].properties.program_id)
    assert.equal("releases@example.com", got[1]["c-by"])
  end)

  it("bulk_send.lua reaches 50,000 identities from a file, each exactly once", function()
    local dir = files.temp_dir()
    finally(function() files.remove_dir(dir) end)
    local ids = dir .. "/ids.txt"
    local made = os.execute(cli.quote(example("make_ids.sh")) .. " 50000 > " .. cli.quote(ids))
    assert.is_true(made == true or made == 0, "make_ids.sh failed")
    local got, r = sent("/1/send/push.json", { "send", "push", example("bulk_send.lua"), "--ids", ids, "--json" }, env)
    local doc = cjson.decode(r.stdout)
    assert.equal(50000, doc.identities)
    assert.equal(50000, doc.accepted)
    assert.equal(50, doc.requests)
    assert.equal(50, #got)
    local seen, n = {}, 0
    for _, body in ipairs(got) do
      assert.equal("season-sale", body.tag_group)
      assert.is_true(#body.to.Identity <= 1000)
      for _, id in ipairs(body.to.Identity) do
        assert.is_nil(seen[id], "sent twice: " .. id)
        seen[id] = true
        n = n + 1
      end
    end
    assert.equal(50000, n)
    assert.is_true(seen["user-1"] and seen["user-50000"])
  end)

  it("demo.sh runs the price-drop campaign end to end on its own sandbox", function()
    -- The demo's nginx loads the sandbox's build (a sanitizer build cannot).
    local p = io.popen("cd " .. cli.quote(cli.root) .. " && CT_LUA=" .. cli.quote(cli.lua)
      .. " BUILD=\"${SANDBOX_BUILD:-$BUILD}\" examples/demo.sh 2>&1; echo \"exit=$?\"")
    local out = p:read("*a")
    p:close()
    assert.matches("exit=0%s*$", out)
    assert.matches("== clevertap create examples/price_drop.lua", out, 1, true)
    assert.matches('created campaign %d+ %("Price drop: Trail running shoes"%)', out)
    assert.matches("estimated reach", out, 1, true)
    assert.matches("POST /1/targets/create.json", out, 1, true)
    assert.matches("passcode=REDACTED", out, 1, true)
    assert.is_nil(out:find("SANDBOX-PASSCODE", 1, true))
  end)
end)
