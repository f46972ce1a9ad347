--- The C fast path of render (csrc/lua/l_sms.c): renders the batch records of
-- a request in one call. It covers strings, numbers and booleans; anything
-- else (and any problem) makes it decline, and the Lua path renders that
-- request. Registered in clevertap.core.
local M = {}

local function load()
  local ok, core = pcall(require, "clevertap.core")
  if ok and type(core) == "table" and core.sms_records then return core end
  return nil
end

local lib = os.getenv("CLEVERTAP_SMS_PURE_LUA") ~= "1" and load() or nil
M.available = lib ~= nil
M.records = lib and lib.sms_records

-- Recipient field of each system placeholder; custom names live in values.
local FIELD = require("clevertap.sms.template").SYSTEM

--- The plan of a record part list for one render: literals, and slots with
-- their campaign-level fallback already encoded (`campaign(name)` gives the
-- value; CampaignID only ever comes from it).
function M.plan(parts, campaign)
  local plan = {}
  for i, p in ipairs(parts) do
    if type(p) == "string" then
      plan[i] = p
    else
      if not p.inner_kind then return nil end
      local field = FIELD[p.name]
      local v = campaign(p.name)
      local dflt
      if v ~= nil then dflt = p.enc(v) end
      plan[i] = { key = field or p.name, custom = field == nil, mid = p.name == "MessageID",
        inner = p.inner_kind, outer = p.outer_kind, dflt = dflt }
    end
  end
  return plan
end

return M
