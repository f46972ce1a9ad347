--- Small checks shared by the presets: a preset is a function from the
-- account's settings to a plain template table, so a mistake in those
-- settings is misuse and raises, naming the preset and the field.
local escape = require "clevertap.sms.escape"
local options = require "clevertap.options"

local M = {}

function M.check(name, o, fields)
  if type(o) ~= "table" then
    error("clevertap.sms.presets." .. name .. " expects a table of settings, got " .. type(o), 3)
  end
  -- "!" marks a required field; the types are the shared checker's
  local known = {}
  for k, want in pairs(fields) do known[k] = (want:gsub("^!", "")) end
  options.check(o, known, "clevertap.sms.presets." .. name, 3)
  for k, want in pairs(fields) do
    if want:sub(1, 1) == "!" and (o[k] == nil or o[k] == "") then
      error("clevertap.sms.presets." .. name .. ": " .. k .. " is required", 3)
    end
  end
end

--- A literal value placed inside a JSON template string.
M.json = escape.json_string
--- A literal value placed in a URL path segment.
M.path = escape.url

--- "$$Sender" unless the settings fix the sender.
function M.sender(o)
  return o.sender or "$$Sender"
end

return M
