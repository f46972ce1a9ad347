-- send/push|webpush|email|sms: identities in `to`, content per channel,
-- tag_group / campaign_id. Rule ids: docs/schema-coverage.md.
local clevertap = require "clevertap"
local fx = require "fixtures.util"
local rules = require "fixtures.rules"
local R = fx.REMOVE

local CASES = {
  { "TO-REQ: to is required", base = "send_push", edits = { { "/to", R } }, err = "/to", says = { "missing" } },
  { "TO-ONE: at least one identity (empty to)", base = "send_sms", edits = { { "/to", {} } }, err = "/to",
    says = { "identity" } },
  { "TO-ONE: at least one identity (empty lists)", base = "send_email",
    edits = { { "/to", { Identity = {}, Email = {} } } }, err = "/to", says = { "identity" } },
  { "TO-ONE: one identity is enough", base = "send_push", edits = { { "/to", { Identity = { "JohnDoe" } } } } },
  { "TO-TYPE: only known identity types", base = "send_push", edits = { { "/to/objectid", { "abc" } } },
    err = "/to/objectid", says = { "did you mean", '"objectId"' } },
  { "TO-TYPE: identity types are case-sensitive", base = "send_webpush", edits = { { "/to/email", { "a@b.c" } } },
    err = "/to/email", says = { '"Email"' } },
  { "TO-LIST: identities come in an array", base = "send_sms", edits = { { "/to/Identity", "JohnDoe" } },
    err = "/to/Identity", says = { "array" } },
  { "TO-STR: identities are non-empty strings", base = "send_push",
    edits = { { "/to/Identity/1", "" }, { "/to/FBID/0", 102029292929388 } },
    err = { "/to/Identity/1", "/to/FBID/0" } },
  { "TO-GPID: GPID is a known identity type", base = "send_push", edits = { { "/to", { GPID = { "1928" } } } } },
  { "TO-MANY: more than 1000 identities are fine (the client splits them)", base = "send_sms",
    edits = { { "/to", { Identity = (function()
      local t = {}
      for i = 1, 1500 do t[i] = "user" .. i end
      return t
    end)() } } } },
  { "SC-CONTENT: content is required", base = "send_sms", edits = { { "/content", R } }, err = "/content" },
  { "SC-PUSH: push needs title and body", base = "send_push", edits = { { "/content/title", R } },
    err = "/content/title" },
  { "SC-PUSH: android priorities are checked here too", base = "send_push",
    edits = { { "/content/platform_specific/android/delivery_priority", "urgent" } },
    err = "/content/platform_specific/android/delivery_priority" },
  { "SC-PUSH: windows is a push platform", base = "send_push",
    edits = { { "/content/platform_specific/windows", { deep_link = "example.com" } } } },
  { "SC-WEBPUSH: web push needs title and body", base = "send_webpush", edits = { { "/content/body", R } },
    err = "/content/body" },
  { "SC-WEBPUSH: browser blocks are objects", base = "send_webpush",
    edits = { { "/content/platform_specific/firefox", "https://www.google.com" } },
    err = "/content/platform_specific/firefox" },
  { "SC-EMAIL: email needs subject and body", base = "send_email",
    edits = { { "/content/subject", R }, { "/content/body", 1 } }, err = { "/content/subject", "/content/body" } },
  { "SC-EMAIL: a missing sender_name is a warning (the legacy example has none)", base = "send_email",
    edits = { { "/content/sender_name", R } }, warn = "/content/sender_name" },
  { "SC-SMS: sms needs a body", base = "send_sms", edits = { { "/content/body", "" } }, err = "/content/body" },
  { "SC-TAG: tag_group and campaign_id together are a warning", base = "send_push",
    edits = { { "/campaign_id", 1000000043 } }, warn = "/tag_group", field = "campaign_id" },
  { "SC-TAG: campaign_id is an integer", base = "send_push",
    edits = { { "/tag_group", R }, { "/campaign_id", "1000000043" } }, err = "/campaign_id" },
  { "SC-TAG: tag_group is a string", base = "send_push", edits = { { "/tag_group", { "a" } } }, err = "/tag_group" },
  { "SC-MODE: a target_mode given matches the channel", base = "send_email", edits = { { "/target_mode", "sms" } },
    err = "/target_mode", says = { '"email"' } },
  { "SC-MODE: name and target_mode are accepted without warnings", base = "send_sms",
    edits = { { "/target_mode", "sms" }, { "/name", "Order update" } } },
  { "SC-RFC: respect_frequency_caps is a boolean (error 73)", base = "send_sms",
    edits = { { "/respect_frequency_caps", "false" } }, err = "/respect_frequency_caps" },
}

describe("validation rules: send/<channel>", function()
  rules.run(CASES, it, assert)

  it("validates the same message for every channel's identity list", function()
    for _, base in ipairs{ "send_push", "send_webpush", "send_email", "send_sms" } do
      local p = rules.build{ base = base }
      local ok, problems = clevertap.validate("send/" .. base:match("_(%a+)$"), p)
      assert.is_true(ok, tostring(problems))
      fx.set(p, "/to/Identity", { "" })
      assert.is_nil((clevertap.validate("send/" .. base:match("_(%a+)$"), p)))
    end
  end)
end)
