-- Time zones for when.preview: TZif files, their POSIX footer rules, fixed
-- offsets, and wall-clock to instant conversion around DST changes.
local tz = require "clevertap.when.tz"
local posix = require "clevertap.when.posix"
local civil = require "clevertap.when.civil"

local function utc(y, m, d, hh, mm) return civil.epoch(y, m, d, hh or 0, mm or 0, 0) end

local function zone(name) return assert(tz.get(name)) end

local function offset(name, t)
  local o, abbr, dst = zone(name):offset(t)
  return o, abbr, dst
end

describe("civil calendar", function()
  it("agrees with os.date's UTC calendar, leap days and negative times included", function()
    for _, t in ipairs { 0, -1, 86399, 951782400, 951868800, 1650000000, 4102444800, -2208988800 } do
      local f, u = civil.fields(t), os.date("!*t", t)
      assert.same({ u.year, u.month, u.day, u.hour, u.min, u.sec, u.wday },
        { f.year, f.month, f.day, f.hour, f.min, f.sec, f.wday })
      assert.equal(t, civil.epoch(f.year, f.month, f.day, f.hour, f.min, f.sec))
    end
  end)

  it("knows leap years", function()
    assert.is_true(civil.is_leap(2000))
    assert.is_false(civil.is_leap(2100))
    assert.is_true(civil.is_leap(2036))
    assert.is_false(civil.valid_date(2035, 2, 29))
    assert.is_true(civil.valid_date(2036, 2, 29))
  end)
end)

describe("tz.get", function()
  it("reads IANA zones: India has no DST", function()
    assert.equal(19800, (offset("Asia/Kolkata", utc(2035, 1, 1))))
    assert.equal(19800, (offset("Asia/Kolkata", utc(2035, 7, 1))))
    assert.equal("IST", select(2, offset("Asia/Kolkata", utc(2035, 7, 1))))
  end)

  it("reads New York's EST and EDT, from the table and from the footer rule", function()
    local o, abbr, dst = offset("America/New_York", utc(2030, 1, 15, 12))
    assert.same({ -18000, "EST", false }, { o, abbr, dst })
    o, abbr, dst = offset("America/New_York", utc(2030, 7, 15, 12))
    assert.same({ -14400, "EDT", true }, { o, abbr, dst })
    -- 2100 is past the transitions listed in the file: the POSIX rule decides
    o, abbr, dst = offset("America/New_York", utc(2100, 7, 1, 12))
    assert.same({ -14400, "EDT", true }, { o, abbr, dst })
    assert.equal(-18000, (offset("America/New_York", utc(2100, 12, 1, 12))))
  end)

  it("switches at the documented instants (US: second Sunday of March, first of November, 02:00)", function()
    -- 2035-03-11 02:00 EST = 07:00Z; 2035-11-04 02:00 EDT = 06:00Z
    assert.equal(-18000, (offset("America/New_York", utc(2035, 3, 11, 6, 59))))
    assert.equal(-14400, (offset("America/New_York", utc(2035, 3, 11, 7, 0))))
    assert.equal(-14400, (offset("America/New_York", utc(2035, 11, 4, 5, 59))))
    assert.equal(-18000, (offset("America/New_York", utc(2035, 11, 4, 6, 0))))
    -- 2100-03-14 and 2100-11-07 (footer rule M3.2.0, M11.1.0)
    assert.equal(-18000, (offset("America/New_York", utc(2100, 3, 14, 6, 59))))
    assert.equal(-14400, (offset("America/New_York", utc(2100, 3, 14, 7, 0))))
    assert.equal(-14400, (offset("America/New_York", utc(2100, 11, 7, 5, 59))))
    assert.equal(-18000, (offset("America/New_York", utc(2100, 11, 7, 6, 0))))
  end)

  it("switches London at 01:00 UTC on the last Sundays of March and October", function()
    assert.same({ 0, "GMT", false }, { offset("Europe/London", utc(2035, 3, 25, 0, 59)) })
    assert.same({ 3600, "BST", true }, { offset("Europe/London", utc(2035, 3, 25, 1, 0)) })
    assert.equal(3600, (offset("Europe/London", utc(2035, 10, 28, 0, 59))))
    assert.equal(0, (offset("Europe/London", utc(2035, 10, 28, 1, 0))))
    assert.equal(3600, (offset("Europe/London", utc(2140, 7, 1))))
  end)

  it("handles southern-hemisphere DST spanning the new year", function()
    assert.same({ 39600, "AEDT", true }, { offset("Australia/Sydney", utc(2035, 1, 1)) })
    assert.same({ 36000, "AEST", false }, { offset("Australia/Sydney", utc(2035, 7, 1)) })
    assert.same({ 39600, "AEDT", true }, { offset("Australia/Sydney", utc(2120, 1, 1)) })
    assert.same({ 36000, "AEST", false }, { offset("Australia/Sydney", utc(2120, 7, 1)) })
  end)

  it("uses the first time type before the first transition", function()
    local o = offset("America/New_York", -5e9)
    assert.equal(-17762, o) -- local mean time of New York
  end)

  it("agrees with date(1) on many instants in many zones", function()
    local zones = { "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo",
                    "Pacific/Chatham", "Asia/Tehran", "Africa/Casablanca", "America/Santiago", "Europe/Dublin",
                    "America/St_Johns", "Antarctica/Troll", "Pacific/Kiritimati", "Etc/GMT+5", "UTC" }
    local seed, times = 12345, {}
    for i = 1, 60 do
      seed = (seed * 16807) % 2147483647
      -- 1901 .. 2150
      times[i] = math.floor(-2177452800 + (seed / 2147483647) * (5680281600 + 2177452800))
    end
    local file = os.tmpname()
    local fh = assert(io.open(file, "w"))
    for _, t in ipairs(times) do fh:write(string.format("@%.0f\n", t)) end
    fh:close()
    for _, name in ipairs(zones) do
      local p = assert(io.popen("TZ=" .. name .. " date -f " .. file .. " +'%z %Z'"))
      local i = 0
      for line in p:lines() do
        i = i + 1
        local sign, hh, mm, abbr = line:match("^([+-])(%d%d)(%d%d) (.+)$")
        local expected = (tonumber(hh) * 3600 + tonumber(mm) * 60) * (sign == "-" and -1 or 1)
        local o, a = zone(name):offset(times[i])
        -- date(1) prints whole minutes: compare at that precision
        local shown = o - o % 60
        if o < 0 and o % 60 ~= 0 then shown = o + (60 - o % 60) end
        assert.equal(expected, shown, name .. " at " .. string.format("%.0f", times[i]))
        assert.equal(abbr, a, name .. " at " .. string.format("%.0f", times[i]))
      end
      p:close()
      assert.equal(#times, i)
    end
    os.remove(file)
  end)

  it("caches zones", function()
    assert.equal(zone("Asia/Tokyo"), zone("Asia/Tokyo"))
  end)

  it("reads fixed offsets in several spellings", function()
    local cases = {
      ["+05:30"] = 19800, ["+0530"] = 19800, ["-08:00"] = -28800, ["-0800"] = -28800, ["+5"] = 18000,
      ["-3"] = -10800, ["UTC+05:30"] = 19800, ["GMT-2"] = -7200, ["utc+1"] = 3600, ["UTC"] = 0, ["Z"] = 0,
      ["GMT"] = 0, ["+14:00"] = 50400, ["-12:00"] = -43200,
    }
    for name, off in pairs(cases) do
      local o, _, dst = zone(name):offset(utc(2035, 7, 1))
      assert.equal(off, o, name)
      assert.is_false(dst)
      assert.equal(off, (zone(name):offset(utc(2035, 1, 1))))
    end
    assert.equal("+05:30", select(2, zone("+0530"):offset(0)))
  end)

  it("refuses unknown zones with a clear message", function()
    local z, err = tz.get("Mars/Olympus_Mons")
    assert.is_nil(z)
    assert.matches('unknown time zone "Mars/Olympus_Mons"', err, nil, true)
    assert.matches("IANA name", err, nil, true)
    for _, bad in ipairs { "../../etc/passwd", "/etc/passwd", "Asia/../Asia/Tokyo", "New York", "" } do
      z, err = tz.get(bad)
      assert.is_nil(z, bad)
      assert.matches("expected an IANA name", err, nil, true)
    end
    z, err = tz.get("+25:00")
    assert.is_nil(z)
    assert.matches("offset out of range", err, nil, true)
    z, err = tz.get("+05:75")
    assert.is_nil(z)
    assert.matches("offset out of range", err, nil, true)
    z, err = tz.get(5)
    assert.is_nil(z)
    assert.matches("expected a time zone name", err, nil, true)
  end)

  it("refuses files that are not TZif", function()
    local z, err = tz.get("leapseconds")
    assert.is_nil(z)
    assert.matches("not a TZif file", err, nil, true)
    z, err = tz.get("America")
    assert.is_nil(z)
    assert.matches("not a TZif file", err, nil, true)
  end)
end)

describe("tz.parse_tzif", function()
  local function be32(n)
    if n < 0 then n = n + 4294967296 end
    return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  local function header(version, timecnt, typecnt, charcnt)
    return "TZif" .. version .. string.rep("\0", 15) .. be32(0) .. be32(0) .. be32(0) .. be32(timecnt)
      .. be32(typecnt) .. be32(charcnt)
  end

  it("reads version 1 files (32-bit times, no footer)", function()
    -- one transition at t = 1000 from type 0 (+01:00 "AAA") to type 1 (+02:00 "BBB", DST)
    local data = header("\0", 1, 2, 8) .. be32(1000) .. "\1" .. be32(3600) .. "\0\0" .. be32(7200) .. "\1\4"
      .. "AAA\0BBB\0"
    local z = assert(tz.parse_tzif(data, "Test/V1"))
    assert.same({ 3600, "AAA", false }, { z:offset(999) })
    assert.same({ 7200, "BBB", true }, { z:offset(1000) })
    assert.same({ 7200, "BBB", true }, { z:offset(5e9) })
  end)

  it("reads version 2 files and their footer", function()
    local v1 = header("2", 0, 1, 4) .. be32(0) .. "\0\0" .. "UTC\0"
    local v2 = header("2", 1, 1, 4) .. be32(0) .. be32(0) .. "\0" .. be32(-10800) .. "\0\0" .. "-03\0"
      .. "\n<-03>3\n"
    local z = assert(tz.parse_tzif(v1 .. v2, "Test/V2"))
    assert.same({ -10800, "-03", false }, { z:offset(5e9) })
  end)

  it("refuses garbage, truncation and bad footers", function()
    assert.same({ nil, "not a TZif file" }, { tz.parse_tzif("hello", "x") })
    local v1 = header("2", 0, 1, 4) .. be32(0) .. "\0\0" .. "UTC\0"
    assert.same({ nil, "truncated TZif file" }, { tz.parse_tzif(v1, "x") })
    local v2 = header("2", 0, 1, 4) .. be32(0) .. "\0\0" .. "UTC\0" .. "\nnot a rule\n"
    local z, err = tz.parse_tzif(v1 .. v2, "x")
    assert.is_nil(z)
    assert.matches("TZif footer", err, nil, true)
    assert.same({ nil, "truncated TZif file" }, { tz.parse_tzif(header("\0", 5, 1, 4), "x") })
  end)
end)

describe("posix rules", function()
  local function off(rule, t) return (assert(posix.parse(rule)):offset(t)) end

  it("reads standard-only rules, quoted names and minutes", function()
    assert.equal(19800, off("IST-5:30", 0))
    assert.equal(-10800, off("<-03>3", 0))
    assert.equal(20700, off("<+0545>-5:45", 0))
    assert.equal(-12600, off("<-0330>3:30", 0))
  end)

  it("reads Mm.w.d rules with default and explicit times", function()
    local us = "EST5EDT,M3.2.0,M11.1.0"
    assert.equal(-18000, off(us, utc(2035, 3, 11, 6, 59)))
    assert.equal(-14400, off(us, utc(2035, 3, 11, 7)))
    local eu = "GMT0BST,M3.5.0/1,M10.5.0"
    assert.equal(0, off(eu, utc(2035, 3, 25, 0, 59)))
    assert.equal(3600, off(eu, utc(2035, 3, 25, 1)))
    assert.equal(3600, off(eu, utc(2035, 10, 28, 0, 59)))
    assert.equal(0, off(eu, utc(2035, 10, 28, 1)))
  end)

  it("reads southern-hemisphere rules", function()
    local au = "AEST-10AEDT,M10.1.0,M4.1.0/3"
    assert.equal(39600, off(au, utc(2035, 1, 1)))
    assert.equal(36000, off(au, utc(2035, 6, 1)))
    assert.equal(39600, off(au, utc(2035, 12, 31)))
  end)

  it("reads Julian-day rules (Jn skips 29 February, n counts it)", function()
    -- J60 is 1 March in every year; day 59 (0-based) is 29 February in a leap year
    local j = "XST3XDT,J60/0,J300/0"
    assert.equal(-10800, off(j, utc(2036, 3, 1, 2, 59)))
    assert.equal(-7200, off(j, utc(2036, 3, 1, 3)))
    local n = "XST3XDT,59/0,300/0"
    assert.equal(-7200, off(n, utc(2036, 2, 29, 3)))
    assert.equal(-10800, off(n, utc(2035, 3, 1, 2, 59)))
    assert.equal(-7200, off(n, utc(2035, 3, 1, 3)))
  end)

  it("reads explicit DST offsets and negative or large rule times", function()
    assert.equal(-7200, off("<-03>3<-02>2,M3.5.0/-2,M10.5.0/-1", utc(2035, 7, 1)))
    -- "permanent DST" spelled as a rule covering the whole year
    assert.equal(-14400, off("EST5EDT,0/0,J365/25", utc(2035, 7, 1)))
    assert.equal(-14400, off("EST5EDT,0/0,J365/25", utc(2035, 1, 2)))
  end)

  it("refuses what is not a rule", function()
    for _, bad in ipairs { "", "5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x",
                           "EST5EDT,J0,J365", "EST5EDT,M3.6.0,M11.1.0" } do
      local r, err = posix.parse(bad)
      assert.is_nil(r, bad)
      assert.is_string(err)
    end
  end)
end)

describe("Zone:to_utc", function()
  local ny = function() return zone("America/New_York") end

  it("finds the instant of an ordinary wall time", function()
    local t, note = ny():to_utc { year = 2035, month = 7, day = 1, hour = 9, min = 0 }
    assert.equal(utc(2035, 7, 1, 13), t)
    assert.is_nil(note)
  end)

  it("moves a wall time that does not exist past the jump (02:30 -> 03:30 EDT)", function()
    local t, note = ny():to_utc { year = 2035, month = 3, day = 11, hour = 2, min = 30 }
    assert.equal(utc(2035, 3, 11, 7, 30), t)
    assert.equal("gap", note)
    assert.equal(3, ny():fields(t).hour)
  end)

  it("takes the first of a wall time that happens twice (01:30 EDT)", function()
    local t, note = ny():to_utc { year = 2035, month = 11, day = 4, hour = 1, min = 30 }
    assert.equal(utc(2035, 11, 4, 5, 30), t)
    assert.equal("ambiguous", note)
  end)

  it("works past the table too (footer rule) and on fixed offsets", function()
    local t, note = ny():to_utc { year = 2100, month = 3, day = 14, hour = 2, min = 30 }
    assert.equal(utc(2100, 3, 14, 7, 30), t)
    assert.equal("gap", note)
    local fixed = zone("+05:30")
    assert.equal(utc(2035, 4, 20, 7, 30), fixed:to_utc { year = 2035, month = 4, day = 20, hour = 13, min = 0 })
  end)

  it("formats offsets", function()
    assert.equal("+05:30", tz.format_offset(19800))
    assert.equal("-03:30", tz.format_offset(-12600))
    assert.equal("+00:00", tz.format_offset(0))
  end)
end)
