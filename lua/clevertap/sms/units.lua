--- Compiled text units. A unit is the template text of one request part (the
-- URL, a header value, the body) as a flat list of literal strings, already
-- encoded for their position, and slots: placeholders with the encoder their
-- position needs. Rendering a unit is a table.concat over its parts.
--
-- A unit that holds the batch record is split in three: `prefix` (before the
-- record), `record` (the one record, repeated per recipient, joined by `sep`)
-- and `suffix`.
local escape = require "clevertap.sms.escape"

local M = {}

local PLACEHOLDER = "%$%$([%a_][%w_]*)"
M.PLACEHOLDER = PLACEHOLDER

--- Literal text and placeholder names of a string, in order.
function M.scan(s)
  local pieces, pos = {}, 1
  while true do
    local a, b, name = s:find(PLACEHOLDER, pos)
    if not a then break end
    if a > pos then pieces[#pieces + 1] = s:sub(pos, a - 1) end
    pieces[#pieces + 1] = { name = name }
    pos = b + 1
  end
  if pos <= #s then pieces[#pieces + 1] = s:sub(pos) end
  return pieces
end

-- Value encoders: value -> text for the position, or nil, reason.
local function text_then(f)
  return function(v)
    local s, err = escape.text(v)
    if not s then return nil, err end
    if not escape.valid_utf8(s) then return nil, "a string that is not valid UTF-8" end
    return f(s)
  end
end

M.enc = {
  url = text_then(escape.url),
  form = text_then(escape.form),
  json_str = text_then(escape.json_string),
  json_value = function(v)
    return escape.json_value(v)
  end,
  header = function(v)
    local s, err = escape.text(v)
    if not s then return nil, err end
    -- a header is bytes on the wire: UTF-8 like every other position
    if not escape.valid_utf8(s) then return nil, "a string that is not valid UTF-8" end
    if s:find("[\r\n]") then return nil, "a value with CR or LF (not allowed in a header)" end
    return s
  end,
}

-- Encoder ids shared with the C renderer (csrc/sms/ct_render.h).
M.KIND = { none = 0, json_str = 1, url = 2, form = 3, header = 4, json_value = 5 }
local kind_of = {}
for name, f in pairs(M.enc) do kind_of[f] = M.KIND[name] end
local outer_kind = { [escape.url] = M.KIND.url, [escape.form] = M.KIND.form }

--- A builder: literals pass through `outer` (the encoding of the container,
-- e.g. form-encoding for JSON inside a form field), slots get
-- outer(inner(value)).
local Builder = {}
Builder.__index = Builder

function M.builder(outer, where)
  local b = setmetatable({ outer = outer, where = where, target = {}, slots = {} }, Builder)
  b.parts = b.target
  return b
end

function Builder:literal(s)
  if s == "" then return end
  if self.outer then s = self.outer(s) end
  local t = self.target
  local n = #t
  if n > 0 and type(t[n]) == "string" then t[n] = t[n] .. s else t[n + 1] = s end
end

function Builder:slot(name, inner, info)
  local outer, enc = self.outer, inner
  if outer then
    enc = function(v)
      local s, err = inner(v)
      if not s then return nil, err end
      return outer(s)
    end
  end
  local slot = { name = name, enc = enc, scope = self.scope or "global", where = self.where, key = self.key,
    whole = info and info.whole, kind = info and info.kind,
    inner_kind = kind_of[inner], outer_kind = outer and outer_kind[outer] or 0 }
  local t = self.target
  t[#t + 1] = slot
  self.slots[#self.slots + 1] = slot
  return slot
end

-- Batch record: what follows goes to the record until end_record.
function Builder:begin_record()
  self.prefix = self.target
  self.record = {}
  self.target = self.record
  self.scope = "record"
  -- Records are joined by a comma in the JSON, encoded like the JSON around it.
  self.sep = self.outer and self.outer(",") or ","
end

function Builder:end_record()
  self.suffix = {}
  self.target = self.suffix
  self.scope = nil
end

--- The finished unit: { parts = ... } or { prefix =, record =, suffix =, sep = }.
function Builder:unit()
  if self.record then
    return { prefix = self.prefix, record = self.record, suffix = self.suffix,
      sep = self.sep, slots = self.slots, where = self.where }
  end
  return { parts = self.parts, slots = self.slots, where = self.where }
end

--- Add the pieces of a text position (placeholders inside a string).
function Builder:text(s, inner, literal_enc)
  for _, p in ipairs(M.scan(s)) do
    if type(p) == "string" then
      self:literal(literal_enc and literal_enc(p) or p)
    else
      self:slot(p.name, inner, { whole = false })
    end
  end
end

return M
