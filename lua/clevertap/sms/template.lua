--- Checks a provider template (a Lua table) and compiles it. Wrong Lua
-- types and unknown keys are misuse and raise; everything else (missing
-- placeholders, sizes, URLs, auth, headers, JSON syntax) is collected and
-- returned together.
local compile = require "clevertap.sms.compile"
local escape = require "clevertap.sms.escape"

local M = {}

M.MAX_BATCH = 1000 -- the reference: "A single batch can have a maximum of 1,000 records"

local SYSTEM = {
  To = true, Body = true, TemplateID = true, TemplateVariables = true,
  CampaignID = true, MessageID = true, Sender = true,
}
M.SYSTEM = SYSTEM

local KEYS = {
  name = "string", method = "string", url = "string", auth = "table", headers = "table",
  params = "table", json = "string|table", batch = "table", response = "table", values = "table",
  secrets = "table", http = "table",
}
local AUTH_KEYS = {
  type = "string", username = "string", user = "string", token_url = "string", password = "string", url = "string",
  client_id = "string", client_secret = "string", params = "table", credentials = "string",
}
local BATCH_KEYS = { key = "string", array = "boolean", join = "string", size = "number" }
local RESPONSE_KEYS = {
  status = "table", success = "string", permfail = "string", tempfail = "string", message_id = "string",
}

local function misuse(msg)
  error("clevertap.sms.provider: " .. msg, 4)
end

local function check_keys(t, allowed, where)
  for k, v in pairs(t) do
    local want = allowed[k]
    if not want then
      misuse("unknown key " .. where .. tostring(k))
    end
    if not ("|" .. want .. "|"):find("|" .. type(v) .. "|", 1, true) then
      misuse(where .. k .. " must be a " .. want:gsub("|", " or ") .. ", got " .. type(v))
    end
  end
end

-- { {k, v}, ... } or { k = v } (sorted, for a stable request) -> { {k, v}, ... }
local function ordered_pairs(t, where, allow_json)
  local list = {}
  if #t > 0 then
    for i, kv in ipairs(t) do
      if type(kv) ~= "table" or type(kv[1]) ~= "string" then
        misuse(where .. "[" .. i .. "] must be a {name, value} pair")
      end
      list[i] = { kv[1], kv[2] }
    end
    for k in pairs(t) do
      if type(k) ~= "number" then misuse(where .. " mixes {name, value} pairs and name = value keys") end
    end
  else
    for k, v in pairs(t) do
      if type(k) ~= "string" then misuse(where .. " keys must be strings") end
      list[#list + 1] = { k, v }
    end
    table.sort(list, function(a, b) return a[1] < b[1] end)
  end
  for _, kv in ipairs(list) do
    local v = kv[2]
    local tv = type(v)
    if tv == "table" then
      local jt = type(v.json)
      if not allow_json or (jt ~= "string" and jt ~= "table") or next(v, next(v)) ~= nil then
        local json_form = allow_json and " or { json = \"...\" }" or ""
        misuse(where .. "." .. kv[1] .. " must be a string, a number" .. json_form)
      end
    elseif tv ~= "string" and tv ~= "number" then
      misuse(where .. "." .. kv[1] .. " must be a string or a number, got " .. tv)
    end
  end
  return list
end

local function pattern_ok(p)
  return (pcall(string.find, "", p))
end

--- compile(def) -> compiled, or nil, problems ({ pointer =, message = } each).
function M.compile(def)
  if type(def) ~= "table" then misuse("expects a table, got " .. type(def)) end
  check_keys(def, KEYS, "")
  if def.auth then check_keys(def.auth, AUTH_KEYS, "auth.") end
  if def.batch then check_keys(def.batch, BATCH_KEYS, "batch.") end
  if def.response then check_keys(def.response, RESPONSE_KEYS, "response.") end
  local problems = {}
  local function problem(pointer, message) problems[#problems + 1] = { pointer = pointer, message = message } end

  local method = (def.method or "POST"):upper()
  if method ~= "GET" and method ~= "POST" then
    problem("/method", "method must be GET or POST, got \"" .. def.method .. "\"")
  end
  if not def.url then problem("/url", "url is required") end

  local c = { name = def.name or "sms provider", method = method, headers = {}, values = {},
    secrets = {}, http = def.http }

  -- values: defaults for custom placeholders
  for k, v in pairs(def.values or {}) do
    if type(k) ~= "string" then misuse("values keys must be strings") end
    c.values[k] = v
  end
  for i, s in ipairs(def.secrets or {}) do
    if type(s) ~= "string" then misuse("secrets[" .. i .. "] must be a string") end
    if #s >= 4 then c.secrets[#c.secrets + 1] = s end
  end

  -- A JSON template may be given as a Lua table: written as JSON text
  -- (object keys sorted), then treated like text.
  local function json_text(v, pointer)
    if type(v) == "string" then return v end
    local text, err = escape.json_value(v)
    if not text then problem(pointer, "cannot write the JSON template: " .. err) return "{}" end
    return text
  end
  local json = def.json and json_text(def.json, "/json")

  -- auth (user and token_url: the names some provider docs use)
  local auth = def.auth or { type = "none" }
  if auth.user or auth.token_url or auth.type == "oauth" then
    local a = {}
    for k, v in pairs(auth) do a[k] = v end
    if a.user then
      if a.username then misuse("auth.user and auth.username are the same setting: give one") end
      a.username, a.user = a.user, nil
    end
    if a.token_url then
      if a.url then misuse("auth.token_url and auth.url are the same setting: give one") end
      a.url, a.token_url = a.token_url, nil
    end
    if a.type == "oauth" then a.type = "oauth2" end
    auth = a
  end
  local atype = auth.type or "none"
  c.auth = { type = atype }
  if atype == "none" then
    for k in pairs(auth) do
      if k ~= "type" then problem("/auth/" .. k, "auth." .. k .. " has no meaning with auth type none") end
    end
  elseif atype == "basic" then
    if not auth.username then problem("/auth/username", "auth.username is required for basic auth") end
    if not auth.password then problem("/auth/password", "auth.password is required for basic auth") end
    if auth.username and auth.username:find(":", 1, true) then
      problem("/auth/username", "auth.username must not contain ':' (HTTP Basic)")
    end
    c.auth.username, c.auth.password = auth.username, auth.password
    if auth.username and auth.password then
      c.auth.header = "Basic " .. escape.base64(auth.username .. ":" .. auth.password)
      c.secrets[#c.secrets + 1] = c.auth.header:sub(7)
    end
    if auth.password then c.secrets[#c.secrets + 1] = auth.password end
  elseif atype == "oauth2" then
    for _, k in ipairs { "url", "client_id", "client_secret" } do
      if not auth[k] then problem("/auth/" .. k, "auth." .. k .. " is required for oauth2 (client credentials)") end
    end
    if auth.url then
      local sub = {}
      compile.url(auth.url, sub)
      for _, p in ipairs(sub) do problem("/auth/url", "auth." .. p.message) end
      if auth.url:find("%$%$") then problem("/auth/url", "auth.url must be literal (no placeholders)") end
    end
    local cred = auth.credentials or "body"
    if cred ~= "body" and cred ~= "basic" then
      problem("/auth/credentials", "auth.credentials must be \"body\" or \"basic\", got \"" .. cred .. "\"")
    end
    c.auth.url, c.auth.client_id, c.auth.client_secret = auth.url, auth.client_id, auth.client_secret
    c.auth.credentials = cred
    c.auth.params = {}
    for k, v in pairs(auth.params or {}) do
      if type(k) ~= "string" or (type(v) ~= "string" and type(v) ~= "number") then
        misuse("auth.params must map names to strings or numbers")
      end
      c.auth.params[#c.auth.params + 1] = { k, tostring(v) }
    end
    table.sort(c.auth.params, function(a, b) return a[1] < b[1] end)
    if auth.client_secret then c.secrets[#c.secrets + 1] = auth.client_secret end
  else
    problem("/auth/type", "unknown auth type \"" .. tostring(atype) .. "\" (expected none, basic or oauth2)")
  end

  -- batch
  local batch = def.batch
  local shape
  if batch then
    local n = (batch.key and 1 or 0) + (batch.array and 1 or 0) + (batch.join and 1 or 0)
    if n ~= 1 then
      problem("/batch", "batch needs exactly one of key = \"name\" (array of one record under that key), "
        .. "array = true (the body is an array of one record) or join = \"separator\" (recipients joined in $$To)")
    else
      shape = batch.key and "key" or batch.array and "array" or "join"
    end
    local size = batch.size or M.MAX_BATCH
    if size ~= math.floor(size) then
      problem("/batch/size", "batch.size must be a whole number, got " .. size)
    elseif size > M.MAX_BATCH then
      problem("/batch/size", "batch.size " .. size .. " is over the limit of " .. M.MAX_BATCH .. " records per batch")
    elseif size < 1 then
      problem("/batch/size", "batch.size must be at least 1, got " .. size)
    end
    if batch.join == "" then problem("/batch/join", "batch.join (the separator) must not be empty") end
    c.batch = { shape = shape, size = size, key = batch.key, sep = batch.join }
  end

  -- body: params (form or query) or json
  local params = def.params and ordered_pairs(def.params, "params", true)
  if params then
    for _, kv in ipairs(params) do
      if type(kv[2]) == "table" then kv[2] = { json = json_text(kv[2].json, "/params/" .. kv[1]) } end
    end
  end
  if json and params and method == "POST" then
    problem("/json", "give the POST body as params (x-www-form-urlencoded) or as json, not both")
  end
  if json and method == "GET" then
    problem("/json", "a GET request has no body: put the values in params (they go in the query string)")
  end
  local body_unit, query_unit, found = nil, nil, {}
  local jbatch = (shape == "key" or shape == "array") and c.batch or nil
  if json then
    body_unit, found = compile.json(json, "body", "/json", nil, jbatch, problems)
    found = found or {}
    c.content_type = "application/json"
  elseif params then
    local units = require "clevertap.sms.units"
    if method == "GET" then
      query_unit, found = compile.pairs(params, "query", "/params", escape.url, units.enc.url, jbatch, problems)
    else
      body_unit, found = compile.pairs(params, "body", "/params", escape.form, units.enc.form, jbatch, problems)
      c.content_type = "application/x-www-form-urlencoded"
    end
    if (found.json_fields or 0) > 1 and jbatch then
      problem("/params", "batching needs a single JSON template; params has " .. found.json_fields .. " JSON fields")
    end
  end
  if jbatch then
    if shape == "key" and not found.key then
      if json or (found.json_fields or 0) > 0 then
        problem("/batch/key", "batching key \"" .. batch.key .. "\" is not a top-level key of the JSON template")
      else
        problem("/batch/key", "batch.key needs a JSON template (json, or a params field given as { json = ... })")
      end
    elseif shape == "array" and not found.key then
      problem("/batch/array", "batch.array needs a JSON template whose top level is an array of one record")
    elseif not found.record and found.key then
      local what = shape == "key" and ("batching key \"" .. batch.key .. "\"") or "the JSON template's top-level array"
      problem("/batch/" .. shape, what .. " must hold an array of exactly one record (a JSON object), "
        .. "the record repeated per recipient")
    end
  end

  -- url (+ GET query)
  local url_unit = def.url and compile.url(def.url, problems)
  if url_unit and query_unit and #params > 0 then
    -- GET: the parameters follow the URL's own query, if any.
    local parts = url_unit.parts
    local function append(list, more)
      for _, p in ipairs(more) do
        if type(p) == "string" and type(list[#list]) == "string" then list[#list] = list[#list] .. p
        else list[#list + 1] = p end
      end
    end
    append(parts, { url_unit.has_query and "&" or "?" })
    if query_unit.record then
      append(parts, query_unit.prefix)
      url_unit = { prefix = parts, record = query_unit.record, suffix = query_unit.suffix, sep = query_unit.sep,
        slots = url_unit.slots, where = "url" }
    else
      append(parts, query_unit.parts)
    end
    for _, s in ipairs(query_unit.slots) do url_unit.slots[#url_unit.slots + 1] = s end
  end
  c.url, c.body = url_unit, body_unit

  -- headers
  local has_ct = false
  if def.headers then
    for _, kv in ipairs(ordered_pairs(def.headers, "headers", false)) do
      local name, value = kv[1], kv[2]
      if type(value) == "number" then value = tostring(value) end
      c.headers[#c.headers + 1] = { name, compile.header(name, value, problems) }
      local lname = name:lower()
      if lname == "content-type" then has_ct = true end
      if lname == "authorization" and atype ~= "none" and c.auth then
        problem("/headers/" .. name, "an Authorization header conflicts with auth type " .. atype)
      end
    end
  end
  if has_ct then c.content_type = nil end

  -- placeholders: where they are and in which scope
  local all = {}
  local function collect(unit)
    if not unit then return end
    for _, s in ipairs(unit.slots) do all[#all + 1] = s end
  end
  collect(c.url); collect(c.body)
  for _, h in ipairs(c.headers) do collect(h[2]) end
  c.slots = all
  local count = {}
  for _, s in ipairs(all) do count[s.name] = (count[s.name] or 0) + 1 end
  c.names = count

  -- Names are case-sensitive: $$body is a custom placeholder, not $$Body.
  local lower = {}
  for name in pairs(SYSTEM) do lower[name:lower()] = name end
  for name in pairs(count) do
    local sys = lower[name:lower()]
    if sys and sys ~= name then
      problem("/", "$$" .. name .. " is not a system placeholder: did you mean $$" .. sys
        .. "? (placeholder names are case-sensitive)")
    end
  end

  if not count.To then
    problem("/", "the template has no $$To placeholder (the recipient's number): it is mandatory")
  end
  if not count.Body and not count.TemplateID then
    problem("/", "the template needs $$Body or $$TemplateID (at least one)")
  end

  if shape == "key" or shape == "array" then
    for _, s in ipairs(all) do
      if s.scope ~= "record" and (s.name == "To" or s.name == "MessageID") then
        problem("/batch", "$$" .. s.name .. " is outside the batch record (in " .. s.where
          .. "): with batching it must be inside the record, one per recipient")
      end
    end
  elseif shape == "join" then
    local tos = {}
    for _, s in ipairs(all) do if s.name == "To" then tos[#tos + 1] = s end end
    if #tos > 1 then
      problem("/batch/join", "join batching needs $$To exactly once, found " .. #tos .. " times")
    elseif #tos == 1 and not tos[1].whole then
      problem("/batch/join", "join batching needs $$To as a whole value (a form/query value or JSON string of "
        .. "just \"$$To\"), not inside other text")
    end
  end

  -- response
  local r = def.response or {}
  c.response = { success = r.success, permfail = r.permfail, tempfail = r.tempfail, message_id = r.message_id }
  for _, k in ipairs { "success", "permfail", "tempfail", "message_id" } do
    if r[k] and not pattern_ok(r[k]) then
      problem("/response/" .. k, "response." .. k .. " is not a valid Lua pattern: " .. r[k])
    end
  end
  if r.message_id and not r.message_id:find("%(") then
    problem("/response/message_id", "response.message_id must have a capture, e.g. '\"sid\":%s*\"([^\"]+)\"'")
  end
  if r.status then
    c.response.status = {}
    for i, s in ipairs(r.status) do
      if type(s) ~= "number" then misuse("response.status[" .. i .. "] must be a number") end
      if s < 100 or s > 599 or s ~= math.floor(s) then
        problem("/response/status/" .. (i - 1), "response.status[" .. i .. "] is not an HTTP status: " .. s)
      end
      c.response.status[s] = true
    end
  end

  if #problems > 0 then return nil, problems end
  return c
end

return M
