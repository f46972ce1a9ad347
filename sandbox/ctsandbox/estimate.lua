--- Deterministic reach estimates: a CRC of the canonical JSON of the
-- audience (where, or segment) per channel key, so the same audience always
-- gets the same numbers and a different audience (almost always) others.
local json = require "ctsandbox.json"

local M = {}

local MODE_KEYS = {
  push = { "android", "ios" },
  webpush = { "web" },
  email = { "email" },
  sms = { "sms" },
  whatsapp = { "whatsapp" },
}

--- The channel keys the estimate reports for a create payload.
function M.keys(payload)
  if type(payload.devices) == "table" and #payload.devices > 0 then
    local keys = {}
    for _, d in ipairs(payload.devices) do
      if type(d) == "string" then keys[#keys + 1] = d end
    end
    if #keys > 0 then return keys end
  end
  local mode = type(payload.target_mode) == "string" and payload.target_mode or "push"
  return MODE_KEYS[mode] or { mode }
end

function M.audience(payload)
  if payload.where ~= nil then return json.canonical(payload.where) end
  if payload.segment ~= nil then return "segment:" .. json.canonical(payload.segment) end
  return "{}"
end

--- { key = count } for a create payload.
function M.for_payload(payload)
  local audience = M.audience(payload)
  local out = {}
  for _, key in ipairs(M.keys(payload)) do
    out[key] = ngx.crc32_long(audience .. "|" .. key) % 10000
  end
  return out
end

return M
