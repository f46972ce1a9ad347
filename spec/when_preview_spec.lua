-- when.preview: the send instants a schedule produces for one user, with
-- recurrence, wrap-around, DND, cutoff and DST applied (model: docs/when.md).
local when = require "clevertap.when"
local civil = require "clevertap.when.civil"
local fx = require "fixtures.util"

local function utc(y, m, d, hh, mm) return civil.epoch(y, m, d, hh or 0, mm or 0, 0) end

local NOW = utc(2035, 1, 1)

local function preview(w, opts)
  opts = opts or {}
  if opts.now == nil then opts.now = NOW end
  local occ, err = when.preview(w, opts)
  assert(occ, err)
  return occ
end

local function failure(w, opts)
  local occ, err = when.preview(w, opts)
  assert.is_nil(occ)
  -- the library's one error value, as every module returns
  assert.is_true(require("clevertap.error").is(err))
  assert.equal("validation", err.kind)
  assert.equal(err.message, err.errors[1].message)
  return err.message
end

local function codes(e)
  local out = {}
  for i, r in ipairs(e.reasons) do out[i] = r.code end
  return out
end

local function instants(occ)
  local out = {}
  for i, e in ipairs(occ) do out[i] = e.at or false end
  return out
end

describe("when.preview of one time", function()
  it("reads the time on the account's clock: fixed offsets", function()
    local e = preview("20350420 13:00", { timezone = "+05:30" })[1]
    assert.equal(utc(2035, 4, 20, 7, 30), e.at)
    assert.equal("2035-04-20T07:30:00Z", e.utc)
    assert.equal("send", e.status)
    assert.equal("20350420 13:00", e.slot)
    assert.equal("Fri 2035-04-20 13:00 +05:30", e.user_time)
    assert.equal(e.user_time, e.account_time)
    assert.is_nil(e.reason)
    assert.same({}, e.reasons)
    assert.is_false(e.delayed)
    assert.equal(utc(2035, 4, 20, 21), preview("20350420 13:00", { timezone = "-0800" })[1].at)
  end)

  it("defaults the account's zone to UTC", function()
    local occ = preview("20350420 13:00")
    assert.equal(1, #occ)
    assert.equal(utc(2035, 4, 20, 13), occ[1].at)
    assert.equal("Fri 2035-04-20 13:00 UTC +00:00", occ[1].user_time)
  end)

  it("reads IANA zones, naming the abbreviation on the clocks", function()
    local e = preview("20350420 13:00", { timezone = "Asia/Kolkata", user_timezone = "America/New_York" })[1]
    assert.equal(utc(2035, 4, 20, 7, 30), e.at)
    assert.equal("Fri 2035-04-20 13:00 IST +05:30", e.account_time)
    assert.equal("Fri 2035-04-20 03:30 EDT -04:00", e.user_time)
  end)

  it("sends now at now, deterministically", function()
    local t = utc(2035, 6, 1, 10, 17) + 42
    local a = preview("now", { now = t })
    local b = preview(when.now(), { now = t + 0.9 })
    assert.equal(1, #a)
    assert.equal("now", a[1].slot)
    assert.equal(t, a[1].at)
    assert.same(a, b)
    assert.same(a, preview("now", { now = t }))
  end)

  it("uses the current time when now is not given", function()
    local before = os.time()
    local occ = assert(when.preview("now"))
    assert.is_true(occ[1].at >= before and occ[1].at <= os.time())
  end)

  it("gives one occurrence per delivery time, in order", function()
    local occ = preview(when.later { "20350420 13:00", "20350421 14:00" }, { timezone = "Asia/Kolkata" })
    assert.same({ utc(2035, 4, 20, 7, 30), utc(2035, 4, 21, 8, 30) }, instants(occ))
    assert.same({ 1, 2 }, { occ[1].n, occ[2].n })
    assert.same({ "20350420 13:00", "20350421 14:00" }, { occ[1].slot, occ[2].slot })
  end)
end)

describe("when.preview of recurrences", function()
  it("repeats every N days and ends by occurrences", function()
    local occ = preview(when.daily { every = 2, start = "20350415 12:05", occurrences = 8 }, { count = 20 })
    assert.equal(8, #occ)
    for i, e in ipairs(occ) do
      assert.equal(utc(2035, 4, 15, 12, 5) + (i - 1) * 2 * 86400, e.at)
      assert.equal(i, e.n)
    end
  end)

  it("ends by date, the end date included", function()
    local occ = preview(when.daily { start = "20350415 09:00", end_date = "20350418" }, { count = 20 })
    assert.same({ "20350415 09:00", "20350416 09:00", "20350417 09:00", "20350418 09:00" },
      { occ[1].slot, occ[2].slot, occ[3].slot, occ[4].slot })
    assert.equal(4, #occ)
  end)

  it("stops at count when the schedule has no end (10 by default)", function()
    assert.equal(10, #preview(when.daily { start = "20350415 09:00" }))
    assert.equal(3, #preview(when.daily { start = "20350415 09:00" }, { count = 3 }))
    assert.equal(2, #preview(when.daily { start = "20350415 09:00", occurrences = 2 }, { count = 3 }))
  end)

  it("repeats listed days of every Nth week, starting with the first listed day on or after the start", function()
    -- Friday 2035-04-20; the Mon/Thu of its week are before it, so the
    -- fortnight starts the week after: 23, 26 April, then 7, 10 May.
    local occ = preview(when.weekly { every = 2, days = { "thu", "mon" }, start = "20350420 10:00" }, { count = 4 })
    assert.same({ "20350423 10:00", "20350426 10:00", "20350507 10:00", "20350510 10:00" },
      { occ[1].slot, occ[2].slot, occ[3].slot, occ[4].slot })
  end)

  it("includes the start date when it is a listed day", function()
    -- Monday 2035-04-16
    local occ = preview(when.weekly { days = { "mon", "fri" }, start = "20350416 10:00" }, { count = 4 })
    assert.same({ "20350416 10:00", "20350420 10:00", "20350423 10:00", "20350427 10:00" },
      { occ[1].slot, occ[2].slot, occ[3].slot, occ[4].slot })
  end)

  it("counts weeks from the anchor week, Sunday to Saturday", function()
    -- Sunday 2035-04-15, every 3 weeks on Sun and Sat: 15, 21 April, then 6, 12 May
    local occ = preview(when.weekly { every = 3, days = { 1, 7 }, start = "20350415 08:00" }, { count = 4 })
    assert.same({ "20350415 08:00", "20350421 08:00", "20350506 08:00", "20350512 08:00" },
      { occ[1].slot, occ[2].slot, occ[3].slot, occ[4].slot })
  end)

  it("previews the reference's recurring examples", function()
    local april = fx.utc(2022, 4, 1)
    local week = preview(fx.load("targets-create-fragment-when-recurring-week.json").when,
      { now = april, timezone = "Asia/Kolkata", count = 20 })
    -- from Friday 15 April, every 2 weeks on Sun/Tue/Thu, until 20 April
    assert.same({ "20220417 12:05", "20220419 12:05" }, { week[1].slot, week[2].slot })
    assert.equal(2, #week)
    assert.equal(utc(2022, 4, 17, 6, 35), week[1].at)
    local days = preview(fx.load("targets-create-fragment-when-recurring-occurrences.json").when,
      { now = april, timezone = "Asia/Kolkata", count = 20 })
    assert.equal(8, #days)
    assert.equal("20220429 12:05", days[8].slot)
  end)

  it("previews the reference's push example (now, DND on the user's clock, cutoff 08:00)", function()
    local w = fx.load("targets-create-push-conversion-goal.json").when
    -- Monday 2035-04-16 23:00 in New York is inside "2": ["21:00","06:00"]
    local function at(now)
      return preview(w, { now = now, timezone = "Asia/Kolkata", user_timezone = "America/New_York" })[1]
    end
    local e = at(utc(2035, 4, 17, 3))
    assert.equal(utc(2035, 4, 17, 10), e.at)
    assert.equal("Tue 2035-04-17 06:00 EDT -04:00", e.user_time)
    -- Thursday 09:05 in New York is inside "5": ["09:00","09:13"]; the cutoff
    -- is the next 08:00 on the user's clock, so the delayed send goes out
    e = at(utc(2035, 4, 19, 13, 5))
    assert.equal(utc(2035, 4, 19, 13, 13), e.at)
    assert.same({ "dnd_delay" }, codes(e))
  end)

  it("counts dropped slots as occurrences of the campaign (the end condition), listing no send", function()
    local w = when.daily { start = "20350415 12:00", occurrences = 3,
                           dnd = { timezone = "account", windows = { all = { "11:00", "13:00" } } } }
    local occ = preview(w, { count = 10 })
    assert.equal(0, #occ)
    assert.equal(3, #occ.slots)
    assert.equal(3, #occ.dropped)
    for i, e in ipairs(occ.slots) do
      assert.equal("dropped", e.status)
      assert.is_nil(e.at)
      assert.equal(e, occ.dropped[i])
    end
  end)

  it("ends even when DND discards everything and there is no end", function()
    local w = when.daily { start = "20350415 12:00",
                           dnd = { timezone = "account", windows = { all = { "11:00", "13:00" } } } }
    local occ = preview(w, { count = 5 })
    assert.equal(0, #occ)
    -- a bounded number of slots is examined, all dropped
    assert.is_true(#occ.slots >= 5 and #occ.slots <= 100)
    assert.equal(#occ.slots, #occ.dropped)
  end)
end)

describe("when.preview across DST changes", function()
  it("keeps a daily wall time in New York across spring forward and fall back", function()
    local spring = preview(when.daily { start = "20350309 09:00" }, { timezone = "America/New_York", count = 4 })
    assert.same({ utc(2035, 3, 9, 14), utc(2035, 3, 10, 14), utc(2035, 3, 11, 13), utc(2035, 3, 12, 13) },
      instants(spring))
    assert.equal("Sun 2035-03-11 09:00 EDT -04:00", spring[3].user_time)
    local fall = preview(when.daily { start = "20351103 09:00" }, { timezone = "America/New_York", count = 2 })
    assert.same({ utc(2035, 11, 3, 13), utc(2035, 11, 4, 14) }, instants(fall))
    assert.equal("Sun 2035-11-04 09:00 EST -05:00", fall[2].user_time)
  end)

  it("sends a skipped wall time after the jump, saying so", function()
    local occ = preview(when.daily { start = "20350310 02:30" }, { timezone = "America/New_York", count = 3 })
    assert.same({ utc(2035, 3, 10, 7, 30), utc(2035, 3, 11, 7, 30), utc(2035, 3, 12, 6, 30) }, instants(occ))
    assert.same({ "dst_gap" }, codes(occ[2]))
    assert.matches("does not exist in America/New_York", occ[2].reason, nil, true)
    assert.equal("Sun 2035-03-11 03:30 EDT -04:00", occ[2].user_time)
    assert.same({}, codes(occ[1]))
  end)

  it("sends a repeated wall time at its first occurrence, saying so", function()
    local occ = preview(when.daily { start = "20351103 01:30" }, { timezone = "America/New_York", count = 3 })
    assert.same({ utc(2035, 11, 3, 5, 30), utc(2035, 11, 4, 5, 30), utc(2035, 11, 5, 6, 30) }, instants(occ))
    assert.same({ "dst_repeat" }, codes(occ[2]))
    assert.equal("Sun 2035-11-04 01:30 EDT -04:00", occ[2].user_time)
  end)

  it("follows London's change to BST", function()
    local occ = preview(when.weekly { days = { "sun" }, start = "20350318 08:00" },
      { timezone = "Europe/London", count = 2 })
    assert.same({ utc(2035, 3, 18, 8), utc(2035, 3, 25, 7) }, instants(occ))
    assert.equal("Sun 2035-03-25 08:00 BST +01:00", occ[2].user_time)
  end)

  it("uses the tz rule past the tables (2100)", function()
    local occ = preview(when.daily { start = "21000313 09:00" }, { timezone = "America/New_York", count = 2 })
    assert.same({ utc(2100, 3, 13, 14), utc(2100, 3, 14, 13) }, instants(occ))
  end)

  it("never delays back in time when a window ends in the repeated hour", function()
    -- 06:15Z on 2035-11-04 is the second 01:15 in New York (EST); the window
    -- ends at 01:30, whose first occurrence (05:30Z) is already past
    local w = when.now { dnd = { state = "delay", timezone = "account", windows = { sat = { "23:00", "01:30" } } } }
    local e = preview(w, { now = utc(2035, 11, 4, 6, 15), timezone = "America/New_York" })[1]
    assert.equal(utc(2035, 11, 4, 6, 30), e.at)
    assert.equal("Sun 2035-11-04 01:30 EST -05:00", e.user_time)
  end)

  it("delays to the end of a DND window on the clock of that night", function()
    local dnd = { state = "delay", timezone = "account", windows = { all = { "22:00", "07:00" } } }
    local occ = preview(when.later { "20350311 00:30", "20351104 00:30", dnd = dnd }, { timezone = "America/New_York" })
    assert.same({ utc(2035, 3, 11, 11), utc(2035, 11, 4, 12) }, instants(occ))
    assert.equal("Sun 2035-03-11 07:00 EDT -04:00", occ[1].user_time)
    assert.equal("Sun 2035-11-04 07:00 EST -05:00", occ[2].user_time)
  end)
end)

describe("when.preview with DND", function()
  -- 2035-04-16 is a Monday
  local times = { "20350415 22:00", "20350416 20:59", "20350416 21:00", "20350416 22:00", "20350417 02:00",
                  "20350417 06:00", "20350418 02:00" }

  it("delays sends in a window that crosses midnight to its end, start inside, end outside", function()
    local w = when.later { times = times, dnd = { state = "delay", timezone = "account",
                                                   windows = { mon = { "21:00", "06:00" } } } }
    local occ = preview(w, { count = 20 })
    local tue6 = utc(2035, 4, 17, 6)
    -- Sunday night has no window; Monday's runs into Tuesday; Tuesday has none
    assert.same({ utc(2035, 4, 15, 22), utc(2035, 4, 16, 20, 59), tue6, tue6, tue6, tue6, utc(2035, 4, 18, 2) },
      instants(occ))
    assert.same({ false, false, true, true, true, false, false },
      { occ[1].delayed, occ[2].delayed, occ[3].delayed, occ[4].delayed, occ[5].delayed, occ[6].delayed,
        occ[7].delayed })
    assert.same({ "dnd_delay" }, codes(occ[4]))
    assert.matches("inside DND Mon 21:00-06:00", occ[5].reason, nil, true)
    assert.equal(utc(2035, 4, 17, 2), occ[5].due)
    assert.equal("send", occ[5].status)
  end)

  it("discards sends in the window (the default state)", function()
    local w = when.later { times = times, dnd = { timezone = "account", windows = { mon = { "21:00", "06:00" } } } }
    local all = preview(w, { count = 20 })
    local occ = all.slots
    assert.same({ "send", "send", "dropped", "dropped", "dropped", "send", "send" },
      { occ[1].status, occ[2].status, occ[3].status, occ[4].status, occ[5].status, occ[6].status, occ[7].status })
    assert.same({ "dnd_discard" }, codes(occ[4]))
    assert.is_nil(occ[4].at)
    assert.equal("2035-04-16T22:00:00Z", occ[4].utc)
    assert.matches("discarded", occ[4].reason, nil, true)
    -- the result itself lists the sends only; the discarded slots are in .dropped
    assert.same({ utc(2035, 4, 15, 22), utc(2035, 4, 16, 20, 59), utc(2035, 4, 17, 6), utc(2035, 4, 18, 2) },
      instants(all))
    assert.same({ occ[3], occ[4], occ[5] }, all.dropped)
  end)

  it("handles windows within a day and Saturday's window running into Sunday", function()
    local w = when.later { "20350415 07:00", "20350419 09:05",
                           dnd = { state = "delay", timezone = "account",
                                   windows = { thu = { "09:00", "09:13" }, sat = { "22:00", "08:00" } } } }
    assert.same({ utc(2035, 4, 15, 8), utc(2035, 4, 19, 9, 13) }, instants(preview(w)))
  end)

  it("keeps delaying through windows that touch", function()
    local windows = { mon = { "21:00", "06:00" }, tue = { "06:00", "07:00" } }
    local w = when.at("20350416 22:00", { dnd = { state = "delay", timezone = "account", windows = windows } })
    local e = preview(w)[1]
    assert.equal(utc(2035, 4, 17, 7), e.at)
    assert.same({ "dnd_delay", "dnd_delay" }, codes(e))
  end)

  it("follows a chain of overlapping windows through the week to its gap", function()
    -- each day's window starts before the previous one ends, so a send at
    -- Monday 13:00 is delayed seven times: Sunday's window ends Monday 05:59,
    -- before Monday's starts again at 12:00
    local windows = { mon = { "12:00", "11:59" }, tue = { "11:00", "10:59" }, wed = { "10:00", "09:59" },
                      thu = { "09:00", "08:59" }, fri = { "08:00", "07:59" }, sat = { "07:00", "06:59" },
                      sun = { "06:00", "05:59" } }
    local e = preview(when.at("20350416 13:00", { dnd = { state = "delay", timezone = "account",
                                                          windows = windows } }))[1]
    assert.equal(utc(2035, 4, 23, 5, 59), e.at)
    assert.equal(7, #e.reasons)
  end)

  it("reads windows on the user's or the account's clock as dnd_timezone says", function()
    local function at(tzname)
      local w = when.at("20350420 13:00", { dnd = { state = "delay", timezone = tzname,
                                                    windows = { all = { "22:00", "07:00" } } } })
      return preview(w, { timezone = "Asia/Kolkata", user_timezone = "America/New_York" })[1]
    end
    -- 13:00 IST = 07:30Z = 03:30 in New York, inside the user's night
    assert.equal(utc(2035, 4, 20, 11), at("user").at)
    assert.equal("Fri 2035-04-20 07:00 EDT -04:00", at("user").user_time)
    assert.equal(utc(2035, 4, 20, 7, 30), at("account").at)
  end)
end)

describe("when.preview with delivery in the user's time zone", function()
  local function slot(opts)
    opts.delivery_timezone = "user"
    return when.at("20350420 12:05", opts)
  end

  it("delivers on the user's clock when the user is behind the account", function()
    local e = preview(slot {}, { timezone = "Asia/Kolkata", user_timezone = "America/New_York" })[1]
    assert.equal(utc(2035, 4, 20, 16, 5), e.at)
    assert.equal("Fri 2035-04-20 12:05 EDT -04:00", e.user_time)
    assert.same({}, codes(e))
  end)

  it("wraps to the next day for users whose clock had passed the time (wrap-around on)", function()
    -- 12:05 IST = 06:35Z, when Tokyo already shows 15:35
    local e = preview(slot { wrap_around = true }, { timezone = "Asia/Kolkata", user_timezone = "Asia/Tokyo" })[1]
    assert.equal(utc(2035, 4, 21, 3, 5), e.at)
    assert.equal("Sat 2035-04-21 12:05 JST +09:00", e.user_time)
    assert.same({ "wrap_around" }, codes(e))
    assert.equal("send", e.status)
  end)

  it("drops for those users when wrap-around is off or not given", function()
    for _, w in ipairs { slot { wrap_around = false }, slot {} } do
      local occ = preview(w, { timezone = "Asia/Kolkata", user_timezone = "Asia/Tokyo" })
      assert.equal(0, #occ)
      local e = occ.dropped[1]
      assert.equal("dropped", e.status)
      assert.is_nil(e.at)
      assert.same({ "wrap_around_drop" }, codes(e))
      assert.matches("user_timezone_wrap_around is off", e.reason, nil, true)
    end
  end)

  it("sends at the account's time when the user shares its zone", function()
    local e = preview(slot {}, { timezone = "Asia/Kolkata" })[1]
    assert.equal(utc(2035, 4, 20, 6, 35), e.at)
  end)

  it("ignores the user's zone for account delivery, but shows the user's clock", function()
    local w = when.at("20350420 12:05", { delivery_timezone = "account" })
    local e = preview(w, { timezone = "Asia/Kolkata", user_timezone = "Asia/Tokyo" })[1]
    assert.equal(utc(2035, 4, 20, 6, 35), e.at)
    assert.equal("Fri 2035-04-20 15:35 JST +09:00", e.user_time)
  end)

  it("applies to each slot of a recurrence", function()
    local w = when.daily { start = "20350420 12:05", occurrences = 2, delivery_timezone = "user", wrap_around = true }
    local occ = preview(w, { timezone = "Asia/Kolkata", user_timezone = "+09:00" })
    assert.same({ utc(2035, 4, 21, 3, 5), utc(2035, 4, 22, 3, 5) }, instants(occ))
  end)
end)

describe("when.preview with a campaign cutoff", function()
  -- Friday 2035-04-20, account on UTC
  local function dnd_until(t) return { state = "delay", timezone = "account", windows = { fri = { "12:00", t } } } end

  it("drops a send that a DND delay pushes past the cutoff", function()
    local occ = preview(when.at("20350420 12:05", { dnd = dnd_until "12:30", cutoff = "12:20" }))
    assert.equal(0, #occ)
    local e = occ.slots[1]
    assert.equal("dropped", e.status)
    assert.is_nil(e.at)
    assert.same({ "dnd_delay", "cutoff" }, codes(e))
    assert.matches("after the campaign cutoff 12:20", e.reason, nil, true)
    assert.equal("2035-04-20T12:30:00Z", e.utc)
  end)

  it("keeps sends at or before the cutoff", function()
    assert.equal(utc(2035, 4, 20, 12, 5), preview(when.at("20350420 12:05", { cutoff = "12:20" }))[1].at)
    local e = preview(when.at("20350420 12:05", { dnd = dnd_until "12:30", cutoff = "12:30" }))[1]
    assert.equal(utc(2035, 4, 20, 12, 30), e.at)
  end)

  it("takes the first cutoff after the slot, past midnight too", function()
    local dnd = { state = "delay", timezone = "account", windows = { fri = { "23:00", "01:00" } } }
    assert.equal(utc(2035, 4, 21, 1), preview(when.at("20350420 23:00", { dnd = dnd, cutoff = "02:00" }))[1].at)
    assert.equal("dropped", preview(when.at("20350420 23:00", { dnd = dnd, cutoff = "00:30" })).slots[1].status)
    -- a "now" campaign at 10:00 with cutoff 08:00 runs until 08:00 the next day
    assert.equal("send", preview(when.now { cutoff = "08:00" }, { now = utc(2035, 4, 20, 10) })[1].status)
  end)

  it("reads the cutoff on the user's clock with delivery in the user's zone", function()
    local function e(cut)
      local w = when.at("20350420 12:05", { delivery_timezone = "user", cutoff = cut,
                                            dnd = { state = "delay", timezone = "user",
                                                    windows = { fri = { "12:00", "12:30" } } } })
      return preview(w, { timezone = "UTC", user_timezone = "-05:00" }).slots[1]
    end
    -- the user's 12:30 is 17:30Z, after the account's 12:40 but before the user's
    assert.equal(utc(2035, 4, 20, 17, 30), e("12:40").at)
    assert.equal("dropped", e("12:20").status)
  end)
end)

describe("when.preview failures", function()
  it("returns nil, err for unknown zones", function()
    assert.matches('opts.timezone: unknown time zone "Nowhere/City"', failure("now", { timezone = "Nowhere/City" }),
      nil, true)
    assert.matches('opts.user_timezone: unknown time zone "Nowhere/Town"',
      failure("now", { user_timezone = "Nowhere/Town" }), nil, true)
    assert.matches("offset out of range", failure("now", { timezone = "+19:00" }), nil, true)
  end)

  it("returns nil, err for an invalid when", function()
    assert.matches("invalid when: ", failure("tomorrow", { now = NOW }), nil, true)
    assert.matches("invalid when: when.type: expected", failure({ type = "monthly" }, { now = NOW }), nil, true)
    assert.matches("invalid when: when: expected at least one delivery time",
      failure({ type = "later" }, { now = NOW }), nil, true)
    assert.matches("invalid when: when: give either end_by_date or end_by_occurrences", failure({
      type = "recurring", repeat_type = "day", repeats_every = 1, start_time = "20350415 12:05",
      end_by_date = "20350420", end_by_occurrences = 3 }, { now = NOW }), nil, true)
    assert.matches("invalid when: when.dnd.message_state", failure({ type = "now", dnd = {
      message_state = 2, dnd_timezone = "user", dnd_info = { ["2"] = { "21:00", "06:00" } } } }, { now = NOW }),
      nil, true)
  end)

  it("previews the reference's later example, reading its integer message_state 1 as delay", function()
    local w = fx.load("targets-create-fragment-when-later.json").when
    assert.equal(1, w.dnd.message_state)
    local occ = preview(w, { now = fx.utc(2022, 4, 1), timezone = "Asia/Kolkata" })
    assert.same({ "20220420 13:00", "20220421 14:00" }, { occ[1].slot, occ[2].slot })
    assert.equal(2, #occ)
    assert.matches('message_state 1 read as "delay"', occ.notes[1], nil, true)
    -- Monday 2035-04-16 22:00 is inside "2": ["21:00","06:00"]: delayed, not discarded
    w = { type = "later", delivery_date_time = { "20350416 22:00" },
          dnd = { message_state = 1, dnd_timezone = "account", dnd_info = { ["2"] = { "21:00", "06:00" } } } }
    assert.equal(utc(2035, 4, 17, 6), preview(w)[1].at)
    w.dnd.message_state = 0
    assert.equal(0, #preview(w))
    assert.same({}, preview("now").notes)
  end)

  it("returns nil, err when the first time is already past at now", function()
    assert.matches("20350420 13:00 (UTC) is in the past at now = 2035-05-01T00:00:00Z",
      failure("20350420 13:00", { now = utc(2035, 5, 1) }), nil, true)
    assert.matches("in the past", failure(when.daily { start = "20350415 12:05" }, { now = utc(2035, 5, 1) }), nil,
      true)
    assert.matches("in the past", failure(when.later { "20350415 12:05", "20350615 12:05" }, { now = utc(2035, 5, 1) }),
      nil, true)
    -- the account's clock decides: 13:00 IST is 07:30Z
    assert.matches("in the past", failure("20350420 13:00", { now = utc(2035, 4, 20, 8), timezone = "Asia/Kolkata" }),
      nil, true)
    assert.equal(1, #preview("20350420 13:00", { now = utc(2035, 4, 20, 7) , timezone = "Asia/Kolkata" }))
  end)

  it("raises on wrong argument types and unknown options, at the caller's line", function()
    local function raises(pattern, ...)
      local args = table.pack and table.pack(...) or { n = select("#", ...), ... }
      local ok, err = pcall(when.preview, (table.unpack or unpack)(args, 1, args.n))
      assert.is_false(ok)
      assert.matches(pattern, err, nil, true)
    end
    raises("when: expected a when value (string or table), got number", 5)
    raises("when: expected a when value", nil)
    raises("opts: expected a table, got string", "now", "UTC")
    raises('opts: unknown option "tz"', "now", { tz = "UTC" })
    raises("opts.now: expected epoch seconds", "now", { now = "2035-01-01" })
    raises("opts.now: expected epoch seconds (a number in years 1000-9999), got inf", "now", { now = math.huge })
    raises("opts.now: expected epoch seconds", "now", { now = 0 / 0 })
    raises("opts.now: expected epoch seconds", "now", { now = 1e300 })
    raises("opts.count: expected an integer from 1 to 100000, got 0", "now", { count = 0 })
    raises("opts.count: expected an integer", "now", { count = 1.5 })
    raises('opts.timezone: expected a zone name such as "Asia/Kolkata"', "now", { timezone = 530 })
    raises("opts.user_timezone: expected a zone name", "now", { user_timezone = true })
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() local occ = when.preview(42); return occ end)
    assert.is_false(ok)
    assert.matches("when_preview_spec%.lua:" .. line .. ": clevertap%.when%.preview: ", err)
  end)
end)

describe("when.format", function()
  it("writes one line per occurrence with status, instant, user clock and reason", function()
    local w = when.later { "20350416 20:00", "20350416 22:00",
                           dnd = { state = "delay", timezone = "account", windows = { mon = { "21:00", "06:00" } } } }
    local occ = preview(w)
    local text = when.format(occ)
    local lines = {}
    for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
    assert.equal(2, #lines)
    assert.matches("20350416 20:00", lines[1], nil, true)
    assert.matches("2035-04-16T20:00:00Z", lines[1], nil, true)
    assert.matches("send", lines[2], nil, true)
    assert.matches("2035-04-17T06:00:00Z", lines[2], nil, true)
    assert.matches("delayed to", lines[2], nil, true)
    assert.equal("", when.format({}))
  end)
end)
