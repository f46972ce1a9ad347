--- Lists of names the C core holds too, for Lua that loads without the core
-- (the CLI's definitions, which `make man` reads with a plain interpreter).
-- spec/names_spec.lua checks each against the core's own list, so they
-- cannot drift: the send channels are the "send/<channel>" endpoints of the
-- schema registry (csrc/schema/ct_schemas.c), in its order; the regions are
-- the table of csrc/client/ct_client.c, the default first.
local M = {}

M.channels = { "push", "webpush", "email", "sms" }

M.regions = { "eu1", "in1", "sg1", "us1", "aps3", "mec1" }

--- `list` as a set: name -> true.
function M.set(list)
  local s = {}
  for _, name in ipairs(list) do s[name] = true end
  return s
end

--- `list` in words: "a, b or c".
function M.either(list)
  if #list < 2 then return list[1] or "" end
  return table.concat(list, ", ", 1, #list - 1) .. " or " .. list[#list]
end

return M
