--- Price-drop alert, the API reference's own example of what Create Campaign
-- is for: a push notification to the users who viewed a product in the past
-- week, now that its price dropped. One campaign per product whose price
-- fell, built in a loop from the catalog module next to this file.
--
--   clevertap preview  examples/price_drop.lua
--   clevertap estimate examples/price_drop.lua
--   clevertap create   examples/price_drop.lua
local when = require("clevertap").when
local catalog = require "data.catalog"

local DAY = 24 * 60 * 60
-- PRICE_DROP_MIN_PERCENT: only alert for drops at least this big.
local min_percent = tonumber(os.getenv("PRICE_DROP_MIN_PERCENT") or "") or 10
local now = os.time()
local today = tonumber(os.date("%Y%m%d", now))
local week_ago = tonumber(os.date("%Y%m%d", now - 7 * DAY))

local campaigns = {}
for _, product in ipairs(catalog.products) do
  local percent = math.floor((1 - product.new_price / product.old_price) * 100 + 0.5)
  if percent >= min_percent then
    campaigns[#campaigns + 1] = {
      name = "Price drop: " .. product.name,
      target_mode = "push",
      where = {
        event_name = "Product Viewed",
        from = week_ago,
        to = today,
      },
      content = {
        title = product.name .. " is now " .. percent .. "% off",
        body = string.format("Down from %s %d to %s %d. Tap to see it before it's gone.",
          catalog.currency, product.old_price, catalog.currency, product.new_price),
        platform_specific = {
          android = { deep_link = product.url, wzrk_cid = "price-alerts" },
          ios = { deep_link = product.url },
        },
      },
      devices = { "android", "ios" },
      -- Count a purchase of this product within a day as a conversion.
      conversion_goal = {
        event_name = "Charged",
        filter_type = {
          event_property = {
            { property_name = "Items|Product ID", operator = "equals", property_value = product.id },
          },
        },
        conversion_time = "1D",
        revenue_property = "Amount",
      },
      -- Right away, but never at night in the user's own time zone: alerts
      -- that arrive in the quiet hours wait until they end.
      when = when.now{
        delivery_timezone = "user",
        dnd = { state = "delay", timezone = "user", windows = { daily = { "22:00", "08:00" } } },
      },
    }
  end
end
return campaigns
