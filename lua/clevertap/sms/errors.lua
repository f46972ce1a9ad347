--- Error values of clevertap.sms, shaped like the client's (kind, message,
-- status, code, retryable, tostring(err) on one line), and redaction of
-- secrets from any text that leaves the module.
local base = require "clevertap.error"

local M = {}

function M.new(kind, message, fields)
  local e = { kind = kind, message = message, retryable = false }
  for k, v in pairs(fields or {}) do e[k] = v end
  return base.new(e)
end

--- A validation error carrying every problem ({ pointer =, message = }).
function M.validation(what, problems)
  local lines = {}
  for i, p in ipairs(problems) do
    p.severity = p.severity or "error"
    lines[i] = p.message
  end
  local list = setmetatable(problems, {
    __tostring = function(t)
      local out = {}
      for i, p in ipairs(t) do out[i] = (p.pointer or "/") .. ": " .. p.message end
      return table.concat(out, "\n")
    end,
  })
  return M.new("validation", what .. ": " .. table.concat(lines, "; "), { errors = list })
end

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
