--- Weekly digest: an email every Monday at 09:00 in each user's own time
-- zone, for twelve weeks, never during the user's quiet hours (delayed,
-- not dropped). The first Monday is computed, so the file stays valid.
--
--   clevertap preview examples/weekly_digest.lua --timezone Asia/Kolkata
--   clevertap create  examples/weekly_digest.lua
local when = require("clevertap").when

local DAY = 24 * 60 * 60
-- The next Monday after today, at 09:00 local time.
local t = os.time() + DAY
while os.date("*t", t).wday ~= 2 do t = t + DAY end
local monday = os.date("*t", t)
monday.hour, monday.min, monday.sec = 9, 0, 0

return {
  name = "Weekly digest",
  target_mode = "email",
  where = {},                      -- the whole user base
  respect_frequency_caps = true,
  content = {
    subject = "Your week at Example Shop",
    body = "<h1>This week</h1><p>New arrivals, price drops on items you viewed, and your order status.</p>",
    sender_name = "Example Shop",
  },
  when = when.weekly{
    days = { "mon" },
    start = os.time(monday),
    occurrences = 12,
    delivery_timezone = "user",
    wrap_around = true,            -- users whose 09:00 has passed get it the next day
    dnd = {
      state = "delay",
      timezone = "user",
      windows = { weekdays = { "22:00", "07:00" }, weekend = { "23:00", "08:00" } },
    },
  },
}
