--- MSG91 Flow API (DLT templates, India): one request carries many
-- recipients under "recipients", each a record with the number and that
-- recipient's template variables; the template id is global.
-- POST https://control.msg91.com/api/v5/flow/ with header authkey; answers
-- {"type":"success","message":"<request id>"} or {"type":"error",...}, both
-- with HTTP 200.
local common = require "clevertap.sms.presets.common"

return function(o)
  common.check("msg91", o, {
    authkey = "!string", variables = "table", short_url = "boolean", batch_size = "number", base_url = "string",
  })
  local record = { '"mobiles":"$$To"' }
  for i, v in ipairs(o.variables or {}) do
    if type(v) ~= "string" or not v:match("^[%a_][%w_]*$") then
      error("clevertap.sms.presets.msg91: variables[" .. i .. "] must be a name (letters, digits, _)", 2)
    end
    -- Each variable is a per-recipient placeholder of the same name.
    record[#record + 1] = '"' .. v .. '":"$$' .. v .. '"'
  end
  return {
    name = "msg91",
    method = "POST",
    url = (o.base_url or "https://control.msg91.com") .. "/api/v5/flow/",
    headers = { authkey = o.authkey, accept = "application/json" },
    json = '{"template_id":"$$TemplateID","short_url":"' .. (o.short_url and "1" or "0")
      .. '","recipients":[{' .. table.concat(record, ",") .. '}]}',
    batch = { key = "recipients", size = o.batch_size or 1000 },
    response = {
      success = '"type"%s*:%s*"success"',
      permfail = '"type"%s*:%s*"error"',
      message_id = '"message"%s*:%s*"([^"]+)"',
    },
    secrets = { o.authkey },
  }
end
