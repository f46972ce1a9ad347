--- What a provider's answer means, per template: HTTP status and, for
-- providers that answer 200 to failures, Lua patterns over the body (like
-- Kannel's status-success/permfail/tempfail regexes).
--
--   body matches response.permfail          -> failed for good
--   body matches response.tempfail          -> retried (the provider did not take it)
--   status in response.status (default 2xx) -> ok if response.success is absent or matches,
--                                              else unknown: the provider took it and may
--                                              have sent it (a damaged body looks the same),
--                                              as the CleverTap client's unreadable 200
--   429, 503                                -> retried (Retry-After honoured)
--   500, 502, 504                           -> unknown: the provider may have sent it;
--                                              never re-sent silently (a send is not idempotent)
--   anything else                           -> failed
local base = require "clevertap.error"
local errors = require "clevertap.sms.errors"

local M = {}

-- Patterns are Lua patterns. Since providers' docs and Kannel write
-- regexes, the parts of regex syntax that mean nothing in a Lua pattern are
-- read as a regex would: backslash escapes (`\s`, `\d`, `\.`) and `a|b`
-- alternatives, also inside a group (`"(error|failed)"`). A compiled
-- pattern is the list of its alternatives, each a Lua pattern.

-- Tokens: "%x" escapes, whole "[...]" classes, "(", ")", "|", characters.
local function tokens(p)
  local out, i, n = {}, 1, #p
  while i <= n do
    local ch = p:sub(i, i)
    if (ch == "\\" or ch == "%") and i < n then
      out[#out + 1] = "%" .. p:sub(i + 1, i + 1)
      i = i + 2
    elseif ch == "[" then
      local j = i + 1
      if p:sub(j, j) == "^" then j = j + 1 end
      if p:sub(j, j) == "]" then j = j + 1 end
      while j <= n and p:sub(j, j) ~= "]" do
        if p:sub(j, j) == "%" or p:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      out[#out + 1] = p:sub(i, j):gsub("\\", "%%")
      i = j + 1
    else
      out[#out + 1] = ch
      i = i + 1
    end
  end
  return out
end

local MAX_ALTERNATIVES = 64

local function expand(t, first, last)
  local depth, bar, open = 0, nil, nil
  for k = first, last do
    local tk = t[k]
    if tk == "(" then
      if depth == 0 and not open then open = k end
      depth = depth + 1
    elseif tk == ")" then
      depth = depth - 1
    elseif tk == "|" and depth == 0 then
      bar = k
      break
    end
  end
  if bar then
    local out = expand(t, first, bar - 1)
    for _, a in ipairs(expand(t, bar + 1, last)) do out[#out + 1] = a end
    return out
  end
  if not open then return { table.concat(t, "", first, last) } end
  depth = 0
  local close
  for k = open, last do
    if t[k] == "(" then depth = depth + 1 elseif t[k] == ")" then depth = depth - 1 end
    if depth == 0 then close = k break end
  end
  if not close then return { table.concat(t, "", first, last) } end
  local head = table.concat(t, "", first, open - 1)
  local out = {}
  for _, inner in ipairs(expand(t, open + 1, close - 1)) do
    for _, tail in ipairs(expand(t, close + 1, last)) do
      if #out < MAX_ALTERNATIVES then out[#out + 1] = head .. "(" .. inner .. ")" .. tail end
    end
  end
  return out
end

function M.pattern(p)
  local t = tokens(p)
  local alts = expand(t, 1, #t)
  for _, a in ipairs(alts) do
    local ok, err = pcall(string.find, "", a)
    if not ok then return nil, (tostring(err):gsub("^.-:%d+: ", "")) end
  end
  alts.source = p
  return alts
end

-- True when the body matches one alternative, or holds the pattern's text
-- as is (a literal like "message-id" is a Lua pattern that does not match
-- itself).
local function matches(pat, body)
  for _, a in ipairs(pat) do
    if body:find(a) then return true end
  end
  return body:find(pat.source, 1, true) ~= nil
end
M.matches = matches

-- The provider's message id: the first capture of a pattern, or, for a
-- name or dotted path without a capture ("sid", "messages.1.id",
-- "$.data[0].id"), that value of the JSON answer (a single name is also
-- looked for at any depth).
local function json_at(doc, path)
  local node = doc
  for part in path:gsub("^%$%.?", ""):gsub("%[(%d+)%]", ".%1"):gmatch("[^.]+") do
    if type(node) ~= "table" then return nil end
    local n = tonumber(part)
    local v = node[part]
    if v == nil and n then v = node[n + 1] end
    node = v
  end
  return node
end

local function find_key(node, key, depth)
  if type(node) ~= "table" or depth > 20 then return nil end
  local v = node[key]
  if type(v) == "string" or type(v) == "number" then return v end
  for _, child in pairs(node) do
    local found = find_key(child, key, depth + 1)
    if found ~= nil then return found end
  end
  return nil
end

function M.message_id(spec, body)
  if spec.capture then
    for _, a in ipairs(spec.pat) do
      local id = body:match(a)
      if id then return id end
    end
    return nil
  end
  local ok, doc = pcall(require("cjson").decode, body)
  if not ok or type(doc) ~= "table" then return nil end
  local v = json_at(doc, spec.path)
  if v == nil and not spec.path:find("[.%[]") then v = find_key(doc, spec.path, 0) end
  if type(v) == "number" then v = require("clevertap.sms.escape").number(v) end
  return type(v) == "string" and v or nil
end

-- An error naming the provider, with the start of its answer (secrets hidden).
local function answer_error(c, kind, what, res)
  local body, text = res.body, c.name .. " " .. what
  if body and body ~= "" then text = text .. ": " .. errors.redact((body:sub(1, 200):gsub("%c", " ")), c.secrets) end
  return base.new { kind = kind, message = text, status = res.status }
end

--- classify(c, res) -> "ok"|"fail"|"retry"|"unknown", err_or_retry, provider_message_id
function M.classify(c, res)
  local r = c.response
  local st, body = res.status, res.body or ""
  if r.permfail and matches(r.permfail, body) then
    return "fail", answer_error(c, "api", "refused the message (body matches response.permfail)", res)
  end
  if r.tempfail and matches(r.tempfail, body) then
    return "retry", nil
  end
  local good
  if r.status then good = r.status[st] else good = st >= 200 and st < 300 end
  if good then
    if r.success and not matches(r.success, body) then
      return "unknown", answer_error(c, "http", "answered HTTP " .. st
        .. " without the success mark (response.success): the message may have been sent", res)
    end
    local id
    if r.message_id then id = M.message_id(r.message_id, body) end
    return "ok", nil, id
  end
  if st == 429 or st == 503 then
    local after = res.headers and tonumber(res.headers["retry-after"])
    return "retry", { after = after }
  end
  if st == 500 or st == 502 or st == 504 then
    return "unknown", answer_error(c, "http", "answered HTTP " .. st .. ": the message may have been sent", res)
  end
  return "fail", answer_error(c, "http", "answered HTTP " .. st, res)
end

return M
