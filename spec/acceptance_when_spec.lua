-- Acceptance: clevertap.when as SPEC.md and the issue describe it: builders
-- for every form of `when` in the API reference (their output equals the
-- reference's hand-written form and validates), mistakes raised at the
-- caller's line, and when.preview's concrete send instants.
local clevertap = require "clevertap"
local when = clevertap.when
local cjson = require "cjson"
local errors = require "clevertap.error"

-- Epoch seconds of a UTC wall time, without the process time zone.
local function utc(y, m, d, hh, mm)
  local a = math.floor((14 - m) / 12)
  local yy, mo = y + 4800 - a, m + 12 * a - 3
  local jdn = d + math.floor((153 * mo + 2) / 5) + 365 * yy + math.floor(yy / 4) - math.floor(yy / 100)
    + math.floor(yy / 400) - 32045
  return (jdn - 2440588) * 86400 + (hh or 0) * 3600 + (mm or 0) * 60
end

local APRIL_2022 = utc(2022, 4, 1)
local NOW = utc(2035, 1, 1)

local function campaign(w)
  return { name = "n", target_mode = "push", where = {}, devices = { "android" },
           content = { title = "t", body = "b" }, when = w }
end

local function validates(w, now)
  local ok, problems = clevertap.validate("targets/create", campaign(w), { now = now or NOW })
  assert(ok == true, tostring(problems))
  -- and encodes to JSON that decodes to the same value
  local json = assert(clevertap.encode("targets/create", campaign(w), { now = now or NOW }))
  assert.same(w, cjson.decode(json).when)
end

local function raises(pattern, f)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  assert.matches(pattern, tostring(err), 1, true)
  return tostring(err)
end

describe("acceptance: when builders give the reference's forms", function()
  it("now", function()
    assert.equal("now", when.now())
    validates(when.now())
  end)

  it("a single YYYYMMDD HH:MM", function()
    assert.equal("20350420 13:00", when.at("20350420 13:00"))
    assert.equal("20220420 13:00", when.at("20220420 13:00")) -- the reference's date: no future check here
    validates(when.at("20350420 13:00"))
  end)

  it("accepts os.time numbers and date tables for instants", function()
    assert.equal("20350420 13:05", when.at(os.time { year = 2035, month = 4, day = 20, hour = 13, min = 5 }))
    assert.equal("20350420 13:00", when.at { year = 2035, month = 4, day = 20, hour = 13, min = 0 })
    assert.equal("20350420 13:00", when.at("2035-04-20 13:00"))
  end)

  it("later, equal to the reference's example", function()
    local reference = cjson.decode([[{"type":"later","delivery_date_time":["20220420 13:00","20220421 14:00"],
      "delivery_timezone":"user","user_timezone_wrap_around":true,"dnd":{"message_state":"delay",
      "dnd_timezone":"user","dnd_info":{"2":["21:00","06:00"],"4":["23:56","04:34"]}},"campaign_cutoff":"14:20"}]])
    local built = when.later {
      "20220420 13:00", "20220421 14:00",
      delivery_timezone = "user", user_timezone_wrap_around = true,
      dnd = when.dnd { message_state = "delay", dnd_timezone = "user",
                       dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } },
      campaign_cutoff = "14:20",
    }
    assert.same(reference, built)
    validates(built, APRIL_2022)
    assert.same(reference, when.later {
      delivery_date_time = { "20220420 13:00", "20220421 14:00" },
      delivery_timezone = "user", user_timezone_wrap_around = true, campaign_cutoff = "14:20",
      dnd = { message_state = "delay", dnd_timezone = "user",
              dnd_info = { [2] = { "21:00", "06:00" }, [4] = { "23:56", "04:34" } } },
    })
    assert.same(reference, when.later({ "20220420 13:00", "20220421 14:00" }, {
      delivery_timezone = "user", user_timezone_wrap_around = true, campaign_cutoff = "14:20",
      dnd = { state = "delay", timezone = "user",
              windows = { mon = { "21:00", "06:00" }, wed = { "23:56", "04:34" } } },
    }))
  end)

  it("recurring by week, equal to the reference's fields", function()
    local reference = { type = "recurring", repeats_every = 2, repeat_type = "week", start_time = "20220415 12:05",
                        end_by_date = "20220420", repeat_on_days_of_week = { 1, 3, 5 } }
    local built = when.recurring { repeat_type = "week", repeats_every = 2, start_time = "20220415 12:05",
                                   end_by_date = "20220420", repeat_on_days_of_week = { 1, 3, 5 } }
    assert.same(reference, built)
    validates(built, APRIL_2022)
    assert.same(reference, when.weekly { every = 2, start = "20220415 12:05", end_date = "20220420",
                                         days = { "sun", "Tuesday", "THU" } })
    assert.same(reference, when.weekly { every = 2, start = "20220415 12:05", end_date = 20220420,
                                         days = { 5, 1, 3 } })
  end)

  it("recurring by day, ending by occurrences", function()
    local reference = { type = "recurring", repeats_every = 1, repeat_type = "day", start_time = "20350415 12:05",
                        end_by_occurrences = 8 }
    assert.same(reference, when.recurring { repeat_type = "day", repeats_every = 1, start_time = "20350415 12:05",
                                            end_by_occurrences = 8 })
    assert.same(reference, when.daily { start = "20350415 12:05", occurrences = 8 })
    validates(when.daily { start = "20350415 12:05", occurrences = 8 })
  end)

  it("now with DND and campaign cutoff, equal to the push example's when", function()
    local reference = cjson.decode([[{"type":"now","delivery_timezone":"user","user_timezone_wrap_around":true,
      "dnd":{"message_state":"delay","dnd_timezone":"user","dnd_info":{"2":["21:00","06:00"],"4":["23:56","04:34"],
      "5":["09:00","09:13"]}},"campaign_cutoff":"08:00"}]])
    local built = when.now {
      delivery_timezone = "user", user_timezone_wrap_around = true, campaign_cutoff = "08:00",
      dnd = when.dnd { state = "delay", timezone = "user",
                       windows = { monday = { "21:00", "06:00" }, wednesday = { "23:56", "04:34" },
                                   thursday = { "09:00", "09:13" } } },
    }
    assert.same(reference, built)
    validates(built)
  end)

  it("DND discard, account time zone, windows crossing midnight", function()
    local d = when.dnd { message_state = "discard", dnd_timezone = "account",
                         dnd_info = { weekdays = { "22:00", "07:00" } } }
    assert.same({ message_state = "discard", dnd_timezone = "account", dnd_info = {
      ["2"] = { "22:00", "07:00" }, ["3"] = { "22:00", "07:00" }, ["4"] = { "22:00", "07:00" },
      ["5"] = { "22:00", "07:00" }, ["6"] = { "22:00", "07:00" } } }, d)
    validates(when.at("20350420 13:00", { dnd = d, delivery_timezone = "account" }))
  end)
end)

describe("acceptance: when builder mistakes raise clear errors at the caller's line", function()
  it("names the caller's file and line", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() local w = when.at("20350230 13:00"); return w end)
    assert.is_false(ok)
    assert.matches("acceptance_when_spec%.lua:" .. line .. ":", err)
  end)

  it("refuses what the reference refuses", function()
    raises("20350230", function() when.at("20350230 13:00") end)
    raises("24:00", function() when.at("20350220 24:00") end)
    raises("24:00", function() when.now { campaign_cutoff = "24:00" } end)
    raises("not after", function() when.later { "20350421 13:00", "20350420 14:00" } end)
    raises("20350420 13:00", function() when.later { "20350420 13:00", "20350420 13:00" } end)
    raises("end_by_date", function()
      when.recurring { repeat_type = "day", start_time = "20350415 12:05", end_by_date = "20350420",
                       end_by_occurrences = 3 }
    end)
    raises("month", function() when.recurring { repeat_type = "month", start_time = "20350415 12:05" } end)
    raises("days", function() when.weekly { start = "20350415 12:05" } end)
    raises("funday", function() when.weekly { start = "20350415 12:05", days = { "mon", "funday" } } end)
    raises("8", function() when.weekly { start = "20350415 12:05", days = { 8 } } end)
    raises("0", function() when.weekly { start = "20350415 12:05", days = { 0 } } end)
    raises("start", function() when.daily { every = 2 } end)
    raises("every", function() when.daily { start = "20350415 12:05", every = 0 } end)
    raises("25:00", function() when.dnd { timezone = "user", windows = { mon = { "25:00", "06:00" } } } end)
    raises("utc", function() when.dnd { timezone = "utc", windows = { mon = { "21:00", "06:00" } } } end)
    raises("later", function()
      when.dnd { state = "later", timezone = "user", windows = { mon = { "21:00", "06:00" } } }
    end)
    raises("utc", function() when.now { delivery_timezone = "utc" } end)
    raises("occurences", function() when.daily { start = "20350415 12:05", occurences = 3 } end)
    raises("before", function() when.daily { start = "20350415 12:05", end_date = "20350414" } end)
  end)
end)

describe("acceptance: when.preview", function()
  local function preview(w, opts)
    opts = opts or {}
    if opts.now == nil then opts.now = NOW end
    local occ, err = when.preview(w, opts)
    assert(occ, err)
    return occ
  end

  it("gives the send instant of a single time, in a fixed offset or an IANA zone", function()
    local occ = preview(when.at("20350420 13:00"), { timezone = "+05:30" })
    assert.equal(1, #occ)
    assert.equal(utc(2035, 4, 20, 7, 30), occ[1].at)
    assert.equal(utc(2035, 4, 20, 7, 30), preview("20350420 13:00", { timezone = "Asia/Kolkata" })[1].at)
    assert.equal(utc(2035, 4, 20, 13), preview("20350420 13:00", { timezone = "UTC" })[1].at)
    -- New York in daylight saving time in April: UTC-4
    assert.equal(utc(2035, 4, 20, 17), preview("20350420 13:00", { timezone = "America/New_York" })[1].at)
  end)

  it("sends now at now", function()
    local t = utc(2035, 6, 1, 10, 17)
    local occ = preview(when.now(), { now = t })
    assert.equal(1, #occ)
    assert.equal(t, occ[1].at)
  end)

  it("one instant per delivery time of later", function()
    local occ = preview(when.later { "20350420 13:00", "20350421 14:00" }, { timezone = "+05:30" })
    assert.equal(2, #occ)
    assert.equal(utc(2035, 4, 20, 7, 30), occ[1].at)
    assert.equal(utc(2035, 4, 21, 8, 30), occ[2].at)
  end)

  it("count bounds an endless recurrence (10 by default)", function()
    local w = when.daily { start = "20350415 09:00" }
    assert.equal(10, #preview(w))
    local occ = preview(w, { count = 3 })
    assert.equal(3, #occ)
    for i, o in ipairs(occ) do assert.equal(utc(2035, 4, 15, 9) + (i - 1) * 86400, o.at) end
  end)

  it("applies end conditions: occurrences and end date (included)", function()
    assert.equal(3, #preview(when.daily { start = "20350415 09:00", occurrences = 3 }, { count = 10 }))
    assert.equal(4, #preview(when.daily { start = "20350415 09:00", end_date = "20350418" }, { count = 10 }))
    local occ = preview(when.daily { start = "20350415 09:00", every = 2, occurrences = 3 }, { count = 10 })
    assert.same({ utc(2035, 4, 15, 9), utc(2035, 4, 17, 9), utc(2035, 4, 19, 9) }, { occ[1].at, occ[2].at, occ[3].at })
  end)

  it("repeats on the listed days of the week (1 = Sunday)", function()
    -- 2035-04-16 is a Monday
    local occ = preview(when.weekly { days = { 2, 6 }, start = "20350416 10:00", occurrences = 4 })
    assert.same({ utc(2035, 4, 16, 10), utc(2035, 4, 20, 10), utc(2035, 4, 23, 10), utc(2035, 4, 27, 10) },
      { occ[1].at, occ[2].at, occ[3].at, occ[4].at })
  end)

  it("delays a send inside a DND window to the window's end (window crossing midnight)", function()
    local w = when.at("20350416 23:00", { dnd = when.dnd { state = "delay", timezone = "account",
                                                            windows = { mon = { "21:00", "06:00" } } } })
    local occ = preview(w, { timezone = "UTC" })
    assert.equal(1, #occ)
    assert.equal(utc(2035, 4, 17, 6), occ[1].at)
  end)

  it("drops a send inside a DND window with discard", function()
    local w = when.later { "20350416 23:00", "20350417 12:00",
                           dnd = when.dnd { state = "discard", timezone = "account",
                                            windows = { mon = { "21:00", "06:00" } } } }
    local occ = preview(w, { timezone = "UTC" })
    assert.equal(1, #occ)
    assert.equal(utc(2035, 4, 17, 12), occ[1].at)
    assert.equal(1, #occ.dropped)
  end)

  it("drops a send that DND delays past the campaign cutoff", function()
    local dnd = when.dnd { state = "delay", timezone = "account", windows = { fri = { "12:00", "12:30" } } }
    local w = when.at("20350420 12:05", { cutoff = "12:20", dnd = dnd })
    assert.equal(0, #preview(w))
    local kept = when.at("20350420 12:05", { cutoff = "12:40", dnd = dnd })
    assert.equal(utc(2035, 4, 20, 12, 30), preview(kept)[1].at)
  end)

  it("previews the reference's later example, message_state 1 included", function()
    local w = cjson.decode([[{"type":"later","delivery_date_time":["20220420 13:00","20220421 14:00"],
      "delivery_timezone":"user","user_timezone_wrap_around":true,"dnd":{"message_state":1,"dnd_timezone":"user",
      "dnd_info":{"2":["21:00","06:00"],"4":["23:56","04:34"]}},"campaign_cutoff":"14:20"}]])
    local occ = preview(w, { now = APRIL_2022, timezone = "Asia/Kolkata" })
    assert.equal(2, #occ)
    assert.equal(utc(2022, 4, 20, 7, 30), occ[1].at)
  end)

  it("is deterministic with now given", function()
    local w = when.weekly { days = { "mon", "thu" }, start = "20350416 09:00", occurrences = 4 }
    assert.same(preview(w, { timezone = "Europe/London" }), preview(w, { timezone = "Europe/London" }))
  end)

  it("returns nil, err for an unknown zone, an invalid when, a first time already past", function()
    local occ, err = when.preview("now", { now = NOW, timezone = "Mars/Olympus_Mons" })
    assert.is_nil(occ)
    assert.is_true(errors.is(err) and err.kind == "validation")
    occ, err = when.preview({ type = "later" }, { now = NOW })
    assert.is_nil(occ)
    assert.is_true(errors.is(err) and err.kind == "validation")
    occ, err = when.preview("soon", { now = NOW })
    assert.is_nil(occ)
    assert.is_true(errors.is(err) and err.kind == "validation")
    occ, err = when.preview("20220420 13:00", { now = NOW })
    assert.is_nil(occ)
    assert.is_true(errors.is(err) and err.kind == "validation")
  end)
end)
