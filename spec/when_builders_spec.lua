-- clevertap.when builders: every accepted input form, every rule, every error.
local when = require "clevertap.when"

-- The error a call raises, with its position; fails the test when none.
local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local function dnd_user()
  return { timezone = "user", windows = { mon = { "21:00", "06:00" } } }
end

describe("when.now", function()
  it("is the string now without options", function()
    assert.equal("now", when.now())
    assert.equal("now", when.now {})
    assert.equal("now", when.now { type = "now" })
  end)

  it("becomes the type now object with delivery options", function()
    assert.same({
      type = "now",
      delivery_timezone = "user",
      user_timezone_wrap_around = true,
      dnd = { message_state = "delay", dnd_timezone = "user", dnd_info = { ["2"] = { "21:00", "06:00" } } },
      campaign_cutoff = "08:00",
    }, when.now {
      delivery_timezone = "user", wrap_around = true, cutoff = "8:00",
      dnd = { state = "delay", timezone = "user", windows = { mon = { "21:00", "06:00" } } },
    })
  end)

  it("refuses list entries, another type and non-table options", function()
    assert.matches("unexpected list entries", raised(when.now, { "20350420 13:00" }))
    assert.matches('type: expected "now" here, got "later"', raised(when.now, { type = "later" }), nil, true)
    assert.matches("expected an options table, got 5", raised(when.now, 5), nil, true)
  end)
end)

describe("when.at", function()
  it("keeps the API's form", function()
    assert.equal("20350420 13:00", when.at("20350420 13:00"))
  end)

  it("reads ISO dates, one-digit hours and drops seconds", function()
    assert.equal("20350420 13:05", when.at("2035-04-20 13:05"))
    assert.equal("20350420 09:05", when.at("2035-4-20T9:05"))
    assert.equal("20350420 13:05", when.at("2035-04-20T13:05:59"))
  end)

  it("reads os.date tables, min defaulting to 0 and sec dropped", function()
    assert.equal("20350420 13:00", when.at { year = 2035, month = 4, day = 20, hour = 13 })
    assert.equal("20350420 13:07", when.at(os.date("*t", os.time { year = 2035, month = 4, day = 20, hour = 13,
      min = 7, sec = 42 })))
  end)

  it("reads os.time numbers on this machine's clock by default", function()
    local t = os.time { year = 2035, month = 4, day = 20, hour = 13, min = 7, sec = 30 }
    assert.equal(os.date("%Y%m%d %H:%M", t), when.at(t))
    assert.equal("20350420 13:07", when.at(t))
  end)

  it("reads os.time numbers on account_timezone's clock when given", function()
    -- 2035-04-20T07:30:00Z
    local t = 2060667000
    assert.equal("20350420 13:00", when.at(t, { account_timezone = "Asia/Kolkata" }))
    assert.equal("20350420 13:00", when.at(t, { account_timezone = "+05:30" }))
    assert.equal("20350420 03:30", when.at(t, { account_timezone = "America/New_York" }))
    assert.equal("20350420 07:30", when.at(t, { account_timezone = "UTC" }))
  end)

  it("becomes a later object with delivery options", function()
    assert.same({ type = "later", delivery_date_time = { "20350420 13:00" }, campaign_cutoff = "14:20" },
      when.at("20350420 13:00", { cutoff = "14:20" }))
  end)

  it("refuses impossible dates and times", function()
    for _, bad in ipairs { "20350230 10:00", "20340229 10:00", "20350420 24:00", "20350420 12:60",
                           "20351320 10:00", "20350000 10:00", "0999-01-01 10:00" } do
      assert.matches("time: " .. string.format("%q", bad):gsub("%p", "%%%0") .. " is not a valid date and time",
        raised(when.at, bad))
    end
    assert.equal("20360229 10:00", when.at("20360229 10:00")) -- a leap year
  end)

  it("refuses integers that read as YYYYMMDD or YYYYMMDDHHMM instead of taking them as epochs", function()
    -- as os.time() numbers they would be 1970-08-24 or the year 65000: nobody means that
    local msg = raised(when.at, 20350420)
    assert.matches("time: 20350420 looks like a date YYYYMMDD", msg, nil, true)
    assert.matches('"20350420 HH:MM"', msg, nil, true)
    assert.matches("os.time()", msg, nil, true)
    msg = raised(when.at, 203504201300)
    assert.matches("time: 203504201300 looks like a date and time YYYYMMDDHHMM", msg, nil, true)
    assert.matches('"20350420 13:00"', msg, nil, true)
    assert.matches("start: 20350415 looks like a date", raised(when.daily, { start = 20350415 }), nil, true)
    assert.matches("times[2]: 20350421 looks like a date",
      raised(when.later, { "20350420 13:00", 20350421 }), nil, true)
    -- genuine epochs still work, and dates still take YYYYMMDD numbers
    local t = os.time { year = 2035, month = 4, day = 20, hour = 13, min = 7 }
    assert.equal(os.date("%Y%m%d %H:%M", t), when.at(t))
    assert.equal("20350420", when.daily { start = "20350415 12:05", end_date = 20350420 }.end_by_date)
  end)

  it("refuses other shapes, naming what it expected", function()
    for _, bad in ipairs { "tomorrow", "2035042013:00", "20350420 1300", "" } do
      assert.matches('expected "YYYYMMDD HH:MM", "YYYY-MM-DD HH:MM", an os.time() number', raised(when.at, bad), nil,
        true)
    end
    assert.matches("got true", raised(when.at, true), nil, true)
    assert.matches("got nil", raised(when.at), nil, true)
    assert.matches("got inf", raised(when.at, math.huge), nil, true)
    assert.matches("time: 1e+300 is outside the range this system's clock can show", raised(when.at, 1e300), nil, true)
    assert.matches("time: 1e+300 is not a valid date and time", raised(when.at, 1e300, { account_timezone = "UTC" }),
      nil, true)
    assert.matches("end_date: ", raised(when.daily, { start = "20350415 12:05", end_date = 1e18 }), nil, true)
  end)

  it("refuses bad date tables", function()
    assert.matches("unknown key \"minute\" in a date table",
      raised(when.at, { year = 2035, month = 4, day = 20, hour = 13, minute = 5 }), nil, true)
    assert.matches("date table field hour: expected an integer, got nil",
      raised(when.at, { year = 2035, month = 4, day = 20 }), nil, true)
    assert.matches("date table field day: expected an integer, got 1.5",
      raised(when.at, { year = 2035, month = 4, day = 1.5, hour = 1 }), nil, true)
  end)

  it("refuses a bad account_timezone", function()
    assert.matches('account_timezone: unknown time zone "Mars/Base"',
      raised(when.at, 0, { account_timezone = "Mars/Base" }), nil, true)
    assert.matches("account_timezone: expected a time zone name", raised(when.at, 0, { account_timezone = 5 }), nil,
      true)
  end)

  it("refuses list entries in the options", function()
    assert.matches("unexpected list entries", raised(when.at, "20350420 13:00", { "20350421 13:00" }))
  end)
end)

describe("when.later", function()
  it("takes the times as list entries, as times or as delivery_date_time", function()
    local expected = { type = "later", delivery_date_time = { "20350420 13:00", "20350421 14:00" } }
    assert.same(expected, when.later { "20350420 13:00", "2035-04-21 14:00" })
    assert.same(expected, when.later { times = { "20350420 13:00", { year = 2035, month = 4, day = 21, hour = 14 } } })
    assert.same(expected, when.later { type = "later", delivery_date_time = { "20350420 13:00", "20350421 14:00" } })
  end)

  it("copies every delivery option in the API's spelling", function()
    assert.same({
      type = "later",
      delivery_date_time = { "20350420 13:00" },
      delivery_timezone = "account",
      user_timezone_wrap_around = false,
      dnd = { message_state = "discard", dnd_timezone = "user", dnd_info = { ["2"] = { "21:00", "06:00" } } },
      campaign_cutoff = "14:20",
    }, when.later { "20350420 13:00", delivery_timezone = "account", user_timezone_wrap_around = false,
                    dnd = dnd_user(), campaign_cutoff = { hour = 14, min = 20 } })
  end)

  it("wants times in increasing order, each after the one before", function()
    local msg = raised(when.later, { "20350420 13:00", "20350420 12:00" })
    assert.matches("times[2]: 20350420 12:00 is not after the time before it (20350420 13:00)", msg, nil, true)
    assert.matches("increasing order", raised(when.later, { "20350420 13:00", "20350420 13:00" }), nil, true)
    assert.matches("delivery_date_time[3]: ", raised(when.later, {
      delivery_date_time = { "20350420 13:00", "20350421 13:00", "20350421 12:59" } }), nil, true)
  end)

  it("wants at least one time, in one place", function()
    assert.matches("expected at least one delivery time", raised(when.later, {}), nil, true)
    assert.matches("expected at least one delivery time", raised(when.later, { delivery_date_time = {} }), nil, true)
    assert.matches("either as list entries or as times, not both",
      raised(when.later, { "20350420 13:00", times = { "20350421 13:00" } }), nil, true)
    assert.matches("times: expected a list of times, got \"20350420 13:00\"",
      raised(when.later, { times = "20350420 13:00" }), nil, true)
    assert.matches("times[2]: expected", raised(when.later, { "20350420 13:00", "soon" }), nil, true)
  end)

  it("refuses bad delivery options", function()
    assert.matches('delivery_timezone: expected "user" or "account", got "local"',
      raised(when.later, { "20350420 13:00", delivery_timezone = "local" }), nil, true)
    assert.matches("wrap_around: expected true or false, got \"yes\"",
      raised(when.later, { "20350420 13:00", wrap_around = "yes" }), nil, true)
    assert.matches('cutoff: expected "HH:MM"', raised(when.later, { "20350420 13:00", cutoff = 14 }), nil, true)
    assert.matches('campaign_cutoff: expected "HH:MM"',
      raised(when.later, { "20350420 13:00", campaign_cutoff = "25:00" }), nil, true)
    assert.matches("dnd: timezone is required", raised(when.later, { "20350420 13:00", dnd = {
      windows = { mon = { "21:00", "06:00" } } } }), nil, true)
    assert.matches('type: expected "later" here, got "now"', raised(when.later, { "20350420 13:00", type = "now" }),
      nil, true)
  end)

  it("refuses unknown options, suggesting the close one", function()
    assert.matches('unknown option "cuttoff" (did you mean "cutoff"?)',
      raised(when.later, { "20350420 13:00", cuttoff = "12:00" }), nil, true)
    assert.matches('unknown option "colour" (known: ', raised(when.later, { "20350420 13:00", colour = 1 }), nil, true)
  end)

  it("refuses an alias given with its API name", function()
    local msg = raised(when.later, { "20350420 13:00", cutoff = "12:00", campaign_cutoff = "12:00" })
    assert.matches("are the same option; give one", msg, nil, true)
    assert.matches("campaign_cutoff", msg, nil, true)
    assert.matches(" cutoff", msg, nil, true)
  end)

  it("refuses holes in the list", function()
    assert.matches("holes", raised(when.later, { "20350420 13:00", nil, "20350422 13:00" }))
  end)
end)

describe("when.recurring, when.daily, when.weekly", function()
  it("builds a recurrence by day", function()
    assert.same({ type = "recurring", repeat_type = "day", repeats_every = 2, start_time = "20350415 12:05",
                  end_by_occurrences = 8 },
      when.recurring { repeat_type = "day", every = 2, start = "20350415 12:05", occurrences = 8 })
    assert.same(when.recurring { repeat_type = "day", every = 2, start = "20350415 12:05", occurrences = 8 },
      when.daily { every = 2, start = "20350415 12:05", end_by_occurrences = 8 })
  end)

  it("defaults every to 1 and writes integers", function()
    local w = when.daily { start = "20350415 12:05" }
    assert.equal(1, w.repeats_every)
    assert.equal("1", string.format("%s", w.repeats_every))
    assert.equal("3", string.format("%s", when.daily { start = "20350415 12:05", every = 3.0 }.repeats_every))
  end)

  it("builds a recurrence by week with days by name or number, sorted", function()
    local expected = { type = "recurring", repeat_type = "week", repeats_every = 2, start_time = "20350415 12:05",
                       repeat_on_days_of_week = { 1, 3, 5 }, end_by_date = "20350420" }
    assert.same(expected, when.weekly { every = 2, days = { "thu", "Sunday", 3 }, start = "20350415 12:05",
                                        end_date = "20350420" })
    assert.same(expected, when.recurring { repeat_type = "week", repeats_every = 2, start_time = "20350415 12:05",
                                           repeat_on_days_of_week = { 1, 3, 5 }, end_by_date = "20350420" })
  end)

  it("reads every spelling of every day, 1 = Sunday", function()
    local names = {
      { "sun", "Sunday", "SUN", "1", 1 }, { "mon", "Monday", "MON", "2", 2 },
      { "tue", "tues", "Tuesday", "3", 3 }, { "wed", "weds", "Wednesday", "4", 4 },
      { "thu", "thur", "thurs", "Thursday", "5", 5 }, { "fri", "Friday", "6", 6 },
      { "sat", "Saturday", "7", 7 },
    }
    for n, spellings in ipairs(names) do
      for _, s in ipairs(spellings) do
        assert.same({ n }, when.weekly { days = { s }, start = "20350415 12:05" }.repeat_on_days_of_week)
      end
    end
    -- one day needs no list
    assert.same({ 2 }, when.weekly { days = "mon", start = "20350415 12:05" }.repeat_on_days_of_week)
    assert.same({ 5 }, when.weekly { days = 5, start = "20350415 12:05" }.repeat_on_days_of_week)
  end)

  it("reads day groups in the days list", function()
    local function days(v) return when.weekly { days = v, start = "20350415 12:05" }.repeat_on_days_of_week end
    assert.same({ 2, 3, 4, 5, 6 }, days "weekdays")
    assert.same({ 1, 7 }, days { "Weekend" })
    assert.same({ 1, 2, 3, 4, 5, 6, 7 }, days "all")
    assert.same({ 1, 4, 7 }, days { "weekend", "wed" })
    assert.matches("days[2]: Mon repeats a day already listed",
      raised(when.weekly, { days = { "mon", "weekdays" }, start = "20350415 12:05" }), nil, true)
  end)

  it("refuses days outside 1-7 and unknown names, naming the entry", function()
    for _, bad in ipairs { 0, 8, 2.5, "funday", "", "m", true } do
      assert.matches("days[2]: expected a day of week", raised(when.weekly, {
        days = { "mon", bad }, start = "20350415 12:05" }), nil, true)
    end
    assert.matches("1 = Sunday ... 7 = Saturday", raised(when.weekly, { days = { 0 }, start = "20350415 12:05" }),
      nil, true)
  end)

  it("refuses a day listed twice and an empty list", function()
    assert.matches("days[2]: Mon repeats a day already listed",
      raised(when.weekly, { days = { "mon", 2 }, start = "20350415 12:05" }), nil, true)
    assert.matches('days: expected a non-empty list of days (a day of week ("mon"',
      raised(when.weekly, { days = {}, start = "20350415 12:05" }), nil, true)
    assert.matches("days: expected a list of days, got a table with key \"x\"",
      raised(when.weekly, { days = { x = 1 }, start = "20350415 12:05" }), nil, true)
  end)

  it("wants days for weeks and refuses them for days", function()
    assert.matches("days are required when repeating by week",
      raised(when.weekly, { start = "20350415 12:05" }), nil, true)
    assert.matches("days: applies only when repeating by week",
      raised(when.daily, { days = { "mon" }, start = "20350415 12:05" }), nil, true)
  end)

  it("wants a repeat_type for recurring, and the right one for daily and weekly", function()
    assert.matches("repeat_type is required", raised(when.recurring, { start = "20350415 12:05" }), nil, true)
    assert.matches('repeat_type: expected "day" or "week", got "month"',
      raised(when.recurring, { repeat_type = "month", start = "20350415 12:05" }), nil, true)
    assert.matches('repeat_type: is "day" here, got "week"',
      raised(when.daily, { repeat_type = "week", start = "20350415 12:05" }), nil, true)
    assert.same(when.daily { start = "20350415 12:05" }, when.daily { repeat_type = "day", start = "20350415 12:05" })
  end)

  it("wants a start time", function()
    assert.matches("start_time is required", raised(when.daily, { every = 1 }), nil, true)
    assert.matches("start: expected", raised(when.daily, { start = "next week" }), nil, true)
  end)

  it("wants every to be a positive integer", function()
    for _, bad in ipairs { 0, -1, 1.5, "2" } do
      assert.matches("every: expected an integer >= 1", raised(when.daily, { every = bad, start = "20350415 12:05" }),
        nil, true)
    end
  end)

  it("takes one end condition: a date or a number of occurrences", function()
    assert.matches("give either end_date or occurrences, not both", raised(when.daily, {
      start = "20350415 12:05", end_date = "20350420", occurrences = 2 }), nil, true)
    assert.matches("give either end_by_date or end_by_occurrences, not both", raised(when.daily, {
      start = "20350415 12:05", end_by_date = "20350420", end_by_occurrences = 2 }), nil, true)
    for _, bad in ipairs { 0, -3, 2.5 } do
      assert.matches("occurrences: expected an integer >= 1", raised(when.daily, {
        start = "20350415 12:05", occurrences = bad }), nil, true)
    end
  end)

  it("reads the end date in every form", function()
    local function end_of(v) return when.daily { start = "20350415 12:05", end_date = v }.end_by_date end
    assert.equal("20350420", end_of "20350420")
    assert.equal("20350420", end_of "2035-04-20")
    assert.equal("20350420", end_of(20350420))
    assert.equal("20350420", end_of { year = 2035, month = 4, day = 20 })
    assert.equal("20350420", end_of(os.date("*t", os.time { year = 2035, month = 4, day = 20, hour = 23 })))
    assert.equal("20350420", end_of(os.time { year = 2035, month = 4, day = 20, hour = 12 }))
    assert.equal("20350415", end_of "20350415") -- the start date itself
  end)

  it("refuses an end date before the start date or not a date", function()
    assert.matches("end_date: 20350414 is before the start date 20350415",
      raised(when.daily, { start = "20350415 12:05", end_date = "20350414" }), nil, true)
    assert.matches("end_date: \"20350431\" is not a valid date",
      raised(when.daily, { start = "20350415 12:05", end_date = "20350431" }), nil, true)
    assert.matches('end_date: expected "YYYYMMDD"',
      raised(when.daily, { start = "20350415 12:05", end_date = "April" }), nil, true)
  end)

  it("copies delivery options", function()
    local w = when.weekly { days = { "mon" }, start = "20350415 12:05", delivery_timezone = "user",
                            wrap_around = true, dnd = dnd_user(), cutoff = "12:20" }
    assert.equal("user", w.delivery_timezone)
    assert.is_true(w.user_timezone_wrap_around)
    assert.equal("12:20", w.campaign_cutoff)
    assert.same({ ["2"] = { "21:00", "06:00" } }, w.dnd.dnd_info)
  end)

  it("reads os.time starts on account_timezone's clock", function()
    -- 2035-04-15T06:35:00Z is 12:05 in India
    local w = when.daily { start = 2060231700, account_timezone = "Asia/Kolkata", end_date = 2060231700 + 86400 }
    assert.equal("20350415 12:05", w.start_time)
    assert.equal("20350416", w.end_by_date)
    assert.is_nil(w.account_timezone)
  end)

  it("refuses unknown options and list entries", function()
    assert.matches('unknown option "occurences" (did you mean "occurrences"?)',
      raised(when.daily, { start = "20350415 12:05", occurences = 3 }), nil, true)
    assert.matches("unexpected list entries", raised(when.weekly, { "mon", start = "20350415 12:05" }), nil, true)
    assert.matches('type: expected "recurring" here, got "later"',
      raised(when.daily, { type = "later", start = "20350415 12:05" }), nil, true)
  end)
end)

describe("when.dnd", function()
  it("writes the API's form with days keyed \"1\"-\"7\"", function()
    assert.same({ message_state = "delay", dnd_timezone = "user",
                  dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } },
      when.dnd { state = "delay", timezone = "user", windows = { Monday = { "21:00", "06:00" },
                                                                  [4] = { "23:56", "4:34" } } })
  end)

  it("takes the API's own keys", function()
    local api = { message_state = "discard", dnd_timezone = "account",
                  dnd_info = { ["2"] = { "21:00", "06:00" }, ["4"] = { "23:56", "04:34" } } }
    assert.same(api, when.dnd(api))
  end)

  it("defaults message_state to discard, the reference's default", function()
    assert.equal("discard", when.dnd(dnd_user()).message_state)
  end)

  it("refuses a numeric message_state, explaining the reference's contradiction", function()
    local msg = raised(when.dnd, { message_state = 1, timezone = "user", windows = { mon = { "21:00", "06:00" } } })
    assert.matches('message_state: expected "delay" or "discard", got 1', msg, nil, true)
    assert.matches("types this Integer", msg, nil, true)
    assert.matches('state: expected "delay" or "discard", got "wait"',
      raised(when.dnd, { state = "wait", timezone = "user", windows = { mon = { "21:00", "06:00" } } }), nil, true)
  end)

  it("wants a timezone, user or account", function()
    assert.matches('timezone is required ("user" or "account")',
      raised(when.dnd, { windows = { mon = { "21:00", "06:00" } } }), nil, true)
    assert.matches('timezone: expected "user" or "account", got "Asia/Kolkata"',
      raised(when.dnd, { timezone = "Asia/Kolkata", windows = { mon = { "21:00", "06:00" } } }), nil, true)
  end)

  it("wants at least one window", function()
    assert.matches("windows: expected a table of windows per day", raised(when.dnd, { timezone = "user" }), nil, true)
    assert.matches("got nothing", raised(when.dnd, { timezone = "user" }), nil, true)
    assert.matches("windows: expected a table of windows per day",
      raised(when.dnd, { timezone = "user", windows = {} }), nil, true)
    assert.matches("dnd_info: expected a table of windows per day",
      raised(when.dnd, { timezone = "user", dnd_info = "21-06" }), nil, true)
  end)

  it("spreads day groups over their days", function()
    local w = when.dnd { timezone = "user",
                         windows = { weekdays = { "22:00", "07:00" }, weekend = { "23:00", "10:00" } } }
    assert.same({ ["1"] = { "23:00", "10:00" }, ["2"] = { "22:00", "07:00" }, ["3"] = { "22:00", "07:00" },
                  ["4"] = { "22:00", "07:00" }, ["5"] = { "22:00", "07:00" }, ["6"] = { "22:00", "07:00" },
                  ["7"] = { "23:00", "10:00" } }, w.dnd_info)
    for _, all in ipairs { "all", "daily", "everyday", "Daily" } do
      local n = 0
      for _ in pairs(when.dnd { timezone = "user", windows = { [all] = { "1:00", "2:00" } } }.dnd_info) do n = n + 1 end
      assert.equal(7, n)
    end
  end)

  it("refuses a day reached twice", function()
    assert.matches('Mon gets two windows (keys "mon" and "weekdays")',
      raised(when.dnd, { timezone = "user", windows = { mon = { "1:00", "2:00" }, weekdays = { "3:00", "4:00" } } }),
      nil, true)
    assert.matches("Sun gets two windows",
      raised(when.dnd, { timezone = "user", windows = { [1] = { "1:00", "2:00" }, sun = { "3:00", "4:00" } } }),
      nil, true)
  end)

  it("takes windows as pairs or from/to, crossing midnight as written", function()
    assert.same({ ["6"] = { "22:30", "07:15" } },
      when.dnd { timezone = "user", windows = { fri = { from = "22:30", to = { hour = 7, min = 15 } } } }.dnd_info)
  end)

  it("refuses bad windows, naming the day", function()
    local function bad(v) return raised(when.dnd, { timezone = "user", windows = { tue = v } }) end
    assert.matches('windows["tue"]: start and end are both 21:00', bad { "21:00", "21:00" }, nil, true)
    assert.matches('windows["tue"]: expected a window {"HH:MM", "HH:MM"}', bad { "21:00" }, nil, true)
    assert.matches('windows["tue"]: expected a window', bad "21:00-06:00", nil, true)
    assert.matches('windows["tue"] end: expected "HH:MM"', bad { "21:00", "6am" }, nil, true)
    assert.matches('windows["tue"] start: expected "HH:MM"', bad { from = "21:60", to = "06:00" }, nil, true)
    assert.matches('windows["tue"]: unknown key "until"', bad { from = "21:00", ["until"] = "06:00" }, nil, true)
    assert.matches('windows["tue"]: expected a window', bad { "21:00", "06:00", "07:00" }, nil, true)
    assert.matches('windows["someday"]: expected a day of week',
      raised(when.dnd, { timezone = "user", windows = { someday = { "1:00", "2:00" } } }), nil, true)
    assert.matches("windows[9]: expected a day of week",
      raised(when.dnd, { timezone = "user", windows = { [9] = { "1:00", "2:00" } } }), nil, true)
  end)

  it("refuses unknown keys, list entries and non-tables", function()
    assert.matches('unknown option "windos" (did you mean "windows"?)',
      raised(when.dnd, { timezone = "user", windos = {} }), nil, true)
    assert.matches("unexpected list entries", raised(when.dnd, { "21:00", timezone = "user" }), nil, true)
    assert.matches("expected a table {state =", raised(when.dnd, "21:00-06:00"), nil, true)
    assert.matches("dnd: expected a table {state =", raised(when.later, { "20350420 13:00", dnd = true }), nil, true)
  end)

  it("is taken as is by the builders (its result is stable)", function()
    local d = when.dnd { state = "delay", timezone = "account", windows = { sat = { "23:00", "09:00" } } }
    assert.same(d, when.now { dnd = d }.dnd)
    assert.same(d, when.dnd(d))
  end)
end)

describe("when errors", function()
  it("point at the line that built the schedule", function()
    local opts = { days = { "funday" }, start = "20350415 12:05" }
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() local w = when.weekly(opts); return w end)
    assert.is_false(ok)
    assert.matches("when_builders_spec%.lua:" .. line .. ": clevertap%.when%.weekly: days%[1%]: ", err)
  end)

  it("point at the caller for nested dnd mistakes too", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() local w = when.now { dnd = { timezone = "utc", windows = {} } }; return w end)
    assert.is_false(ok)
    assert.matches("when_builders_spec%.lua:" .. line .. ": clevertap%.when%.now: dnd%.timezone: ", err)
  end)
end)
