--- JSON helpers shared by the sandbox. Debian's lua-cjson (2.1.0) has no
-- array metatable, so tables built with M.array() are encoded as [] when
-- empty by a placeholder replaced after encoding.
local cjson = require "cjson.safe"

local json = cjson.new()
json.encode_number_precision(14)
json.decode_max_depth(200)
json.encode_max_depth(200)
json.encode_sparse_array(true)

local ARRAY = {}
local EMPTY = "\1sandboxemptyarray\1"
local EMPTY_JSON = '"\\u0001sandboxemptyarray\\u0001"'

local M = {
  null = json.null,
  array_mt = ARRAY,
}

function M.decode(text)
  return json.decode(text)
end

--- Marks a Lua table as a JSON array even when it is empty.
function M.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- Copies `v`, replacing empty M.array() tables by the placeholder; nil when
-- there is none (the common case: no copy).
local function mark_empty(v, depth)
  if type(v) ~= "table" or depth > 50 then return nil end
  if getmetatable(v) == ARRAY and next(v) == nil then return EMPTY end
  local copy
  for k, x in pairs(v) do
    local r = mark_empty(x, depth + 1)
    if r ~= nil then
      if not copy then
        copy = {}
        for k2, x2 in pairs(v) do copy[k2] = x2 end
      end
      copy[k] = r
    end
  end
  return copy
end

-- cjson 2.1.0 always writes "/" as "\/". Every "\/" in its output is such
-- an escape (a backslash is written "\\" and a raw "/" never follows it), so
-- undoing it is safe, and paths read as they were sent.
-- (A plain-find loop: LuaJIT's gsub costs ~0.5 ms on a 40 KB line.)
local function unescape_slashes(text)
  local i = text:find("\\/", 1, true)
  if not i then return text end
  local parts, n, start = {}, 0, 1
  while i do
    n = n + 1
    parts[n] = text:sub(start, i - 1)
    start = i + 1 -- drop the backslash, keep the slash
    i = text:find("\\/", i + 2, true)
  end
  parts[n + 1] = text:sub(start)
  return table.concat(parts)
end

function M.encode(value)
  local marked = mark_empty(value, 0)
  if marked == nil then
    local text, err = json.encode(value)
    if not text then return nil, err end
    return unescape_slashes(text)
  end
  local text, err = json.encode(marked)
  if not text then return nil, err end
  return unescape_slashes((text:gsub(EMPTY_JSON, "[]", nil)))
end

--- True for a decoded JSON object (a table that is not a non-empty sequence).
function M.is_object(v)
  return type(v) == "table" and getmetatable(v) ~= ARRAY and (next(v) == nil or v[1] == nil)
end

--- True for a decoded JSON array (empty tables count as arrays too).
function M.is_array(v)
  if type(v) ~= "table" then return false end
  local n = 0
  for k in pairs(v) do
    if type(k) ~= "number" then return false end
    n = n + 1
  end
  return n == #v
end

-- Canonical JSON: object keys sorted, so equal values give equal text whatever
-- the key order in the request (estimates hash this).
local function canonical(v, out)
  local tv = type(v)
  if tv ~= "table" then
    out[#out + 1] = json.encode(v)
    return
  end
  if getmetatable(v) == ARRAY or (#v > 0 and M.is_array(v)) then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = "," end
      canonical(v[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = json.encode(k)
    out[#out + 1] = ":"
    local val = v[k]
    if val == nil then val = v[tonumber(k)] end
    canonical(val, out)
  end
  out[#out + 1] = "}"
end

function M.canonical(v)
  local out = {}
  canonical(v, out)
  return table.concat(out)
end

return M
