--- Twilio Programmable Messaging: one request per recipient (no batching).
-- POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json
-- HTTP Basic with the Account SID (or an API key SID) and its secret; form
-- fields To, From (or MessagingServiceSid), Body; answers 201 with the
-- message "sid" (SM...). Content templates: ContentSid + ContentVariables
-- (a JSON object carried as a form value).
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("twilio", o, {
    account_sid = "!string", auth_token = "!string", api_key = "string", sender = "string",
    messaging_service_sid = "string", status_callback = "string", content = "boolean",
    base_url = "string",
  })
  local params = { { "To", "$$To" } }
  if o.messaging_service_sid then
    params[#params + 1] = { "MessagingServiceSid", o.messaging_service_sid }
  else
    params[#params + 1] = { "From", common.sender(o) }
  end
  if o.content then
    params[#params + 1] = { "ContentSid", "$$TemplateID" }
    params[#params + 1] = { "ContentVariables", "$$TemplateVariables" }
  else
    params[#params + 1] = { "Body", "$$Body" }
  end
  if o.status_callback then params[#params + 1] = { "StatusCallback", o.status_callback } end
  return {
    name = "twilio",
    method = "POST",
    url = (o.base_url or "https://api.twilio.com") .. "/2010-04-01/Accounts/" .. common.path(o.account_sid)
      .. "/Messages.json",
    auth = { type = "basic", username = o.api_key or o.account_sid, password = o.auth_token },
    params = params,
    response = {
      message_id = '"sid"%s*:%s*"(SM%w+)"',
    },
  }
end
