--- BulkSMS JSON REST API: the body is itself an array of messages, one
-- record {"to","body"} per recipient.
-- POST https://api.bulksms.com/v1/messages?auto-unicode=true with HTTP Basic
-- (username and password, or API token id and secret); answers 201 with an
-- array of the created messages, each with its "id".
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("bulksms", o, {
    username = "!string", password = "!string", sender = "string", batch_size = "number",
    base_url = "string", auto_unicode = "boolean",
  })
  local record = { '"to":"$$To"', '"body":"$$Body"' }
  if o.sender then record[#record + 1] = '"from":"' .. common.json(o.sender) .. '"' end
  local query = o.auto_unicode == false and "" or "?auto-unicode=true"
  return {
    name = "bulksms",
    method = "POST",
    url = (o.base_url or "https://api.bulksms.com") .. "/v1/messages" .. query,
    auth = { type = "basic", username = o.username, password = o.password },
    json = "[{" .. table.concat(record, ",") .. "}]",
    batch = { array = true, size = o.batch_size or 1000 },
    response = {
      status = { 201 },
      message_id = '"id"%s*:%s*"([^"]+)"',
    },
  }
end
