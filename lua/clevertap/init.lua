--- lua-clevertap: drive CleverTap campaigns from Lua.
-- The façade gathers the C core (validation, encoding, transport) and the Lua
-- modules (client, schedules, SMS providers) behind the names of docs/contract.md.
local core = require "clevertap.core"

local clevertap = {
  version = core.version,
  core = core,
}

clevertap.validate = core.validate
clevertap.encode = core.encode

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
