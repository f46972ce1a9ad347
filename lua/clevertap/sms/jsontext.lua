--- Parser for JSON body templates, as users paste them from provider docs.
-- Keeps key order and the source text of strings and numbers (the request
-- is rendered from the template, not re-encoded from Lua tables, so the
-- provider gets the payload exactly as written). `//` and `/* */` comments
-- are allowed and dropped: the reference's own example carries them.
--
-- Nodes: { t = "object", keys = {...}, values = {...} }, { t = "array", items = {...} },
--        { t = "string", raw = <text between the quotes, escapes as written> },
--        { t = "number" | "literal", raw = "12" | "true" | "false" | "null" },
--        { t = "placeholder", name = "seq" } (a bare $$seq in a value position).
local M = {}

local find, sub, byte = string.find, string.sub, string.byte

local function position(text, i)
  local line, col = 1, 1
  for k = 1, i - 1 do
    if byte(text, k) == 10 then line, col = line + 1, 1 else col = col + 1 end
  end
  return "line " .. line .. ", column " .. col
end

local function fail(text, i, msg)
  error({ json_error = "JSON template, " .. position(text, i) .. ": " .. msg }, 0)
end

local function skip(text, i)
  while true do
    local _, e = find(text, "^[ \t\r\n]+", i)
    if e then i = e + 1 end
    if sub(text, i, i + 1) == "//" then
      local nl = find(text, "\n", i, true)
      i = nl and nl + 1 or #text + 1
    elseif sub(text, i, i + 1) == "/*" then
      local _, ce = find(text, "*/", i + 2, true)
      if not ce then fail(text, i, "comment not closed") end
      i = ce + 1
    else
      return i
    end
  end
end

local parse_value

-- After a member or an item: the closing bracket (true, past it) or a
-- comma (false, past it); anything else is an error.
local function next_item(text, i, close)
  i = skip(text, i)
  local c = sub(text, i, i)
  if c == close then return true, i + 1 end
  if c ~= "," then fail(text, i, "expected ',' or '" .. close .. "'") end
  return false, i + 1
end

local function parse_string(text, i)
  -- i is at the opening quote
  local j = i + 1
  while true do
    local c = byte(text, j)
    if not c then fail(text, i, "string not closed") end
    if c == 34 then break end
    if c < 32 then fail(text, j, "control character inside a string (escape it)") end
    if c == 92 then
      local e = sub(text, j + 1, j + 1)
      if e == "u" then
        if not find(text, "^%x%x%x%x", j + 2) then fail(text, j, "bad \\u escape") end
        j = j + 6
      elseif find(e, '^["\\/bfnrt]$') then
        j = j + 2
      else
        fail(text, j, "bad escape \\" .. e)
      end
    else
      j = j + 1
    end
  end
  return { t = "string", raw = sub(text, i + 1, j - 1), at = i }, j + 1
end

parse_value = function(text, i, depth)
  if depth > 64 then fail(text, i, "nested too deeply") end
  i = skip(text, i)
  local c = sub(text, i, i)
  if c == "{" then
    local node = { t = "object", keys = {}, values = {}, key_at = {}, at = i }
    i = skip(text, i + 1)
    if sub(text, i, i) == "}" then return node, i + 1 end
    while true do
      i = skip(text, i)
      if sub(text, i, i) ~= '"' then fail(text, i, "expected a quoted key") end
      local key
      key, i = parse_string(text, i)
      i = skip(text, i)
      if sub(text, i, i) ~= ":" then fail(text, i, "expected ':' after key") end
      local value
      value, i = parse_value(text, i + 1, depth + 1)
      local n = #node.keys + 1
      node.keys[n], node.values[n], node.key_at[n] = key.raw, value, key.at
      local done
      done, i = next_item(text, i, "}")
      if done then return node, i end
    end
  elseif c == "[" then
    local node = { t = "array", items = {}, at = i }
    i = skip(text, i + 1)
    if sub(text, i, i) == "]" then return node, i + 1 end
    while true do
      local value
      value, i = parse_value(text, i, depth + 1)
      node.items[#node.items + 1] = value
      local done
      done, i = next_item(text, i, "]")
      if done then return node, i end
    end
  elseif c == '"' then
    return parse_string(text, i)
  end
  local _, e = find(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if e then
    local raw = sub(text, i, e)
    if not find(raw, "^-?0$") and not find(raw, "^-?0[%.eE]") and find(raw, "^-?0") or not find(raw, "%d$")
      or find(raw, "%.[eE]") or find(raw, "%.$") then
      fail(text, i, "bad number " .. raw)
    end
    return { t = "number", raw = raw, at = i }, e + 1
  end
  for _, lit in ipairs { "true", "false", "null" } do
    if sub(text, i, i + #lit - 1) == lit then return { t = "literal", raw = lit, at = i }, i + #lit end
  end
  -- A placeholder standing bare for a value ("seq": $$seq), as templates
  -- for numbers are often written: filled as a whole JSON value.
  local _, pe, name = find(text, "^%$%$([%a_][%w_]*)", i)
  if pe then return { t = "placeholder", name = name, at = i }, pe + 1 end
  if c == "" then fail(text, i, "unexpected end of text") end
  fail(text, i, "unexpected '" .. c .. "'")
end

--- parse(text) -> node, or nil and a message naming line and column.
local function parse_all(text)
  local node, i = parse_value(text, 1, 0)
  i = skip(text, i)
  if i <= #text then fail(text, i, "text after the end of the JSON value") end
  return node
end

function M.parse(text)
  local ok, node = pcall(parse_all, text)
  if not ok then
    if type(node) == "table" and node.json_error then return nil, node.json_error end
    error(node, 0)
  end
  return node
end

return M
