--- Plivo Messages API: the same text to many numbers in one request, the
-- destinations joined with "<" in "dst".
-- POST https://api.plivo.com/v1/Account/{auth_id}/Message/ with HTTP Basic
-- (Auth ID, Auth Token) and a JSON body {"src","dst","text"}; answers 202
-- with "message_uuid": [ ... ] (one per destination).
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("plivo", o, {
    auth_id = "!string", auth_token = "!string", sender = "string", powerpack_uuid = "string",
    report_url = "string", batch_size = "number", base_url = "string",
  })
  local fields = {}
  if o.powerpack_uuid then
    fields[#fields + 1] = '"powerpack_uuid":"' .. common.json(o.powerpack_uuid) .. '"'
  else
    fields[#fields + 1] = '"src":"' .. common.json(common.sender(o)) .. '"'
  end
  fields[#fields + 1] = '"dst":"$$To"'
  fields[#fields + 1] = '"text":"$$Body"'
  if o.report_url then
    fields[#fields + 1] = '"url":"' .. common.json(o.report_url) .. '"'
    fields[#fields + 1] = '"method":"POST"'
  end
  return {
    name = "plivo",
    method = "POST",
    url = (o.base_url or "https://api.plivo.com") .. "/v1/Account/" .. common.path(o.auth_id) .. "/Message/",
    auth = { type = "basic", username = o.auth_id, password = o.auth_token },
    json = "{" .. table.concat(fields, ",") .. "}",
    batch = { join = "<", size = o.batch_size or 1000 },
    response = {
      message_id = '"message_uuid"%s*:%s*%[%s*"([^"]+)"',
    },
  }
end
