--- lua-clevertap: drive CleverTap campaigns from Lua.
-- The façade gathers the C core (validation, encoding, transport) and the Lua
-- modules (client, schedules, SMS providers) behind the names of docs/contract.md.
local core = require "clevertap.core"
local options = require "clevertap.options"

local clevertap = {
  version = core.version,
  core = core,
}

-- The options go through the library's one checker (its wording, its
-- did-you-mean) before the core, which checks their values again for C callers.
local VALIDATE_OPTIONS = { now = "number", without = "string", max_problems = "number" }
local validate, encode = core.validate, core.encode

function clevertap.validate(endpoint, payload, opts)
  if opts ~= nil then options.check(opts, VALIDATE_OPTIONS, "clevertap.validate") end
  return validate(endpoint, payload, opts)
end

function clevertap.encode(endpoint, payload, opts)
  if opts ~= nil then options.check(opts, VALIDATE_OPTIONS, "clevertap.encode") end
  return encode(endpoint, payload, opts)
end

-- Submodules load on first use, so `require "clevertap"` stays cheap for a
-- script that only validates.
local lazy = {
  new = function() return require("clevertap.client").new end,
  when = function() return require "clevertap.when" end,
  sms = function() return require "clevertap.sms" end,
}

return setmetatable(clevertap, {
  __index = function(t, k)
    local load = lazy[k]
    if not load then return nil end
    local v = load()
    rawset(t, k, v)
    return v
  end,
})
