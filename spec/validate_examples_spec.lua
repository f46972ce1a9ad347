-- Every example payload of the API reference validates without errors, and
-- encode(decode(x)) gives back the same value. Fixtures and their sources:
-- spec/fixtures/examples/SOURCES.md.
local cjson = require "cjson"
local clevertap = require "clevertap"
local fx = require "fixtures.util"

-- Table members (fragments) are merged into a whole example at a pointer.
-- `now` for the ones whose documented dates are in the past.
local APRIL_2022 = fx.utc(2022, 4, 1)
local FRAGMENTS = {
  ["conversion_goal"] = { "targets-create-push-conversion-goal.json", "" },
  ["filter_type"] = { "targets-create-push-conversion-goal.json", "/conversion_goal" },
  ["event_property"] = { "targets-create-push-conversion-goal.json", "/conversion_goal/filter_type" },
  ["time_of_day"] = { "targets-create-push-conversion-goal.json", "/conversion_goal/filter_type" },
  ["day_of_week"] = { "targets-create-push-conversion-goal.json", "/conversion_goal/filter_type" },
  ["day_of_month"] = { "targets-create-push-conversion-goal.json", "/conversion_goal/filter_type" },
  ["where"] = { "targets-create-sms.json", "" },
  ["control_group-custom"] = { "targets-create-sms.json", "" },
  ["control_group-campaign"] = { "targets-create-sms.json", "" },
  ["skip_estimate"] = { "targets-create-sms.json", "" },
  ["upper_cap_for_target_segment"] = { "targets-create-sms.json", "" },
  ["users_limit_overall"] = { "targets-create-sms.json", "" },
  ["users_limit_per_run"] = { "targets-create-sms.json", "" },
  ["content-email"] = { "targets-create-email.json", "" },
  ["attachments-document"] = { "targets-create-whatsapp-template.json", "/content" },
  ["attachments-location"] = { "targets-create-whatsapp-template.json", "/content" },
  ["wzrk_acts"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["background_image"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["notification_tray_priority"] = { "targets-create-push-conversion-goal.json",
                                     "/content/platform_specific/android" },
  ["delivery_priority"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["android_collapse"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["ios_collapse"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/ios" },
  ["summary"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["subtitle"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/ios" },
  ["large_icon"] = { "targets-create-push-conversion-goal.json", "/content/platform_specific/android" },
  ["platform_specific"] = { "targets-create-push-conversion-goal.json", "/content" },
  ["ttl-absolute"] = { "targets-create-push-conversion-goal.json", "" },
  ["ttl-relative"] = { "targets-create-push-conversion-goal.json", "" },
  ["when-later"] = { "targets-create-push-conversion-goal.json", "", APRIL_2022 },
  ["dnd"] = { "targets-create-push-conversion-goal.json", "/when" },
  ["advanced_query"] = { "targets-create-sms.json", "/where" },
  ["when-recurring-week"] = { "targets-create-push-conversion-goal.json", "", APRIL_2022 },
  ["when-recurring-occurrences"] = { "targets-create-push-conversion-goal.json", "", APRIL_2022 },
}

-- The warnings each example earns (where the docs contradict themselves or an
-- example uses a legacy form); any other warning on an example is a failure.
local PUSH_CG = {
  "/conversion_goal/filter_type/day_of_week/1", -- 7 outside 0-6
  "/ttl/value",                                 -- absolute ttl in the past
  "/conversion_goal/filter_type/event_property/1/property_value", -- a number for a String (cc 69 sends numbers)
}
local WARNINGS = {
  ["send-email-legacy.json"] = { "/content/sender_name" },
  ["send-sms-curl.json"] = { "/tag_group" },
  ["send-webpush.json"] = { "/tag_group" },
  ["targets-create-push-conversion-goal.json"] = PUSH_CG,
  ["targets-create-push-legacy.json"] = { "/target_mode", "/where/common_profile_properties/profile_fields/0/Key" },
  ["targets-create-whatsapp-interactive-location.json"] = { "/content/header/media/latitiude" },
  ["targets-create-whatsapp-interactive-location-buttons.json"] = { "/content/header/media/latitiude" },
  ["targets-create-fragment-filter_type.json"] = { "/conversion_goal/filter_type/time_of_day", PUSH_CG[2] },
  ["targets-create-fragment-conversion_goal.json"] = { PUSH_CG[2],
    "/conversion_goal/filter_type/event_property/3/property_value/0",
    "/conversion_goal/filter_type/event_property/3/property_value/1" },
  ["targets-create-fragment-when-later.json"] = { "/when/dnd/message_state", PUSH_CG[1], PUSH_CG[3] },
}

-- Fragments mounted into push-conversion-goal keep its warnings, except where
-- they replace the member or move `now` before its ttl.
local function expected_warnings(name)
  if WARNINGS[name] then return WARNINGS[name] end
  local frag = name:match("^targets%-create%-fragment%-(.+)%.json$")
  local mount = frag and FRAGMENTS[frag]
  if not (mount and mount[1] == "targets-create-push-conversion-goal.json") then return {} end
  local out = {}
  if not (frag == "day_of_week" or frag == "filter_type" or frag == "conversion_goal") then
    out[#out + 1] = PUSH_CG[1]
  end
  if not (frag == "ttl-relative" or mount[3]) then out[#out + 1] = PUSH_CG[2] end
  if not (frag == "event_property" or frag == "filter_type" or frag == "conversion_goal") then
    out[#out + 1] = PUSH_CG[3]
  end
  return out
end

local function payload_of(name)
  local frag = name:match("^targets%-create%-fragment%-(.+)%.json$")
  if not frag then return fx.load(name), nil end
  local m = assert(FRAGMENTS[frag], "no mount point for fragment " .. name)
  return fx.mount(fx.load(m[1]), m[2], fx.load(name)), m[3]
end

local function pointers(list, severity)
  local out = {}
  for _, p in ipairs(list or {}) do
    if p.severity == severity then out[#out + 1] = p.pointer end
  end
  table.sort(out)
  return out
end

local function sorted(t)
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  return c
end

-- cjson.decode gives floats for big integers on some builds: compare numbers by value.
local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

describe("documented examples", function()
  local files = fx.files()

  it("are all here and all listed in SOURCES.md", function()
    local sources = fx.read("SOURCES.md")
    assert.is_true(#files >= 60, "fixtures found: " .. #files)
    for _, name in ipairs(files) do
      assert.truthy(sources:find("| " .. name .. " |", 1, true), name .. " has no SOURCES.md line")
    end
  end)

  it("cover every endpoint and every target mode and template", function()
    local seen = {}
    for _, name in ipairs(files) do
      seen[fx.endpoint_of(name)] = true
      local p = payload_of(name)
      if p.target_mode then seen[p.target_mode] = true end
      if p.template_type then seen[p.template_type] = true end
    end
    for _, k in ipairs{ "targets/create", "targets/list", "targets/stop", "targets/result", "targets/trigger",
                        "send/push", "send/webpush", "send/email", "send/sms", "push", "webpush", "email", "sms",
                        "webhook", "notificationinbox", "whatsapp", "simple", "carousel", "carousel-image",
                        "message-icon" } do
      assert.is_true(seen[k] == true, "no example for " .. k)
    end
  end)

  for _, name in ipairs(files) do
    local endpoint = fx.endpoint_of(name)

    it(name .. " validates with no errors (" .. endpoint .. ")", function()
      local payload, now = payload_of(name)
      local ok, problems = clevertap.validate(endpoint, payload, { now = now })
      assert.is_true(ok, tostring(problems))
      assert.same(sorted(expected_warnings(name)), pointers(problems, "warning"))
    end)

    it(name .. " round-trips through encode", function()
      local payload, now = payload_of(name)
      local json, err = clevertap.encode(endpoint, fx.copy(payload), { now = now })
      assert.is_string(json, tostring(err))
      local back = cjson.decode(json)
      assert.is_true(same(payload, back), json)
      -- and the text is stable: encoding the decoded text again gives the same bytes
      assert.equal(json, (clevertap.encode(endpoint, back, { now = now })))
    end)
  end

  describe("encoded", function()
    local function encoded(name)
      local payload, now = payload_of(name)
      return assert(clevertap.encode(fx.endpoint_of(name), payload, { now = now }))
    end

    it("writes an empty replacements list as [] (the schema says array)", function()
      assert.truthy(encoded("targets-create-whatsapp-interactive-image.json"):find('"replacements":[]', 1, true))
    end)

    it("writes yyyyMMddHHmm and campaign ids as integers", function()
      assert.truthy(encoded("targets-create-push-conversion-goal.json"):find('"value":202207200000', 1, true))
      assert.truthy(encoded("send-sms-curl.json"):find('"campaign_id":1000000043', 1, true))
      assert.truthy(encoded("targets-stop-legacy.json"):find('"id":1457432766', 1, true))
    end)

    it("writes an empty where as {} (the schema says object)", function()
      local p = fx.load("targets-create-sms.json")
      p.where = {}
      local json = assert(clevertap.encode("targets/create", p))
      assert.truthy(json:find('"where":{}', 1, true), json)
    end)
  end)
end)
