-- Acceptance: clevertap.validate / clevertap.encode as SPEC.md and the API
-- reference describe them, through the public façade only. Written from
-- the contract (return shapes, pointers, documented constraints, encode
-- rules), not from the implementation; the per-rule specs are
-- validate_rules_*_spec.lua.
local clevertap = require "clevertap"
local cjson = require "cjson"

local APRIL_2022 = os.time { year = 2022, month = 4, day = 1, hour = 0 } -- before every documented date

local ENDPOINTS = { "targets/create", "targets/list", "targets/stop", "targets/result", "targets/trigger",
                    "send/push", "send/webpush", "send/email", "send/sms" }

local function copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end

local function with(t, changes)
  local c = copy(t)
  for k, v in pairs(changes) do
    if v == false and k ~= "estimate_only" then c[k] = nil else c[k] = v end
  end
  return c
end

local PUSH_CAMPAIGN = {
  name = "My API Campaign", target_mode = "push", where = {}, when = "now", devices = { "android", "ios" },
  content = { title = "Hi!", body = "How are you doing today?" },
}
local SEND_PUSH = { to = { Identity = { "JohnDoe" } }, content = { title = "Welcome", body = "Hello world!" } }
local BULLETIN = {
  business_event = "Program Released", name = "Sa Re Ga Ma episode 12",
  properties = { program_id = "234567", language = "Hindi", prev_program_id = "123457" },
  ["c-by"] = "releases@example.com", when = "now",
}

-- Every problem at `pointer`; fails when there is none.
local function at(list, pointer, severity)
  local found = {}
  for _, p in ipairs(list) do
    if p.pointer == pointer and (severity == nil or p.severity == severity) then found[#found + 1] = p end
  end
  assert(#found > 0, "no " .. (severity or "problem") .. " at " .. pointer .. ":\n" .. tostring(list))
  return found[1]
end

local function errors(endpoint, payload, opts)
  local ok, list = clevertap.validate(endpoint, payload, opts)
  assert.is_nil(ok, "expected errors, got none")
  assert.is_table(list)
  return list
end

local function error_at(endpoint, payload, pointer, opts)
  local p = at(errors(endpoint, payload, opts), pointer, "error")
  assert.is_string(p.message)
  assert.is_true(#p.message > 0)
  return p
end

local function valid(endpoint, payload, opts)
  local ok, list = clevertap.validate(endpoint, payload, opts)
  assert(ok == true, "expected valid:\n" .. tostring(list))
  return list
end

describe("acceptance: validate return shapes", function()
  it("returns true and an empty warnings array for a clean payload", function()
    local ok, warnings = clevertap.validate("send/push", copy(SEND_PUSH))
    assert.is_true(ok)
    assert.is_table(warnings)
    assert.equal(0, #warnings)
    assert.is_nil(next(warnings))
  end)

  it("returns nil and an array of {pointer, message, severity} problems", function()
    local ok, list = clevertap.validate("send/push", { to = { Identity = { "a" } }, content = { body = "b" } })
    assert.is_nil(ok)
    assert.equal(1, #list)
    local p = list[1]
    assert.equal("/content/title", p.pointer)
    assert.equal("error", p.severity)
    assert.is_string(p.message)
  end)

  it("reports ALL problems at once, each with its own pointer", function()
    local list = errors("targets/create", with(PUSH_CAMPAIGN, {
      when = "20350230 10:00", users_limit_overall = 99, devices = { "blackberry" }, name = false,
    }))
    at(list, "/when", "error")
    at(list, "/users_limit_overall", "error")
    at(list, "/devices/0", "error")
    at(list, "/name", "error")
    assert.is_true(#list >= 4)
    for _, p in ipairs(list) do
      assert.is_true(p.severity == "error" or p.severity == "warning")
      assert.is_string(p.pointer)
      assert.is_string(p.message)
    end
  end)

  it("gives the errors array a __tostring with one readable line per problem", function()
    local ok, list = clevertap.validate("send/push", { to = { Identity = { "" } }, content = {} })
    assert.is_nil(ok)
    local text = tostring(list)
    assert.is_string(text)
    assert.is_nil(text:match("^table: "))
    local lines = {}
    for line in (text .. "\n"):gmatch("(.-)\n") do if line ~= "" then lines[#lines + 1] = line end end
    assert.equal(#list, #lines)
    for i, p in ipairs(list) do
      assert.equal((p.severity == "error" and "error   " or "warning ") .. p.message, lines[i])
    end
  end)

  it("puts warnings in the list of a valid payload, severity warning, with a did-you-mean", function()
    local warnings = valid("targets/create", with(PUSH_CAMPAIGN, {
      content = { title = "Hi", body = "b", subtitel = "x" }, respect_frequency_capz = true,
    }))
    assert.equal("warning", at(warnings, "/respect_frequency_capz").severity)
    assert.matches('did you mean "respect_frequency_caps"', at(warnings, "/respect_frequency_capz").message, 1, true)
    for _, p in ipairs(warnings) do assert.equal("warning", p.severity) end
  end)

  it("keeps warnings next to errors in a failing payload", function()
    local list = errors("send/push", { to = { Identity = { "a" } }, content = { titel = "t", body = "b" } })
    assert.equal("warning", at(list, "/content/titel").severity)
    assert.matches('did you mean "title"', at(list, "/content/titel").message, 1, true)
    assert.equal("error", at(list, "/content/title").severity)
  end)
end)

describe("acceptance: JSON Pointers", function()
  it("are RFC 6901: 0-based array indexes", function()
    error_at("send/push", { to = { Identity = { "a", "b", "" } }, content = { title = "t", body = "b" } },
      "/to/Identity/2")
  end)

  it("escape ~ as ~0 and / as ~1 in member names", function()
    local warnings = valid("send/push", with(SEND_PUSH, { ["a/b"] = 1, ["c~d"] = 2, ["e~/f"] = 3 }))
    at(warnings, "/a~1b", "warning")
    at(warnings, "/c~0d", "warning")
    at(warnings, "/e~0~1f", "warning")
  end)

  it("point into DND windows like the SPEC example /when/dnd/dnd_info/2/0", function()
    local p = error_at("targets/create", with(PUSH_CAMPAIGN, { when = { type = "now", dnd = {
      message_state = "delay", dnd_timezone = "user", dnd_info = { ["2"] = { "25:00", "06:00" } } } } }),
      "/when/dnd/dnd_info/2/0")
    assert.equal('when.dnd.dnd_info.2[0]: expected HH:MM (00:00-23:59), got "25:00"', p.message)
  end)

  it("name the field first in every message (dotted members, [i] indexes, payload for the root)", function()
    local _, list = clevertap.validate("send/push", { to = { Identity = { "a", "b", "c", "d", "e", "" } },
      content = { title = "t", body = "b", platform_specific = { android = { deep_link = 5 } } } })
    assert.matches("^to%.Identity%[5%]: ", at(list, "/to/Identity/5").message)
    assert.matches("^content%.platform_specific%.android%.deep_link: ",
      at(list, "/content/platform_specific/android/deep_link").message)
    local _, root = clevertap.validate("send/push", { 1, 2 })
    assert.matches("^payload: ", root[1].message)
  end)
end)

describe("acceptance: misuse raises", function()
  it("on an unknown endpoint", function()
    assert.has_error(function() clevertap.validate("targets/delete", {}) end)
    assert.has_error(function() clevertap.validate("send/fax", {}) end)
    assert.has_error(function() clevertap.validate(nil, {}) end)
    assert.has_error(function() clevertap.encode("nope", {}) end)
  end)

  it("on a payload that is not a table", function()
    for _, bad in ipairs { "{}", 42, true } do
      assert.has_error(function() clevertap.validate("send/push", bad) end)
      assert.has_error(function() clevertap.encode("send/push", bad) end)
    end
    assert.has_error(function() clevertap.validate("send/push") end)
  end)

  it("on opts that are not a table or hold a wrong option", function()
    assert.has_error(function() clevertap.validate("send/push", copy(SEND_PUSH), "now") end)
    assert.has_error(function() clevertap.validate("send/push", copy(SEND_PUSH), { now = "tomorrow" }) end)
  end)

  it("knows all nine endpoints", function()
    for _, e in ipairs(ENDPOINTS) do
      local ok, res = pcall(clevertap.validate, e, {})
      assert.is_true(ok, e .. ": " .. tostring(res))
    end
  end)
end)

describe("acceptance: documented examples validate without errors", function()
  local J = {
    ["targets/create webpush"] = [=[{"name":"My Webpush API campaign","estimate_only":true,"target_mode":"webpush",
      "where":{"event_name":"Charged","from":20171001,"to":20171220,"common_profile_properties":{"profile_fields":[
      {"name":"Customer Type","operator":"equals","value":"Platinum"}]}},"respect_frequency_caps":false,
      "content":{"title":"Hi!","body":"How are you doing today?","platform_specific":{"safari":{"deep_link":
      "https://www.google.com","ttl":10},"chrome":{"image":"https://www.exampleImage.com","icon":
      "https://www.exampleIcon.com","deep_link":"http://www.example.com","ttl":10,"require_interaction":true,
      "cta_title1":"title","cta_link1":"http://www.example2.com","cta_iconlink1":"https://www.exampleIcon2.com"},
      "firefox":{"icon":"https://www.exampleIcon.com","deep_link":"https://www.google.com","ttl":10},"kaios":{
      "icon":"https://www.exampleIcon.com","ttl":10,"kaiosKV":{"key1":"value1","key2":"value2"}}}},"when":"now"}]=],
    ["targets/create push"] = [=[{"name":"My API Campaign","estimate_only":true,"target_mode":"push",
      "conversion_goal":{"event_name":"Charged","filter_type":{"event_property":[{"property_name":"Items|Book name",
      "operator":"equals","property_value":"book name"},{"property_name":"Amount","operator":"equals",
      "property_value":3456},{"property_name":"Currency","operator":"equals","property_value":"USD"}],
      "first_time":"yes","last_time":"yes","time_of_day":[["21:00","23:00"],["11:34","12:44"],["13:01","13:40"]],
      "day_of_week":[1,7],"day_of_month":[1,3,16,31]},"conversion_time":"1D","revenue_property":"Amount"},
      "where":{"event_name":"App Launched","from":20150101,"to":20150303,"common_profile_properties":{
      "profile_fields":[{"name":"Customer Type","operator":"equals","value":"Platinum"}]}},
      "respect_frequency_caps":false,"ttl":{"ttl_type":"absolute","value":202207200000},
      "content":{"title":"Hi!","body":"How are you doing today?","platform_specific":{"ios":{"mutable-content":"true",
      "deep_link":"example.com","sound_file":"example.caf","category":"application category//Books","badge_count":1,
      "Key":"Value_ios"},"android":{"wzrk_cid":"Marketing","background_image":"http://example.jpg",
      "default_sound":true,"deep_link":"example.com","large_icon":"http://example.png","Key":"Value_android"}}},
      "devices":["android","ios"],"users_limit_overall":101,"when":{"type":"now","delivery_timezone":"user",
      "user_timezone_wrap_around":true,"dnd":{"message_state":"delay","dnd_timezone":"user","dnd_info":{
      "2":["21:00","06:00"],"4":["23:56","04:34"],"5":["09:00","09:13"]}},"campaign_cutoff":"08:00"}}]=],
    ["targets/create email"] = [=[{"name":"My Email API campaign","estimate_only":true,"target_mode":"email",
      "where":{"event_name":"Charged","from":20171001,"to":20171220},"respect_frequency_caps":false,
      "content":{"subject":"Welcome","body":"<div>Your HTML content for the email</div>","sender_name":"CleverTap"},
      "when":"now"}]=],
    ["targets/create sms"] = [=[ {"name": "My Sms API campaign","estimate_only": true,"target_mode":"sms",
      "where":{"event_name":"Charged","from":20171001,"to":20171220,"common_profile_properties":{"profile_fields": [
      {"name": "Customer Type","operator":"equals","value": "Platinum"}]}},"respect_frequency_caps": false,
      "content": { "body": "Sms body"},"when": "now"}]=],
    ["targets/create webhook"] = [=[{"name":"My Webhook Campaign","estimate_only":true,"target_mode":"webhook",
      "where":{"event_name":"Charged","from":20190101,"to":20191220},"respect_frequency_caps":false,
      "webhook_endpoint_name":"Recommendation Endpoint","webhook_fields":["profile-attributes","tokens","identities"],
      "webhook_key_value":{"k1":"v1","k2":"v2"},"when":"now"}]=],
    ["targets/create inbox simple"] = [=[{"name":"api simple test","estimate_only":false,
      "target_mode":"notificationinbox","where":{"event_name":"Charged","from":20150101,"to":20150303},
      "respect_frequency_caps":false,"send_to_all_devices":true,"template_type":"simple","content":[{"message":{
      "text":"MessageText"},"title":{"text":"titleText"},"action":{"url":{"android":{"text":"andmurl"},"ios":{
      "text":"iosmurl"}},"links":[{"type":"copy","text":"linkText","copyText":{"text":"copyText"}},{"type":"url",
      "text":"linkText","url":{"android":{"text":"andLinkurl"},"ios":{"text":"iosLinkurl"}}}]},"media":{
      "content_type":"image/jpeg","url":"example.com"}}],"time_to_live":50,"tags":["abc","bcd"],
      "devices":["ios","android"],"when":"now"}]=],
    ["targets/create inbox message-icon"] = [=[{"name":"api app inbox icon","estimate_only":false,
      "target_mode":"notificationinbox","where":{"event_name":"App Launched","from":20190101,"to":20190418},
      "respect_frequency_caps":false,"send_to_all_devices":true,"template_type":"message-icon","orientation":"p",
      "content":[{"message":{"text":"MessageTexticon"},"title":{"text":"titleTextIcon"},"action":{"url":{"android":{
      "text":"andmurl"},"ios":{"text":"iosmurl"}},"links":[{"type":"url","text":"linktextIcon","color":"#000000",
      "bg":"#ffff","url":{"android":{"text":"andlurl"},"ios":{"text":"ioslurl"}}}]},"media":{"content_type":"image/jpg",
      "url":"https://s3.amazonaws.com/ct-demo-images/landscape-2.jpg"},"icon":{"content_type":"image/jpg",
      "url":"https://s3.amazonaws.com/ct-demo-images/landscape-2.jpg"}}],"time_to_live":50,"devices":["ios","android"],
      "when":"now"}]=],
    ["targets/create whatsapp template"] = [=[{"name":"Standard Whatsapp campaign","estimate_only":false,
      "target_mode":"whatsapp","where":{"event_name":"Added To Cart","from":20200610,"to":20200619},
      "respect_frequency_caps":false,"system_control_group_include":false,"content":{"template_name":
      "662da022_5583_406d_9c71_428d5e3164bb:ticket_update","replacements":{"1":"buddy",
      "2":"Где ты се, Pад познакомиться."},"attachments":{"type":"Document",
      "value":"http://www.refworld.org/pdfid/4d3025492.pdf"}},"when":"now"}]=],
    ["targets/create whatsapp interactive image"] = [=[{"name":"Interactive Whatsapp Campaign","estimate_only":false,
      "target_mode":"whatsapp","where":{"event_name":"Added To Cart","from":20200610,"to":20200619},
      "respect_frequency_caps":false,"system_control_group_include":false,"content":{"template_name":
      "662da022_5583_406d_9c71_428d5e3164bb:ticket_update","header":{"type":"image","media":{
      "url":"https://googl.com/a.jpg/"}},"body":{"replacements":[]}},"when":"now"}]=],
    ["targets/create whatsapp interactive text"] = [=[{"name":"Interactive Whatsapp Campaign","estimate_only":false,
      "target_mode":"whatsapp","where":{"event_name":"Added To Cart","from":20200610,"to":20200619},
      "content":{"template_name":"662da022_5583_406d_9c71_428d5e3164bb:ticket_update","header":{"type":"text",
      "replacements":["Dummy User","22/10/2021"]},"body":{"replacements":["dummy"]}},"when":"now"}]=],
    ["targets/create whatsapp interactive location with buttons"] = [=[{"name":"Interactive Whatsapp Campaign",
      "estimate_only":false,"target_mode":"whatsapp","where":{"event_name":"Added To Cart","from":20200610,
      "to":20200619},"respect_frequency_caps":false,"system_control_group_include":false,"content":{
      "template_name":"662da022_5583_406d_9c71_428d5e3164bb:ticket_update","header":{"type":"location","media":{
      "latitiude":32.123,"longitude":123.32,"name":"facebook ","address":"facebook "}},"body":{"replacements":[
      "Dummy User","22/10/2021"]},"buttons":[{"replacements":["suffix"]}]},"when":"now"}]=],
    ["targets/create legacy push"] = [=[{ "name": "My API Campaign", "estimate_only": true, "where": {
      "event_name": "App Launched", "from": 20150101, "to": 20150303, "common_profile_properties": {
      "profile_fields": [ { "Key": "Customer Type", "value": "Platinum" } ] } }, "content": { "title": "Hi!",
      "body": "How are you doing today?", "platform_specific": { "windows": { "deep_link": "example.com",
      "Key": "Value_windows" }, "ios": { "mutable-content": "true", "deep_link": "example.com",
      "sound_file": "example.caf", "category": "application category//Books", "badge_count": 1, "Key": "Value_ios" },
      "android": { "background_image": "http://example.jpg", "default_sound": true, "deep_link": "example.com",
      "large_icon": "http://example.png", "Key": "Value_android" } } }, "devices": [ "android", "ios", "windows" ],
      "when": "now" }]=],
    ["send/webpush"] = [=[{"to":{"FBID":["102029292929388","114342342453463"],"Email":["john@doe.com",
      "jane@doe.com"],"Identity":["JohnDoe"],"objectId":["_asdnkansdjknaskdjnasjkndja","-adffajjdfoaiaefiohnefwprjf"]},
      "tag_group":"my tag group","campaign_id":1000000043,"respect_frequency_caps":false,"content":{"title":"Hi!",
      "body":"How are you doing today?","platform_specific":{"safari":{"deep_link":"https://www.google.com","ttl":10},
      "chrome":{"image":"https://www.exampleImage.com","icon":"https://www.exampleIcon.com","deep_link":
      "http://www.example.com","ttl":10,"require_interaction":true,"cta_title1":"title","cta_link1":
      "http://www.example2.com","cta_iconlink1":"https://www.exampleIcon2.com"},"firefox":{"icon":
      "https://www.exampleIcon.com","deep_link":"https://www.google.com","ttl":10}}}}]=],
    ["send/push"] = [=[{"to":{"FBID":["102029292929388","114342342453463"],"GPID":["1928288389299292"],"Email":[
      "john@doe.com","jane@doe.com"],"Identity":["JohnDoe"],"objectId":["_asdnkansdjknaskdjnasjkndja",
      "-adffajjdfoaiaefiohnefwprjf"]},"tag_group":"my tag group","respect_frequency_caps":false,"content":{
      "title":"Welcome","body":"Hello world!","platform_specific":{"ios":{"deep_link":"example.com","sound_file":
      "example.caf","mutable-content":"true","ct_mediaUrl":"https://i.ibb.co/pJ8D5Z7/woman-g40aa99db5-1920.jpg",
      "category":"notification category","badge_count":1,"key":"value_ios"},"android":{"background_image":
      "http://example.jpg","default_sound":true,"deep_link":"example.com","large_icon":"http://example.png",
      "key":"value_android"}}}}]=],
    ["send/email"] = [=[{"to":{"FBID":["102029292929388","114342342453463"],"GPID":["1928288389299292"],
      "Email":["john@doe.com","jane@doe.com"],"Identity":["JohnDoe"],"objectId":["_asdnkansdjknaskdjnasjkndja",
      "-adffajjdfoaiaefiohnefwprjf"]},"tag_group":"my tag group","respect_frequency_caps":false,"content":{
      "subject":"Welcome","body":"<div>Your HTML content for the email</div>","sender_name":"CleverTap"}}]=],
    ["send/sms"] = [=[{"to":{"FBID":["102029292929388","114342342453463"],"Email":["john@doe.com","jane@doe.com"],
      "Identity":["JohnDoe"],"objectId":["_asdnkansdjknaskdjnasjkndja","-adffajjdfoaiaefiohnefwprjf"]},
      "campaign_id":1000000043,"tag_group":"mytaggroup","respect_frequency_caps":false,"content":{"body":"Smsbody"}}]=],
    ["targets/stop"] = [=[{ "id": 1457432766 }]=],
    ["targets/result"] = [=[{ "id": 1457432766 }]=],
    ["targets/trigger"] = [=[{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{
      "program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"releases@example.com",
      "when":"now"}]=],
  }
  local names = {}
  for name in pairs(J) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    it(name, function()
      local endpoint = name:match("^(%S+)")
      local payload = cjson.decode(J[name])
      valid(endpoint, payload)
      -- and as a Lua table written by hand: the same value round-trips through encode
      local json = assert(clevertap.encode(endpoint, payload))
      assert.same(cjson.decode(json), payload)
    end)
  end

  it("the documented when forms (later with integer message_state, recurring by week and by occurrences)", function()
    local later = cjson.decode([[{"type":"later","delivery_date_time":["20220420 13:00","20220421 14:00"],
      "delivery_timezone":"user","user_timezone_wrap_around":true,"dnd":{"message_state":1,"dnd_timezone":"user",
      "dnd_info":{"2":["21:00","06:00"],"4":["23:56","04:34"]}},"campaign_cutoff":"14:20"}]])
    local warnings = valid("targets/create", with(PUSH_CAMPAIGN, { when = later }), { now = APRIL_2022 })
    at(warnings, "/when/dnd/message_state", "warning")
    valid("targets/create", with(PUSH_CAMPAIGN, { when = { type = "recurring", repeats_every = 2,
      repeat_type = "week", start_time = "20220415 12:05", end_by_date = "20220420",
      repeat_on_days_of_week = { 1, 3, 5 } } }), { now = APRIL_2022 })
    valid("targets/create", with(PUSH_CAMPAIGN, { when = { type = "recurring", repeats_every = 1,
      repeat_type = "day", start_time = "20220415 12:05", end_by_occurrences = 8 } }), { now = APRIL_2022 })
    valid("targets/create", with(PUSH_CAMPAIGN, { when = "20220420 13:00" }), { now = APRIL_2022 })
  end)

  it("the documented control groups, ttl forms and limits", function()
    valid("targets/create", with(PUSH_CAMPAIGN, { control_group = { type = "custom", name = "my group" } }))
    valid("targets/create", with(PUSH_CAMPAIGN, { control_group = { type = "campaign", percentage = 5 } }))
    valid("targets/create", with(PUSH_CAMPAIGN, { ttl = { ttl_type = "relative", value = 2880 } }))
    valid("targets/create", with(PUSH_CAMPAIGN, { ttl = { ttl_type = "absolute", value = 203507200000 } }))
    valid("targets/create", with(PUSH_CAMPAIGN, { upper_cap_for_target_segment = 500, users_limit_per_run = 199 }))
    valid("targets/create", with(PUSH_CAMPAIGN, { users_limit_overall = 250, skip_estimate = true,
                                                  respect_throttle = true, system_control_group_include = true }))
  end)

  it("the list call of SPEC.md", function()
    valid("targets/list", { from = 20250101, to = 20250131 })
  end)

  it("a Bulletin at a UNIX timestamp", function()
    valid("targets/trigger", with(BULLETIN, { when = 1724123456 }))
  end)
end)

describe("acceptance: documented constraints are rejected at the right pointer", function()
  local function create(changes) return with(PUSH_CAMPAIGN, changes) end

  it("dates and times that do not exist", function()
    error_at("targets/create", create { when = "20230230 10:00" }, "/when")
    error_at("targets/create", create { when = "20350210 24:00" }, "/when")
    error_at("targets/create", create { when = "20350210 12:60" }, "/when")
    error_at("targets/create", create { when = "2035-02-10 12:00" }, "/when")
    error_at("targets/create", create { where = { event_name = "Charged", from = 20230230, to = 20230301 } },
      "/where/from")
    error_at("targets/create", create { when = { type = "now", campaign_cutoff = "24:00" } }, "/when/campaign_cutoff")
    error_at("targets/create", create { when = { type = "recurring", repeats_every = 1, repeat_type = "day",
      start_time = "20350415 12:05", end_by_date = "20350231" } }, "/when/end_by_date")
    error_at("targets/list", { from = 20250230, to = 20250301 }, "/from")
  end)

  it("times in the past, judged against opts.now", function()
    error_at("targets/create", create { when = "20220420 13:00" }, "/when")
    error_at("targets/create", create { when = "20220420 13:00" }, "/when", { now = os.time() })
    valid("targets/create", create { when = "20220420 13:00" }, { now = APRIL_2022 })
    error_at("targets/create", create { when = { type = "later",
      delivery_date_time = { "20220420 13:00", "20220421 14:00" } } }, "/when/delivery_date_time/0",
      { now = os.time { year = 2022, month = 4, day = 25, hour = 0 } })
  end)

  it("delivery_date_time in increasing order only", function()
    error_at("targets/create", create { when = { type = "later",
      delivery_date_time = { "20350421 13:00", "20350420 14:00" } } }, "/when/delivery_date_time/1")
  end)

  it("when.type and what each type requires", function()
    error_at("targets/create", create { when = { type = "soon" } }, "/when/type")
    error_at("targets/create", create { when = "soon" }, "/when")
    error_at("targets/create", create { when = { type = "later" } }, "/when/delivery_date_time")
    local list = errors("targets/create", create { when = { type = "recurring" } })
    at(list, "/when/repeats_every", "error")
    at(list, "/when/repeat_type", "error")
    at(list, "/when/start_time", "error")
    error_at("targets/create", create { when = { type = "recurring", repeats_every = 1, repeat_type = "week",
      start_time = "20350415 12:05" } }, "/when/repeat_on_days_of_week")
    error_at("targets/create", create { when = { type = "recurring", repeats_every = 1, repeat_type = "month",
      start_time = "20350415 12:05" } }, "/when/repeat_type")
    error_at("targets/create", create { when = { type = "recurring", repeats_every = 1, repeat_type = "week",
      start_time = "20350415 12:05", repeat_on_days_of_week = { 0, 3 } } }, "/when/repeat_on_days_of_week/0")
    error_at("targets/create", create { when = { type = "recurring", repeats_every = 1, repeat_type = "week",
      start_time = "20350415 12:05", repeat_on_days_of_week = { 3, 8 } } }, "/when/repeat_on_days_of_week/1")
  end)

  it("end_by_date and end_by_occurrences exclude each other", function()
    local list = errors("targets/create", create { when = { type = "recurring", repeats_every = 1,
      repeat_type = "day", start_time = "20350415 12:05", end_by_date = "20350420", end_by_occurrences = 8 } })
    local p = list[1]
    assert.is_true(p.pointer == "/when/end_by_date" or p.pointer == "/when/end_by_occurrences" or p.pointer == "/when")
  end)

  it("users_limit_overall and upper_cap_for_target_segment: minimum 100, not both", function()
    error_at("targets/create", create { users_limit_overall = 99 }, "/users_limit_overall")
    error_at("targets/create", create { upper_cap_for_target_segment = 99 }, "/upper_cap_for_target_segment")
    valid("targets/create", create { users_limit_overall = 100 })
    local list = errors("targets/create", create { users_limit_overall = 250, upper_cap_for_target_segment = 500 })
    local p = list[1]
    assert.equal(1, #list)
    assert.is_true(p.pointer == "/users_limit_overall" or p.pointer == "/upper_cap_for_target_segment")
  end)

  it("enums", function()
    error_at("targets/create", create { target_mode = "fax" }, "/target_mode")
    error_at("targets/create", create { devices = { "android", "blackberry" } }, "/devices/1")
    error_at("targets/create", create { ttl = { ttl_type = "forever", value = 10 } }, "/ttl/ttl_type")
    error_at("targets/create", create { when = { type = "now", delivery_timezone = "utc" } }, "/when/delivery_timezone")
    error_at("targets/create", create { when = { type = "now", dnd = { message_state = "later",
      dnd_timezone = "user", dnd_info = { ["2"] = { "21:00", "06:00" } } } } }, "/when/dnd/message_state")
    error_at("targets/create", create { when = { type = "now", dnd = { message_state = "delay",
      dnd_timezone = "utc", dnd_info = { ["2"] = { "21:00", "06:00" } } } } }, "/when/dnd/dnd_timezone")
    error_at("targets/create", create { content = { title = "t", body = "b", platform_specific = { android = {
      notification_tray_priority = "urgent" } } } }, "/content/platform_specific/android/notification_tray_priority")
    error_at("targets/create", create { content = { title = "t", body = "b", platform_specific = { android = {
      delivery_priority = "low" } } } }, "/content/platform_specific/android/delivery_priority")
    error_at("targets/create", with(PUSH_CAMPAIGN, { target_mode = "notificationinbox", template_type = "fancy",
      devices = { "android" }, content = { { message = { text = "m" }, title = { text = "t" } } } }),
      "/template_type")
  end)

  it("DND days are 1-7 and windows two HH:MM times", function()
    local function dnd(info)
      return create { when = { type = "now", dnd = { message_state = "delay", dnd_timezone = "user",
                                                         dnd_info = info } } }
    end
    error_at("targets/create", dnd { ["8"] = { "21:00", "06:00" } }, "/when/dnd/dnd_info/8")
    error_at("targets/create", dnd { ["0"] = { "21:00", "06:00" } }, "/when/dnd/dnd_info/0")
    error_at("targets/create", dnd { ["2"] = { "21:00", "24:00" } }, "/when/dnd/dnd_info/2/1")
    error_at("targets/create", dnd { ["2"] = { "21:00" } }, "/when/dnd/dnd_info/2")
  end)

  it("conversion_goal: required members, operators, between needs two values, days and times", function()
    local function goal(ft, extra)
      local g = { event_name = "Charged", filter_type = ft, conversion_time = "3D", revenue_property = "Amount" }
      for k, v in pairs(extra or {}) do g[k] = v end
      return create { conversion_goal = g }
    end
    local function prop(op, value)
      return goal { event_property = { { property_name = "Amount", operator = op, property_value = value } } }
    end
    local P = "/conversion_goal/filter_type/event_property/0"
    error_at("targets/create", prop("between", { 3456 }), P .. "/property_value")
    error_at("targets/create", prop("between", 3456), P .. "/property_value")
    valid("targets/create", prop("between", { 3456, 4567 }))
    error_at("targets/create", prop("approximately", 1), P .. "/operator")
    valid("targets/create", goal { event_property = { { property_name = "Amount", operator = "exists" } } })
    error_at("targets/create", goal({}, { conversion_time = "3X" }), "/conversion_goal/conversion_time")
    error_at("targets/create", goal { first_time = "maybe" }, "/conversion_goal/filter_type/first_time")
    error_at("targets/create", goal { time_of_day = { { "21:00", "25:00" } } },
      "/conversion_goal/filter_type/time_of_day/0/1")
    error_at("targets/create", goal { day_of_week = { 1, 9 } }, "/conversion_goal/filter_type/day_of_week/1")
    error_at("targets/create", goal { day_of_month = { 0 } }, "/conversion_goal/filter_type/day_of_month/0")
    error_at("targets/create", goal { day_of_month = { 1, 32 } }, "/conversion_goal/filter_type/day_of_month/1")
    local list = errors("targets/create", create { conversion_goal = { filter_type = {} } })
    at(list, "/conversion_goal/event_name", "error")
    at(list, "/conversion_goal/conversion_time", "error")
    at(list, "/conversion_goal/revenue_property", "error")
  end)

  it("control group shapes", function()
    error_at("targets/create", create { control_group = { type = "custom" } }, "/control_group/name")
    error_at("targets/create", create { control_group = { type = "campaign" } }, "/control_group/percentage")
    error_at("targets/create", create { control_group = { type = "other", name = "x" } }, "/control_group/type")
  end)

  it("required members per target mode and channel", function()
    error_at("targets/create", create { name = false }, "/name")
    error_at("targets/create", create { where = false }, "/where")
    error_at("targets/create", create { when = false }, "/when")
    error_at("targets/create", create { content = false }, "/content")
    error_at("targets/create", create { content = { body = "b" } }, "/content/title")
    error_at("targets/create", create { target_mode = "email", devices = false,
      content = { body = "b", sender_name = "s" } }, "/content/subject")
    error_at("targets/create", create { target_mode = "sms", devices = false, content = {} }, "/content/body")
    error_at("targets/create", create { target_mode = "webhook", devices = false, content = false },
      "/webhook_endpoint_name")
    error_at("targets/create", create { target_mode = "whatsapp", devices = false, content = { replacements = {} } },
      "/content/template_name")
    error_at("send/push", { to = { Identity = { "a" } }, content = { title = "t" } }, "/content/body")
    error_at("send/webpush", { to = { Identity = { "a" } }, content = { body = "b" } }, "/content/title")
    error_at("send/email", { to = { Email = { "a@b.c" } }, content = { body = "b", sender_name = "s" } },
      "/content/subject")
    error_at("send/sms", { to = { Identity = { "a" } }, content = {} }, "/content/body")
    error_at("send/push", { content = { title = "t", body = "b" } }, "/to")
    error_at("targets/stop", {}, "/id")
    error_at("targets/result", { id = "abc" }, "/id")
  end)

  it("types", function()
    error_at("targets/create", create { estimate_only = "true" }, "/estimate_only")
    error_at("targets/create", create { respect_frequency_caps = 0 }, "/respect_frequency_caps")
    error_at("send/push", with(SEND_PUSH, { respect_frequency_caps = "false" }), "/respect_frequency_caps")
    error_at("targets/create", create { users_limit_overall = "500" }, "/users_limit_overall")
    error_at("targets/create", create { ttl = { ttl_type = "absolute", value = 2022072000 } }, "/ttl/value")
  end)

  it("identities in to: known types, arrays of non-empty strings, at least one", function()
    local function to(t) return { to = t, content = { title = "t", body = "b" } } end
    error_at("send/push", to { Phone = { "123" } }, "/to/Phone")
    error_at("send/push", to { Identity = { "" } }, "/to/Identity/0")
    error_at("send/push", to { Identity = { "a", 5 } }, "/to/Identity/1")
    error_at("send/push", to {}, "/to")
    local list = errors("send/push", to { Identity = {} })
    assert.is_true(#list >= 1)
    assert.matches("^/to", list[1].pointer)
    for _, kind in ipairs { "FBID", "GPID", "Email", "Identity", "objectId" } do
      valid("send/push", to { [kind] = { "someone" } })
    end
  end)

  it("reports only the type error for identities given as a string, not a missing identity", function()
    local list = errors("send/push", { to = { Identity = "JohnDoe" }, content = { title = "t", body = "b" } })
    assert.equal(1, #list)
    assert.equal("/to/Identity", list[1].pointer)
    assert.matches("^to%.Identity: expected an array", list[1].message)
    -- a list mixing items and keys, or with holes: its conversion error only
    for _, ids in ipairs { { "a", x = "y" }, { "a", nil, "c" } } do
      list = errors("send/push", { to = { Identity = ids }, content = { title = "t", body = "b" } })
      assert.equal(1, #list)
      assert.equal("/to/Identity", list[1].pointer)
    end
    -- an empty list or a null still gives nothing
    error_at("send/push", { to = { Identity = {}, Email = cjson.null }, content = { title = "t", body = "b" } }, "/to")
  end)

  it("Bulletins: key 120 characters, value 512 bytes, string values only, required members", function()
    local function props(p) return with(BULLETIN, { properties = p }) end
    valid("targets/trigger", props { [string.rep("k", 120)] = string.rep("v", 512) })
    error_at("targets/trigger", props { [string.rep("k", 121)] = "v" }, "/properties/" .. string.rep("k", 121))
    error_at("targets/trigger", props { program_id = string.rep("v", 513) }, "/properties/program_id")
    -- bytes, not characters: 257 two-byte characters are 514 bytes
    error_at("targets/trigger", props { program_id = string.rep("é", 257) }, "/properties/program_id")
    error_at("targets/trigger", props { program_id = 234567 }, "/properties/program_id")
    error_at("targets/trigger", props { flag = true }, "/properties/flag")
    error_at("targets/trigger", props { nested = { a = "b" } }, "/properties/nested")
    for _, k in ipairs { "business_event", "name", "properties", "c-by", "when" } do
      error_at("targets/trigger", with(BULLETIN, { [k] = false }), "/" .. k:gsub("/", "~1"))
    end
    error_at("targets/trigger", with(BULLETIN, { when = "later" }), "/when")
  end)
end)

describe("acceptance: Lua tables as users write them", function()
  it("takes an empty table where an array is expected as an empty array", function()
    valid("targets/create", with(PUSH_CAMPAIGN, { target_mode = "whatsapp", devices = false, content = {
      template_name = "x", header = { type = "text", replacements = {} }, body = { replacements = {} } } }))
    valid("targets/create", with(PUSH_CAMPAIGN, { where = {} }))
  end)

  it("gives clear errors, never crashes, for tables JSON cannot express", function()
    local cyc = {}
    cyc.me = cyc
    local deep = {}
    local d = deep
    for _ = 1, 200 do d.x = {} d = d.x end
    local cases = {
      { { "a", nil, "c" }, "/to/Identity" },
      { { "a", x = "y" }, "/to/Identity" },
    }
    for _, c in ipairs(cases) do
      error_at("send/push", { to = { Identity = c[1] }, content = { title = "t", body = "b" } }, c[2])
    end
    local function ps(v)
      return { to = { Identity = { "a" } }, content = { title = "t", body = "b", platform_specific = { android = v } } }
    end
    error_at("send/push", ps { wzrk_bc = 0 / 0 }, "/content/platform_specific/android/wzrk_bc")
    error_at("send/push", ps { wzrk_bc = math.huge }, "/content/platform_specific/android/wzrk_bc")
    error_at("send/push", ps { [true] = "x" }, "/content/platform_specific/android")
    error_at("send/push", ps { f = print }, "/content/platform_specific/android/f")
    assert.is_nil((clevertap.validate("send/push", ps(cyc))))
    assert.is_nil((clevertap.validate("send/push", ps(deep))))
    assert.is_nil((clevertap.validate("send/push", ps { big = string.rep("x", 1e6) .. "\255" })))
  end)

  it("accepts cjson.null as JSON null and cjson.decode output", function()
    local p = cjson.decode('{"to":{"Identity":["a"]},"content":{"title":"t","body":"b"},"x":null}')
    local warnings = valid("send/push", p)
    at(warnings, "/x", "warning")
  end)
end)

describe("acceptance: encode", function()
  it("returns the exact JSON text, or nil and the problems", function()
    local json, err = clevertap.encode("send/push", copy(SEND_PUSH))
    assert.is_string(json)
    assert.is_nil(err)
    assert.same(SEND_PUSH, cjson.decode(json))
    local none, problems = clevertap.encode("send/push", { to = { Identity = { "a" } }, content = {} })
    assert.is_nil(none)
    at(problems, "/content/title", "error")
    assert.is_string(tostring(problems))
  end)

  it("writes [] for empty tables at array positions and {} at object positions", function()
    local json = assert(clevertap.encode("targets/create", with(PUSH_CAMPAIGN, { target_mode = "whatsapp",
      devices = false, content = { template_name = "x", header = { type = "text", replacements = {} },
                                   body = { replacements = {} } } })))
    assert.matches('"replacements":[]', json, 1, true)
    assert.is_nil(json:find('"replacements":{}', 1, true))
    assert.matches('"where":{}', json, 1, true)
    local bulletin = assert(clevertap.encode("targets/trigger", with(BULLETIN, { properties = {} })))
    assert.matches('"properties":{}', bulletin, 1, true)
  end)

  it("writes integral numbers as integers: 202207200000, 1e15, campaign ids", function()
    local json = assert(clevertap.encode("targets/create", with(PUSH_CAMPAIGN, {
      ttl = { ttl_type = "absolute", value = 202207200000 } }), { now = APRIL_2022 }))
    assert.matches('"value":202207200000', json, 1, true)
    json = assert(clevertap.encode("targets/create", with(PUSH_CAMPAIGN, {
      ttl = { ttl_type = "absolute", value = 202207200000.0 } }), { now = APRIL_2022 }))
    assert.matches('"value":202207200000[,}]', json)
    assert.equal('{"id":1000000000000000}', clevertap.encode("targets/stop", { id = 1e15 }))
    assert.equal('{"id":1457432766}', clevertap.encode("targets/stop", { id = 1457432766.0 }))
    local decoded = cjson.decode('{"id":1457432766}')
    assert.equal('{"id":1457432766}', clevertap.encode("targets/result", decoded))
    local json2 = assert(clevertap.encode("send/sms", { to = { Identity = { "a" } }, campaign_id = 1000000043,
                                                        content = { body = "b" } }))
    assert.matches('"campaign_id":1000000043', json2, 1, true)
    assert.is_nil(json2:find("[eE]%+?%d"))
    assert.is_nil(json2:find("%.0"))
  end)

  it("refuses invalid UTF-8 with an error at its pointer", function()
    for _, bad in ipairs { "\255", "a\192\175", "\237\160\128", "\244\144\128\128", "caf\195" } do
      local json, problems = clevertap.encode("send/push", { to = { Identity = { "a" } },
                                                             content = { title = bad, body = "b" } })
      assert.is_nil(json)
      at(problems, "/content/title", "error")
    end
    assert.is_string(clevertap.encode("send/push", { to = { Identity = { "a" } },
                                                     content = { title = "Где ты 🚀", body = "b" } }))
  end)

  it("encodes the reference's push example to JSON that decodes to the same value", function()
    local ok = valid("send/push", copy(SEND_PUSH))
    assert.is_table(ok)
    local json = assert(clevertap.encode("send/push", copy(SEND_PUSH)))
    assert.equal(json, (clevertap.encode("send/push", cjson.decode(json))))
  end)
end)
