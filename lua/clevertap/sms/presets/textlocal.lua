--- Textlocal bulk_json: a form POST whose "data" field carries a JSON batch,
-- {"sender", "messages": [ {"number","text"}, ... ]}, beside the apikey.
-- POST https://api.textlocal.in/bulk_json/ (India; api.txtlocal.com for the
-- UK); answers {"status":"success",...} or {"status":"failure","errors":[...]},
-- both with HTTP 200.
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("textlocal", o, {
    apikey = "!string", sender = "string", region = "string", batch_size = "number", base_url = "string",
  })
  local host
  if o.region == nil or o.region == "in" then host = "https://api.textlocal.in"
  elseif o.region == "uk" then host = "https://api.txtlocal.com"
  else error("clevertap.sms.presets.textlocal: region must be \"in\" or \"uk\", got \"" .. o.region .. "\"", 2) end
  return {
    name = "textlocal",
    method = "POST",
    url = (o.base_url or host) .. "/bulk_json/",
    params = {
      { "apikey", o.apikey },
      { "data", { json = '{"sender":"' .. common.json(common.sender(o))
        .. '","messages":[{"number":"$$To","text":"$$Body"}]}' } },
    },
    batch = { key = "messages", size = o.batch_size or 1000 },
    response = {
      success = '"status"%s*:%s*"success"',
      permfail = '"status"%s*:%s*"failure"',
    },
    secrets = { o.apikey },
  }
end
