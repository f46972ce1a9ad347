--- Exotel bulk static SMS: the same text to many numbers, "To" holding the
-- numbers separated by commas, as an x-www-form-urlencoded POST.
-- POST https://{subdomain}/v1/Accounts/{sid}/Sms/bulksend.json with HTTP
-- Basic (API key, API token); fields From, To, Body and, for India's DLT
-- rules, DltEntityId and DltTemplateId ($$TemplateID).
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("exotel", o, {
    sid = "!string", api_key = "!string", api_token = "!string", subdomain = "string", sender = "string",
    dlt_entity_id = "string", status_callback = "string", batch_size = "number", base_url = "string",
  })
  local params = {
    { "From", common.sender(o) },
    { "To", "$$To" },
    { "Body", "$$Body" },
  }
  if o.dlt_entity_id then
    params[#params + 1] = { "DltEntityId", o.dlt_entity_id }
    params[#params + 1] = { "DltTemplateId", "$$TemplateID" }
  end
  if o.status_callback then params[#params + 1] = { "StatusCallback", o.status_callback } end
  return {
    name = "exotel",
    method = "POST",
    url = (o.base_url or ("https://" .. (o.subdomain or "api.exotel.com"))) .. "/v1/Accounts/"
      .. common.path(o.sid) .. "/Sms/bulksend.json",
    auth = { type = "basic", username = o.api_key, password = o.api_token },
    params = params,
    batch = { join = ",", size = o.batch_size or 100 },
    response = {
      message_id = '"Sid"%s*:%s*"([^"]+)"',
    },
  }
end
