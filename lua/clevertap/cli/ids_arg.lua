--- Campaign ids on the command line: digits only, so a typo never reaches
-- the API as a different campaign.
local M = {}

function M.parse(positional, command)
  local id = positional[1]
  if id == nil then return nil, command .. " needs a campaign id" end
  if #positional > 1 then return nil, command .. " takes one campaign id, got " .. #positional .. " arguments" end
  if not id:match("^%d+$") or #id > 15 then
    return nil, "campaign id must be digits (as printed by create or list), got '" .. id .. "'"
  end
  return tonumber(id)
end

return M
