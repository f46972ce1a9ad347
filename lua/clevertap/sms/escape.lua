--- Escaping for every position a placeholder can take in a provider request:
-- JSON strings, URL paths and query strings, x-www-form-urlencoded bodies, and
-- plain text (headers). Each encoder works byte by byte, so
-- encode(a .. b) == encode(a) .. encode(b): literal template text can be
-- encoded once at compile time and only the values at render time.
local M = {}

local byte, char, format, concat = string.byte, string.char, string.format, table.concat
local floor, huge = math.floor, math.huge

-- RFC 3986 unreserved characters pass; every other byte is %XX (UTF-8 bytes
-- of non-ASCII text included), which every provider's decoder accepts.
local pct = {}
for b = 0, 255 do pct[char(b)] = format("%%%02X", b) end

function M.url(s)
  return (s:gsub("[^%w%-%._~]", pct))
end

-- application/x-www-form-urlencoded: as above, but a space is "+".
local form_map = setmetatable({ [" "] = "+" }, { __index = pct })
function M.form(s)
  return (s:gsub("[^%w%-%._~]", form_map))
end

-- Inside a JSON string: the quote, the backslash and control characters.
local json_map = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
for b = 0, 31 do
  local c = char(b)
  if not json_map[c] then json_map[c] = format("\\u%04x", b) end
end
json_map["\127"] = "\\u007f"

function M.json_string(s)
  return (s:gsub('[%c"\\]', json_map))
end

--- True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
function M.valid_utf8(s)
  if not s:find("[\128-\255]") then return true end
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local len, min
      if c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
      elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
      elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
      else return false end
      if i + len - 1 > n then return false end
      local cp = c % (2 ^ (7 - len))
      for k = 1, len - 1 do
        local cc = byte(s, i + k)
        if cc < 0x80 or cc > 0xBF then return false end
        cp = cp * 64 + cc % 64
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
      i = i + len
    end
  end
  return true
end

local function is_integral(v)
  return v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53
end

--- A number as JSON/text: integral values without exponent or ".0"
-- (phone numbers and campaign ids given as numbers stay digits).
function M.number(v)
  if v ~= v or v == huge or v == -huge then
    return nil, "a number that is not finite"
  end
  if is_integral(v) then return format("%.0f", v) end
  return format("%.17g", v)
end

-- cjson when installed: its null and array markers are understood.
local cjson_mod
local function optional_cjson()
  if cjson_mod == nil then
    local ok, m = pcall(require, "cjson")
    cjson_mod = ok and m or false
  end
  return cjson_mod
end

local function is_array(t)
  local n = #t
  if n == 0 then
    local mt = getmetatable(t)
    local cjson = mt and optional_cjson()
    if cjson and (mt == cjson.array_mt or mt == cjson.empty_array_mt) then return true end
    return false
  end
  local count = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= floor(k) then return false end
    count = count + 1
  end
  return count == n
end

local encode_value

local function encode_table(t, seen)
  if seen[t] then return nil, "a table that contains itself" end
  seen[t] = true
  local out = {}
  if is_array(t) then
    for i = 1, #t do
      local s, err = encode_value(t[i], seen)
      if not s then return nil, err end
      out[i] = s
    end
    seen[t] = nil
    return "[" .. concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then return nil, "a table with a non-string key (" .. tostring(k) .. ")" end
    keys[#keys + 1] = k
  end
  table.sort(keys) -- stable output: the same values render the same bytes
  for i, k in ipairs(keys) do
    local s, err = encode_value(t[k], seen)
    if not s then return nil, err end
    out[i] = '"' .. M.json_string(k) .. '":' .. s
  end
  seen[t] = nil
  return "{" .. concat(out, ",") .. "}"
end

encode_value = function(v, seen)
  local tv = type(v)
  if tv == "string" then
    if not M.valid_utf8(v) then return nil, "a string that is not valid UTF-8" end
    return '"' .. M.json_string(v) .. '"'
  elseif tv == "number" then return M.number(v)
  elseif tv == "boolean" then return tostring(v)
  elseif tv == "table" then return encode_table(v, seen or {}) -- `seen`: only tables need one
  elseif v == nil then return "null"
  end
  local cjson = optional_cjson()
  if cjson and v == cjson.null then return "null" end
  return nil, "a " .. tv
end

--- Any Lua value as JSON text; nil, reason for what JSON cannot carry.
function M.json_value(v)
  return encode_value(v)
end

--- A value as the text that fills a string position: strings as they are,
-- numbers as digits, booleans as true/false, tables as JSON text (what
-- providers taking a JSON string in a form field expect).
function M.text(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then return M.number(v) end
  if tv == "boolean" then return tostring(v) end
  if tv == "table" then return M.json_value(v) end
  return nil, "a " .. tv
end

--- "user:password" as an HTTP Basic Authorization value (RFC 7617).
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = floor(n / 262144) % 64
    local c2 = floor(n / 4096) % 64
    local c3 = floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = b64:sub(c1 + 1, c1 + 1) .. b64:sub(c2 + 1, c2 + 1)
      .. (b and b64:sub(c3 + 1, c3 + 1) or "=") .. (c and b64:sub(c4 + 1, c4 + 1) or "=")
  end
  return concat(out)
end

return M
