--- Compiles the parts of a provider template into units (see units.lua),
-- collecting problems instead of stopping at the first.
local units = require "clevertap.sms.units"
local escape = require "clevertap.sms.escape"
local jsontext = require "clevertap.sms.jsontext"

local M = {}
local enc = units.enc
local WHOLE = "^%$%$([%a_][%w_]*)$"

local emit_json

-- The one record of a batch: repeated per recipient at render time.
local function emit_record(b, item, path, problems, depth, found)
  b:literal("[")
  b:begin_record()
  emit_json(b, item, path, problems, nil, depth, found)
  b:end_record()
  b:literal("]")
  found.record = true
end

-- Keys are literal: a placeholder there is a problem.
local function key_placeholder(key, what, pointer, problems)
  if key:find(units.PLACEHOLDER) then
    -- "/" like every whole-template problem, not the JSON root's ""
    problems[#problems + 1] = { pointer = pointer == "" and "/" or pointer, message = "placeholder in the "
      .. what .. " \"" .. key .. "\": placeholders go in values" }
    -- the placeholder is there, misplaced: "no $$To" would be a second
    -- message for the same mistake
    problems.in_keys = problems.in_keys or {}
    for name in key:gmatch(units.PLACEHOLDER) do problems.in_keys[name] = true end
  end
end

-- A JSON template's text parsed, or nil with the problem recorded.
local function parse_json(text, pointer, problems)
  local node, err = jsontext.parse(text)
  if not node then
    problems[#problems + 1] = { pointer = pointer, message = err }
    -- What the template holds is unknown: checks of its content would guess.
    problems.unparsed = true
  end
  return node
end

-- JSON template node -> builder calls. `batch` = { key = "msgs" } or
-- { array = true } marks where the record is; `found` reports it.
emit_json = function(b, node, path, problems, batch, depth, found)
  local t = node.t
  if t == "object" then
    b:literal("{")
    for i, key in ipairs(node.keys) do
      if i > 1 then b:literal(",") end
      key_placeholder(key, "JSON key", path, problems)
      b:literal('"' .. key .. '":')
      local child = node.values[i]
      -- The key a slot is the value of (join batching names it).
      local outer_key = b.key
      b.key = key
      if depth == 0 and batch and batch.key == key then
        found.key = child
        if child.t == "array" and #child.items == 1 and child.items[1].t == "object" then
          emit_record(b, child.items[1], path .. "/" .. key .. "/0", problems, depth + 2, found)
        else
          emit_json(b, child, path .. "/" .. key, problems, nil, depth + 1, found)
        end
      else
        emit_json(b, child, path .. "/" .. key, problems, batch, depth + 1, found)
      end
      b.key = outer_key
    end
    b:literal("}")
  elseif t == "array" then
    if depth == 0 and batch and batch.shape == "array" then
      found.key = node
      if #node.items == 1 and node.items[1].t == "object" then
        emit_record(b, node.items[1], path .. "/0", problems, depth + 1, found)
        return
      end
    end
    b:literal("[")
    for i, item in ipairs(node.items) do
      if i > 1 then b:literal(",") end
      emit_json(b, item, path .. "/" .. (i - 1), problems, nil, depth + 1, found)
    end
    b:literal("]")
  elseif t == "placeholder" then
    b:slot(node.name, enc.json_value, { whole = true, kind = "json" })
  elseif t == "string" then
    local whole = node.raw:match(WHOLE)
    if whole then
      b:slot(whole, enc.json_value, { whole = true, kind = "json" })
    else
      b:literal('"')
      b:text(node.raw, enc.json_str)
      b:literal('"')
    end
  else
    b:literal(node.raw)
  end
end

--- A JSON template (text) as a unit. `outer` encodes the whole JSON text
-- (nil for a JSON body, escape.form for a form field, escape.url for a
-- query parameter).
function M.json(text, where, pointer, outer, batch, problems)
  local node = parse_json(text, pointer, problems)
  if not node then return nil end
  local b = units.builder(outer, where)
  local found = {}
  emit_json(b, node, "", problems, batch, 0, found)
  local unit = b:unit()
  unit.json_root = node.t
  return unit, found
end

--- Key-value pairs (form body or query string): "k=v&k2=v2".
-- `pairs_list` is { {key, value}, ... } with value a string, a number,
-- or { json = "template text" }.
function M.pairs(pairs_list, where, pointer, encoder, value_enc, batch, problems)
  local b = units.builder(nil, where)
  local found = {}
  for i, kv in ipairs(pairs_list) do
    local key, value = kv[1], kv[2]
    local p = pointer .. "/" .. key
    if i > 1 then b:literal("&") end
    key_placeholder(key, "key", p, problems)
    b:literal(encoder(key) .. "=")
    b.key = key
    if type(value) == "table" then
      -- JSON carried inside one field: its text is encoded as the field's value.
      local node = parse_json(value.json, p, problems)
      if node then
        local saved = b.outer
        b.outer = encoder
        local f = {}
        emit_json(b, node, "", problems, batch, 0, f)
        b.outer = saved
        if f.key then found.key, found.record, found.field = f.key, f.record, key end
        found.json_fields = (found.json_fields or 0) + 1
      end
    else
      value = type(value) == "number" and escape.number(value) or value
      local whole = value:match(WHOLE)
      if whole then
        b:slot(whole, value_enc, { whole = true, kind = "text" })
      else
        b:text(value, value_enc, encoder)
      end
    end
  end
  return b:unit(), found
end

--- The URL template: scheme and host literal; placeholders in the path and
-- the query are percent-encoded. `query` (a unit of GET parameters) is
-- appended with "?" or "&".
function M.url(url, problems)
  local scheme, host, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then
    -- Not the query: it may hold an API key.
    problems[#problems + 1] = { pointer = "/url", message = "url must be an absolute http:// or https:// URL, got \""
      .. url:gsub("[?#].*$", "..."):gsub("[%c]", "?") .. "\"" }
    return nil
  end
  local bad
  scheme = scheme:lower()
  if scheme ~= "http" and scheme ~= "https" then
    bad = "url scheme must be http or https, got \"" .. scheme .. "\""
  elseif host == "" then
    bad = "url has no host"
  elseif host:find("@", 1, true) then
    bad = "url must not carry credentials (user:password@host): use auth = { type = \"basic\", ... }"
  elseif host:find("%$%$") then
    bad = "url host must be literal (no placeholders)"
  elseif (tonumber(host:match(":(%d+)$")) or 1) > 65535 or (tonumber(host:match(":(%d+)$")) or 1) < 1 then
    bad = "url port must be 1-65535"
  elseif not host:match("^[%w.-]+$") and not host:match("^[%w.-]+:%d+$") and not host:match("^%[[%x:.]+%]:?%d*$") then
    bad = "url host \"" .. host:gsub("[%c]", "?") .. "\" is not a host name"
  elseif rest:find("[%s%c]") then
    bad = "url contains a space or control character (encode it as %20)"
  elseif rest:find("#", 1, true) then
    bad = "url must not have a #fragment"
  end
  if bad then
    problems[#problems + 1] = { pointer = "/url", message = bad }
    return nil
  end
  local b = units.builder(nil, "url")
  b:literal(scheme .. "://" .. host)
  b:text(rest, enc.url)
  local unit = b:unit()
  unit.has_query = rest:find("?", 1, true) ~= nil
  return unit
end

--- One header value.
function M.header(name, value, problems)
  local p = "/headers/" .. name
  if name:find("[\r\n]") then
    problems[#problems + 1] = { pointer = p, message = "header name \"" .. name:gsub("[%c]", "?")
      .. "\" contains CR or LF" }
  elseif not name:match("^[!#$%%&'*+%-.^_`|~%w]+$") then
    problems[#problems + 1] = { pointer = p, message = "header name \"" .. name:gsub("[%c]", "?")
      .. "\" is not a valid HTTP header name" }
  end
  if value:find("[\r\n]") then
    problems[#problems + 1] = { pointer = p, message = "header " .. name:gsub("[%c]", "?")
      .. " contains CR or LF" }
  end
  local b = units.builder(nil, "headers." .. name)
  b:text(value, enc.header)
  return b:unit()
end

return M
