-- preview --calendar: the month grid (send days marked, all-dropped days
-- marked apart), the hours of each weekday (sends, DND and after-cutoff
-- shaded), on the chosen clock, in UTF-8 or ASCII.
local cli = require "support.cli"
local files = require "support.files"

local NOW = "1796342400"  -- Fri 2026-12-04 00:00 UTC

local function campaign(dir, name, when_src)
  return files.write(dir .. "/" .. name .. ".lua", [[
local when = require("clevertap").when
return { name = "Cal", target_mode = "push", where = {}, devices = { "android" },
  content = { title = "t", body = "b" }, when = ]] .. when_src .. " }\n")
end

-- The calendar's lines: the month grid rows by month name, the hour strips by weekday.
local function parse(stdout)
  local months, hours, current = {}, {}, nil
  for line in stdout:gmatch("[^\n]*") do
    local month = line:match("^  (%a+ %d%d%d%d)$")
    if month then current = month; months[month] = {} end
    local day, strip = line:match("^  (%a%a%a)     (.+)$")
    if day then hours[day] = strip; current = nil
    elseif current and line:match("^  [ %d]") then
      local marks = months[current]
      for d, m in line:gmatch("(%d+)([%*x]?)") do marks[tonumber(d)] = m end
    end
  end
  return months, hours
end

local function chars(s)
  local out = {}
  for c in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do out[#out + 1] = c end
  return out
end

describe("clevertap preview --calendar", function()
  local dir
  before_each(function() dir = files.temp_dir() end)
  after_each(function() files.remove_dir(dir) end)

  local WEEKLY = [[when.weekly{ days = { "mon", "thu" }, start = "20261207 21:30", occurrences = 8, cutoff = "23:00",
    dnd = { state = "delay", timezone = "account", windows = { weekdays = { "22:00", "07:00" } } } }]]

  it("marks the send days and shades DND and cutoff hours", function()
    local path = campaign(dir, "weekly", WEEKLY)
    local r = cli.run({ "preview", path, "--calendar", "--timezone", "Asia/Kolkata", "--now", NOW },
      { env = { LANG = "C.UTF-8" } })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("Calendar on Asia/Kolkata, 2026-11-29 to 2027-01-02:  * send  x all dropped  ░ DND", r.stdout, 1,
      true)
    local months, hours = parse(r.stdout)
    local dec = months["December 2026"]
    for d = 1, 31 do
      local sends = { [7] = true, [10] = true, [14] = true, [17] = true, [21] = true, [24] = true, [28] = true,
                      [31] = true }
      assert.equal(sends[d] and "*" or "", dec[d], "December " .. d)
    end
    assert.is_nil(months["February 2027"])
    local mon, tue, sun = chars(hours.Mon), chars(hours.Tue), chars(hours.Sun)
    assert.equal(24, #mon)
    assert.equal("*", mon[22])                 -- 21:00 (1-based index 22)
    assert.equal("░", mon[23])                 -- 22:00: Monday's DND starts
    assert.equal("·", mon[1])                  -- no Sunday-night window
    for h = 1, 7 do assert.equal("░", tue[h]) end  -- Mon 22:00 - Tue 07:00
    assert.equal("·", tue[8])
    assert.equal("▒", sun[24])                 -- after the 23:00 cutoff
    assert.equal("*", chars(hours.Thu)[22])
  end)

  it("draws on the user's clock when --user-timezone is given, in ASCII without UTF-8", function()
    local path = campaign(dir, "weekly", WEEKLY)
    local r = cli.run({ "preview", path, "--calendar", "--timezone", "Asia/Kolkata", "--user-timezone", "UTC",
      "--now", NOW, "--weeks", "2" }, { env = { LANG = "C" } })
    assert.equal(0, r.code, r.stderr)
    assert.matches("Calendar on UTC, 2026-11-29 to 2026-12-12:  * send  x all dropped  # DND  : after the cutoff",
      r.stdout, 1, true)
    local months, hours = parse(r.stdout)
    assert.equal("*", months["December 2026"][7])
    assert.equal("", months["December 2026"][14] or "")  -- outside the two weeks: not shown
    assert.equal("*", hours.Mon:sub(17, 17))   -- 21:30 IST is 16:00 UTC
    assert.equal(".", hours.Mon:sub(22, 22))
  end)

  it("marks days whose only slot was dropped", function()
    local path = campaign(dir, "discard", [[when.weekly{ days = { "tue" }, start = "20261208 23:00",
      occurrences = 3,
      dnd = { state = "discard", timezone = "account", windows = { daily = { "22:00", "07:00" } } } }]])
    local r = cli.run({ "preview", path, "--calendar", "--now", NOW }, { env = { LANG = "C" } })
    assert.equal(0, r.code, r.stderr)
    local months, hours = parse(r.stdout)
    assert.equal("x", months["December 2026"][8])
    assert.equal("x", months["December 2026"][15])
    assert.equal("x", hours.Tue:sub(24, 24))
    assert.equal("#", hours.Tue:sub(23, 23))
  end)

  it("refuses --weeks without --calendar or out of range", function()
    local path = campaign(dir, "weekly", WEEKLY)
    local a = cli.run({ "preview", path, "--weeks", "3" })
    assert.equal(2, a.code)
    assert.matches("--weeks needs --calendar", a.stderr, 1, true)
    local b = cli.run({ "preview", path, "--calendar", "--weeks", "99" })
    assert.equal(2, b.code)
    assert.matches("--weeks expects a whole number from 1 to 52", b.stderr, 1, true)
  end)
end)
