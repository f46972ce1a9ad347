--- JSON text for the command's --json output. lua-cjson 2.1.0 (Debian) has no
-- way to tell an empty array from an empty object, and scripts parsing our
-- output need `[]` to stay `[]`; so output tables mark arrays explicitly.
local M = {}

local array_mt = { __jsontype = "array" }

--- Mark t (default: a new table) as a JSON array.
function M.array(t)
  return setmetatable(t or {}, array_mt)
end

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function number(n)
  if n ~= n or n == math.huge or n == -math.huge then return "null" end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then
    return string.format("%.0f", n)
  end
  return string.format("%.17g", n)
end

local function is_array(t)
  if getmetatable(t) == array_mt then return true end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n > 0 and n == #t
end

local encode

local function encode_table(t, depth)
  if depth > 100 then error("json: nesting too deep", 0) end
  local parts = {}
  if is_array(t) then
    for i = 1, #t do parts[i] = encode(t[i], depth + 1) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    parts[i] = quote(k) .. ":" .. encode(v, depth + 1)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function encode(v, depth)
  local ty = type(v)
  if ty == "string" then return quote(v)
  elseif ty == "number" then return number(v)
  elseif ty == "boolean" then return tostring(v)
  elseif ty == "table" then return encode_table(v, depth or 0)
  elseif v == nil then return "null"
  end
  return quote(tostring(v))
end

M.encode = function(v) return encode(v, 0) end

--- JSON text re-indented by `indent` (default two spaces) per level. It
-- works on the text, not a decoded table, so every value keeps the exact
-- bytes that are sent (key order, 202207200000 as written).
function M.pretty(text, indent)
  indent = indent or "  "
  local out, depth, i, n = {}, 0, 1, #text
  local function newline() out[#out + 1] = "\n" .. string.rep(indent, depth) end
  while i <= n do
    local c = text:sub(i, i)
    if c == '"' then
      local j = i + 1
      while true do
        local q = text:find('["\\]', j)
        if not q then j = n; break end
        if text:sub(q, q) == "\\" then j = q + 2 else j = q; break end
      end
      out[#out + 1] = text:sub(i, j)
      i = j + 1
    elseif c == "{" or c == "[" then
      local close = c == "{" and "}" or "]"
      local after = text:match("^%s*(.)", i + 1)
      if after == close then
        out[#out + 1] = c .. close
        i = text:find(close, i + 1, true) + 1
      else
        out[#out + 1] = c
        depth = depth + 1
        newline()
        i = i + 1
      end
    elseif c == "}" or c == "]" then
      depth = depth - 1
      newline()
      out[#out + 1] = c
      i = i + 1
    elseif c == "," then
      out[#out + 1] = ","
      newline()
      i = i + 1
    elseif c == ":" then
      out[#out + 1] = ": "
      i = i + 1
    elseif c:match("%s") then
      i = i + 1
    else
      local j = text:find('[,:{}%[%]"%s]', i) or (n + 1)
      out[#out + 1] = text:sub(i, j - 1)
      i = j
    end
  end
  return table.concat(out)
end

return M
