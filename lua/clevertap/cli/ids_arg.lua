--- Campaign ids on the command line: digits only, so a typo never reaches
-- the API as a different campaign.
local M = {}

function M.parse(positional, command)
  local id = positional[1]
  if id == nil then return nil, command .. " needs a campaign id" end
  if #positional > 1 then return nil, command .. " takes one campaign id, got " .. #positional .. " arguments" end
  -- "1457433898.0" is what tostring() gives for an id that Lua 5.4's cjson
  -- decoded as a float: the same integral id, so scripts may pass it on.
  local digits = id:match("^(%d+)$") or id:match("^(%d+)%.0+$")
  if not digits or #digits > 15 then
    return nil, "campaign id must be digits (as printed by create or list), got '" .. id .. "'"
  end
  return tonumber(digits)
end

return M
