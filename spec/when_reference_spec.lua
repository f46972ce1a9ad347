-- Round-trips with the API reference (create-campaign.txt, the `when` and
-- `dnd` rows and the example payloads): builders written the way a person
-- would equal the documented form, the documented form reads back through
-- when.normalize unchanged, and both validate as targets/create payloads.
local when = require "clevertap.when"
local fx = require "fixtures.util"

local ok_ct, clevertap = pcall(require, "clevertap")
local validate = ok_ct and type(clevertap) == "table" and clevertap.validate
-- Only while the validator is not built: every other spec here still runs.
local it_validates = validate and it or pending

local APRIL_2022 = fx.utc(2022, 4, 1)

local function payload(w)
  return {
    name = "when round-trip",
    target_mode = "push",
    where = { event_name = "App Launched", from = 20220101, to = 20220301 },
    content = { title = "Hi", body = "Hello" },
    devices = { "android", "ios" },
    when = w,
  }
end

-- Errors and warnings that point into /when.
local function when_problems(w)
  local ok, problems = validate("targets/create", payload(w), { now = APRIL_2022 })
  local out = {}
  for _, p in ipairs(problems or {}) do
    if p.pointer:sub(1, 5) == "/when" then out[#out + 1] = p.severity .. " " .. p.pointer .. ": " .. p.message end
  end
  return ok, out
end

-- The documented forms, as the reference writes them.
local documented = {
  now = "now",
  -- the when.* rows' example values, assembled (fixture when-recurring-week)
  recurring_week = {
    type = "recurring", repeats_every = 2, repeat_type = "week", start_time = "20220415 12:05",
    end_by_date = "20220420", repeat_on_days_of_week = { 1, 3, 5 }, delivery_timezone = "account",
    user_timezone_wrap_around = true,
    dnd = { message_state = "discard", dnd_timezone = "account",
            dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } },
    campaign_cutoff = "12:20",
  },
  recurring_occurrences = {
    type = "recurring", repeats_every = 2, repeat_type = "day", start_time = "20220415 12:05",
    end_by_occurrences = 8, delivery_timezone = "user", user_timezone_wrap_around = true,
    campaign_cutoff = "12:20",
  },
  -- the "when" of the push example payload (type now with DND)
  now_with_dnd = {
    type = "now", delivery_timezone = "user", user_timezone_wrap_around = true,
    dnd = { message_state = "delay", dnd_timezone = "user",
            dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" }, ["5"] = { "09:00", "09:13" } } },
    campaign_cutoff = "08:00",
  },
  -- the `when` object row, with message_state "delay" for its Integer 1
  later = {
    type = "later", delivery_date_time = { "20220420 13:00", "20220421 14:00" }, delivery_timezone = "user",
    user_timezone_wrap_around = true,
    dnd = { message_state = "delay", dnd_timezone = "user",
            dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } },
    campaign_cutoff = "14:20",
  },
  -- the dnd row
  dnd = { message_state = "delay", dnd_timezone = "user",
          dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } },
}

-- The same schedules the way a person writes them.
local built = {
  now = function() return when.now() end,
  recurring_week = function()
    return when.weekly {
      every = 2, days = { "sun", "tue", "thu" }, start = "2022-04-15 12:05", end_date = "2022-04-20",
      delivery_timezone = "account", wrap_around = true, cutoff = "12:20",
      dnd = { state = "discard", timezone = "account",
              windows = { mon = { "21:00", "06:00" }, wed = { "23:56", "04:34" } } },
    }
  end,
  recurring_occurrences = function()
    return when.daily { every = 2, start = { year = 2022, month = 4, day = 15, hour = 12, min = 5 },
                        occurrences = 8, delivery_timezone = "user", wrap_around = true, cutoff = "12:20" }
  end,
  now_with_dnd = function()
    return when.now {
      delivery_timezone = "user", wrap_around = true, cutoff = "8:00",
      dnd = { state = "delay", timezone = "user",
              windows = { Monday = { "21:00", "6:00" }, Wednesday = { "23:56", "4:34" },
                          Thursday = { "9:00", "9:13" } } },
    }
  end,
  later = function()
    return when.later {
      "20220420 13:00", "2022-04-21 14:00", delivery_timezone = "user", wrap_around = true, cutoff = "14:20",
      dnd = when.dnd { state = "delay", timezone = "user",
                       windows = { [2] = { "21:00", "06:00" }, [4] = { "23:56", "04:34" } } },
    }
  end,
  dnd = function()
    return when.dnd { state = "delay", timezone = "user",
                      windows = { mon = { "21:00", "06:00" }, wed = { "23:56", "04:34" } } }
  end,
}

describe("when and the reference's documented forms", function()
  for _, name in ipairs { "now", "recurring_week", "recurring_occurrences", "now_with_dnd", "later", "dnd" } do
    it(name .. ": the builder gives the documented form", function()
      assert.same(documented[name], built[name]())
    end)
    if name ~= "dnd" then
      it(name .. ": the documented form reads back unchanged", function()
        assert.same(documented[name], when.normalize(fx.copy(documented[name])))
      end)
      it_validates(name .. ": the builder's form validates as a targets/create payload", function()
        local ok, problems = when_problems(built[name]())
        assert.same({}, problems)
        assert.is_true(ok)
      end)
    end
  end

  it("matches the JSON fixtures copied from the reference", function()
    assert.same(documented.recurring_week,
      when.normalize(fx.load("targets-create-fragment-when-recurring-week.json").when))
    assert.same(documented.recurring_occurrences,
      when.normalize(fx.load("targets-create-fragment-when-recurring-occurrences.json").when))
    assert.same(documented.now_with_dnd, when.normalize(fx.load("targets-create-push-conversion-goal.json").when))
    assert.same(documented.dnd, when.dnd(fx.load("targets-create-fragment-dnd.json").dnd))
  end)

  it("refuses the when row's message_state 1, saying why", function()
    local w = fx.load("targets-create-fragment-when-later.json").when
    local ok, err = pcall(when.normalize, w)
    assert.is_false(ok)
    assert.matches('dnd.message_state: expected "delay" or "discard", got 1', err, nil, true)
    w.dnd.message_state = "delay"
    assert.same(documented.later, when.normalize(w))
  end)

  it("writes integers where the reference has integers", function()
    local w = built.recurring_occurrences()
    assert.equal("2 8", string.format("%s %s", w.repeats_every, w.end_by_occurrences))
    local days = built.recurring_week().repeat_on_days_of_week
    assert.equal("1,3,5", table.concat(days, ","))
  end)

  it_validates("builder output passes for every builder and option", function()
    local schedules = {
      when.at("20220420 13:00"),
      when.at("20220420 13:00", { delivery_timezone = "account", cutoff = "14:00" }),
      when.later { "20220420 13:00", "20220421 14:00", "20220501 09:30" },
      when.daily { start = "20220415 12:05" },
      when.daily { start = "20220415 12:05", end_date = "20220415" },
      when.weekly { start = "20220415 12:05", days = { "sat", "sun" }, occurrences = 1 },
      when.now { dnd = { timezone = "account", windows = { all = { "22:00", "07:00" } } } },
      when.now { dnd = { timezone = "account", state = "delay",
                         windows = { weekend = { from = "1:00", to = "2:00" } } } },
    }
    for i, w in ipairs(schedules) do
      local ok, problems = when_problems(w)
      assert.same({}, problems, "schedule " .. i)
      assert.is_true(ok, "schedule " .. i)
    end
  end)

  it_validates("the check above sees problems in /when when there are some", function()
    local ok, problems = when_problems({ type = "later", delivery_timezone = "user" })
    assert.is_nil(ok)
    assert.is_true(#problems > 0)
  end)

  it_validates("the validator agrees that past dates are refused (the builders leave that to it)", function()
    local ok = validate("targets/create", payload(when.at("20220301 10:00")), { now = APRIL_2022 })
    assert.is_nil(ok)
  end)
end)
