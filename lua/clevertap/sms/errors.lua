--- Redaction of secrets from any text that leaves clevertap.sms. The error
-- values themselves are clevertap.error's, like every module's.

local M = {}

--- Replaces every secret (and its URL/form-encoded forms) in s by "***".
-- Secrets shorter than 4 bytes are left alone: hiding every "p" of a
-- message would hide the message, not the secret.
function M.redact(s, secrets)
  if type(s) ~= "string" or not secrets then return s end
  local escape = require "clevertap.sms.escape"
  for _, secret in ipairs(secrets) do
    if #secret >= 4 then
      for _, form in ipairs { secret, escape.url(secret), escape.form(secret), escape.json_string(secret) } do
        local from = 1
        while true do
          local a, b = s:find(form, from, true)
          if not a then break end
          s = s:sub(1, a - 1) .. "***" .. s:sub(b + 1)
          from = a + 3
        end
      end
    end
  end
  return s
end

return M
