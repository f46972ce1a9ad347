--- Command-line parsing: `--name value`, `--name=value`, boolean `--flag`,
-- `-h`, `--` (everything after is positional) and `-` (a positional: stdin).
-- Options may come before or after the command name.
local M = {}

--- Parse argv against `options`: name -> { value = true|false }.
-- Returns { options = {name = value|true}, positional = {...} } or nil, message.
function M.parse(argv, options, short)
  local out = { options = {}, positional = {} }
  local i, n = 1, #argv
  while i <= n do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, n do out.positional[#out.positional + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" and #a > 2 then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local def = options[name]
      if not def then
        return nil, "unknown option --" .. name
      end
      if def.value then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then
            return nil, "option --" .. name .. " needs a value"
          end
        end
        out.options[name] = value
      else
        if value ~= nil then
          return nil, "option --" .. name .. " takes no value"
        end
        out.options[name] = true
      end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local name = short and short[a:sub(2)]
      if not name then return nil, "unknown option " .. a end
      out.options[name] = true
    else
      out.positional[#out.positional + 1] = a
    end
    i = i + 1
  end
  return out
end

return M
