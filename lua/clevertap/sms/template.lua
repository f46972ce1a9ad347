--- Checks a provider template (a Lua table) and compiles it. Every problem
-- (unknown keys, wrong types, missing placeholders, sizes, URLs, auth,
-- headers, JSON syntax) is collected and returned together; only a template
-- that is not a table at all raises.
local compile = require "clevertap.sms.compile"
local escape = require "clevertap.sms.escape"
local suggest = require "clevertap.suggest"

local M = {}

M.MAX_BATCH = 1000 -- the reference: "A single batch can have a maximum of 1,000 records"

-- System placeholders and the render option (or recipient field) that fills each.
local SYSTEM = {
  To = "to", Body = "body", TemplateID = "template_id", TemplateVariables = "template_variables",
  CampaignID = "campaign_id", MessageID = "message_id", Sender = "sender",
}
M.SYSTEM = SYSTEM

local KEYS = {
  name = "string", method = "string", url = "string", auth = "table", headers = "table",
  params = "table", json = "string|table", batch = "table", response = "table", values = "table",
  secrets = "table", http = "table", logger = "function",
}
local AUTH_KEYS = {
  type = "string", username = "string", password = "string", url = "string",
  client_id = "string", client_secret = "string", params = "table", credentials = "string", scope = "string",
}
local BATCH_KEYS = { key = "string", array = "boolean", join = "string", size = "number" }
local RESPONSE_KEYS = {
  status = "table|number", success = "string", permfail = "string", tempfail = "string", message_id = "string",
}

-- The names a reader of the reference (or of a provider's docs) may use for
-- the same setting: the dashboard's "HTTP API endpoint", "Parameters",
-- "Auth 2.0: client URL, client ID, secret key, key-value pairs", "key name
-- and number of records per batch", Kannel's status regexes.
local ALIASES = {
  [""] = { endpoint = "url", api_endpoint = "url", http_endpoint = "url", parameters = "params",
    batching = "batch", header = "headers" },
  ["auth."] = { user = "username", token_url = "url", client_url = "url", secret_key = "client_secret",
    secret = "client_secret", client_secret_key = "client_secret", key_values = "params",
    extra_params = "params", extra = "params" },
  ["batch."] = { key_name = "key", name = "key", records = "size", records_per_batch = "size",
    batch_size = "size", max = "size", per_batch = "size", separator = "join" },
  ["response."] = { failure = "permfail", fail = "permfail", failed = "permfail", error = "permfail",
    status_success_regex = "success", status_permfail_regex = "permfail", status_tempfail_regex = "tempfail",
    retry = "tempfail", success_status = "status", id = "message_id" },
}

-- Body type names: the dashboard's "Key-value pair" / "JSON", MIME types.
local BODY_TYPES = {
  json = "json", applicationjson = "json",
  form = "form", xwwwformurlencoded = "form", applicationxwwwformurlencoded = "form", urlencoded = "form",
  formurlencoded = "form", keyvalue = "form", keyvaluepair = "form", keyvaluepairs = "form", kv = "form",
  params = "form",
}
local BODY_TYPE_KEYS = { "body_type", "payload_type", "request_type", "content_type", "encoding" }

-- Settings that belong to a section, accepted at the top level too.
local RESPONSE_TOP = {
  success = "success", failure = "permfail", permfail = "permfail", tempfail = "tempfail",
  message_id = "message_id", success_status = "status",
}
for k, to in pairs(ALIASES["response."]) do
  if k:find("_regex$") then RESPONSE_TOP[k] = to end -- Kannel's names
end
local HTTP_TOP = {
  timeout = true, connect_timeout = true, concurrency = true, rate = true, retry = true,
  verify_tls = true, ca_file = true,
}

-- Auth type names, compared without case, spaces or punctuation.
local AUTH_TYPES = {
  none = "none", noauth = "none", noauthentication = "none", no = "none",
  basic = "basic", basicauth = "basic", basicauthentication = "basic", httpbasic = "basic",
  oauth2 = "oauth2", oauth = "oauth2", oauth20 = "oauth2", auth20 = "oauth2", auth2 = "oauth2",
  clientcredentials = "oauth2", oauth2clientcredentials = "oauth2",
}

local function squash(s) return (s:lower():gsub("[^%w]", "")) end

local function form_decode(x)
  return (x:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The closest known name (edit distance <= 2, or a prefix), for "did you mean".
local function closest(name, known)
  return suggest.closest(name, known, 2, { ignore_case = true, prefixes = true })
end

-- A copy of `t` with aliases resolved and only known keys of the right Lua
-- type; everything else is a problem (a template is checked as a whole).
local function known_keys(t, allowed, where, problem)
  local out, aliases = {}, ALIASES[where] or {}
  for k, v in pairs(t) do
    local name = type(k) == "string" and (aliases[k] or aliases[k:lower()] or k) or k
    local want = allowed[name]
    local pointer = "/" .. where:gsub("%.", "/") .. tostring(k)
    if not want then
      local hint = type(k) == "string" and closest(k, allowed)
      problem(pointer, "unknown key " .. where .. tostring(k)
        .. (hint and (" (did you mean " .. where .. hint .. "?)") or ""))
    elseif not ("|" .. want .. "|"):find("|" .. type(v) .. "|", 1, true) then
      problem(pointer, where .. tostring(k) .. " must be a " .. want:gsub("|", " or ") .. ", got " .. type(v))
    elseif out[name] ~= nil then
      problem(pointer, where .. tostring(k) .. " and " .. where .. name .. " are the same setting: give one")
    else
      out[name] = v
    end
  end
  return out
end

-- { {k, v}, ... } or { k = v } (sorted, for a stable request) -> { {k, v}, ... }
local function ordered_pairs(t, where, allow_json, problem)
  local list = {}
  if #t > 0 then
    for i, kv in ipairs(t) do
      -- { name = "X", value = "v" } / { key = "k", value = "v" }: the dashboard's "key and value pairs".
      if type(kv) == "table" and kv[1] == nil and kv.value ~= nil then
        kv = { kv.name or kv.key, kv.value }
      end
      if type(kv) ~= "table" or type(kv[1]) ~= "string" then
        problem("/" .. where .. "/" .. (i - 1), where .. "[" .. i .. "] must be a {name, value} pair")
      else
        list[#list + 1] = { kv[1], kv[2] }
      end
    end
    for k in pairs(t) do
      if type(k) ~= "number" then
        problem("/" .. where, where .. " mixes {name, value} pairs and name = value keys")
        break
      end
    end
  else
    for k, v in pairs(t) do
      if type(k) ~= "string" then
        problem("/" .. where, where .. " keys must be strings")
      else
        list[#list + 1] = { k, v }
      end
    end
    table.sort(list, function(a, b) return a[1] < b[1] end)
  end
  local kept = {}
  for _, kv in ipairs(list) do
    local v = kv[2]
    local tv = type(v)
    local ok = tv == "string" or tv == "number"
    if tv == "table" then
      local jt = type(v.json)
      ok = allow_json and (jt == "string" or jt == "table") and next(v, next(v)) == nil
    end
    if ok then
      kept[#kept + 1] = kv
    else
      problem("/" .. where .. "/" .. kv[1], where .. "." .. kv[1] .. " must be a string or a number"
        .. (allow_json and " or { json = \"...\" }" or "") .. ", got " .. tv)
    end
  end
  return kept
end

-- The body type given (under one of BODY_TYPE_KEYS): { key, "json"|"form" },
-- or nil.
local function body_type_of(def, problem)
  local body_type
  for _, k in ipairs(BODY_TYPE_KEYS) do
    local v = def[k]
    if v ~= nil then
      if body_type then problem("/" .. k, k .. " and " .. body_type[1] .. " are the same setting: give one") end
      local t = type(v) == "string" and BODY_TYPES[squash(v)]
      if not t then
        problem("/" .. k, k .. " must be \"json\" or \"form\" (x-www-form-urlencoded key-values), got "
          .. (type(v) == "string" and ("\"" .. v .. "\"") or type(v)))
      end
      body_type = { k, t }
    end
  end
  return body_type
end

-- The settings of `def` with the spellings of one setting folded: returns
-- them (body type keys, payload/body, batch_key/batch_size taken out; top
-- level settings of a section moved into a copy of it; short forms of auth,
-- batch, response as tables), then the payload ({ key, value } or nil),
-- batch_key and batch_size.
local function fold_spellings(def, problem)
  local rest = {}
  for k, v in pairs(def) do rest[k] = v end
  for _, k in ipairs(BODY_TYPE_KEYS) do rest[k] = nil end
  local payload
  for _, k in ipairs { "payload", "body" } do
    if rest[k] ~= nil then
      if payload then problem("/" .. k, k .. " and " .. payload[1] .. " are the same setting: give one") end
      payload = { k, rest[k] }
      rest[k] = nil
    end
  end
  local bkey, bsize = rest.batch_key, rest.batch_size
  rest.batch_key, rest.batch_size = nil, nil
  -- A section's setting given at the top level moves into (a copy of) the section.
  local function move(k, section, to)
    if rest[k] == nil then return end
    local t = {}
    for sk, sv in pairs(type(rest[section]) == "table" and rest[section] or {}) do t[sk] = sv end
    if t[to] ~= nil then
      problem("/" .. k, k .. " and " .. section .. "." .. to .. " are the same setting: give one")
    end
    t[to] = rest[k]
    if rest[section] == nil or type(rest[section]) == "table" then rest[section] = t end
    rest[k] = nil
  end
  for k, to in pairs(RESPONSE_TOP) do move(k, "response", to) end
  for k in pairs(HTTP_TOP) do move(k, "http", k) end
  if type(rest.auth) == "string" then rest.auth = { type = rest.auth } end
  if type(rest.batch) == "string" then rest.batch = { key = rest.batch } end
  if type(rest.response) == "string" then rest.response = { success = rest.response } end
  return rest, payload, bkey, bsize
end

-- A payload string that is not JSON but "k=v&k2=v2" is the key-value body
-- as it would be sent (the reader's curl example): taken as key-values.
-- Returns the body type, "form" once the payload became a list.
local function form_text(payload, bt)
  if not (payload and type(payload[2]) == "string") then return bt end
  local text = payload[2]
  local first = text:match("^%s*(.)")
  if bt == "form" or (not bt and first ~= "{" and first ~= "[" and first ~= "/" and text:find("^%s*[^=&%s]+=")) then
    local list = {}
    for part in text:gsub("^%s+", ""):gsub("%s+$", ""):gmatch("[^&]+") do
      local k, v = part:match("^([^=]*)=?(.*)$")
      list[#list + 1] = { form_decode(k), form_decode(v) }
    end
    payload[2], bt = list, "form"
  end
  return bt
end

-- The payload into d.json or d.params as the body type says; without one,
-- a body type alone moves json/params to the other.
local function place_payload(d, payload, bt, problem)
  if payload then
    local k, v = payload[1], payload[2]
    if type(v) ~= "string" and type(v) ~= "table" then
      problem("/" .. k, k .. " must be a string (JSON text) or a table, got " .. type(v))
    elseif bt == "form" then
      if type(v) ~= "table" then
        problem("/" .. k, k .. " with body type form must be a table of key-values")
      elseif d.params then
        problem("/" .. k, k .. " and params are the same setting: give one")
      else
        d.params = v
      end
    elseif d.json then
      problem("/" .. k, k .. " and json are the same setting: give one")
    else
      d.json = v
    end
  elseif bt == "json" and d.params and not d.json then
    -- "JSON" chosen, the fields written as key-values: a flat JSON object.
    d.json, d.params = d.params, nil
  elseif bt == "form" and d.json and not d.params and type(d.json) == "table" then
    d.json, d.params = nil, d.json
  end
end

-- batch_key/batch_size into d.batch.
local function place_batch(d, bkey, bsize, problem)
  if bkey == nil and bsize == nil then return end
  if d.batch then
    problem("/batch", "batch_key/batch_size and batch are the same setting: give one")
  elseif bkey ~= nil and type(bkey) ~= "string" then
    problem("/batch_key", "batch_key must be a string, got " .. type(bkey))
  elseif bsize ~= nil and type(bsize) ~= "number" then
    problem("/batch_size", "batch_size must be a number, got " .. type(bsize))
  else
    d.batch = { key = bkey, size = bsize }
  end
end

-- d.auth with its keys checked and its type canonical (or guessed from
-- the settings given).
local function normalize_auth(d, problem)
  local atype = d.auth.type
  local known = type(atype) ~= "string" or AUTH_TYPES[squash(atype)]
  if known then
    d.auth = known_keys(d.auth, AUTH_KEYS, "auth.", problem)
    if type(d.auth.type) == "string" then d.auth.type = AUTH_TYPES[squash(d.auth.type)] end
    -- No type: the settings given say which (a client id is OAuth2, a
    -- username or password Basic).
    if atype == nil then
      if d.auth.client_id or d.auth.client_secret or d.auth.url then d.auth.type = "oauth2"
      elseif d.auth.username or d.auth.password then d.auth.type = "basic" end
    end
  else
    -- Unknown type: report it, not the settings that belong to it.
    d.auth = { type = atype }
  end
end

-- d.response with its keys checked and its statuses a list.
local function normalize_response(d, problem)
  -- `success = 200` / `{ 200, 201 }`: the success statuses.
  local succ = d.response.success
  if (type(succ) == "number" or type(succ) == "table") and d.response.status == nil then
    local r = {}
    for k, v in pairs(d.response) do r[k] = v end
    r.success, r.status = nil, succ
    d.response = r
  end
  d.response = known_keys(d.response, RESPONSE_KEYS, "response.", problem)
  if type(d.response.status) == "number" then d.response.status = { d.response.status } end
end

-- The template as written -> the canonical keys above. The body may be
-- given as `json`, `params`, or `payload`/`body` with a body type ("json",
-- "form", a MIME type; `payload` alone is JSON, as the dashboard's "enter
-- your entire JSON payload"); batching as `batch`, or `batch_key` and
-- `batch_size`.
local function normalize(def, problem)
  local body_type = body_type_of(def, problem)
  local rest, payload, bkey, bsize = fold_spellings(def, problem)
  local d = known_keys(rest, KEYS, "", problem)
  local bt = form_text(payload, body_type and body_type[2])
  place_payload(d, payload, bt, problem)
  place_batch(d, bkey, bsize, problem)
  if d.auth then normalize_auth(d, problem) end
  if d.batch then d.batch = known_keys(d.batch, BATCH_KEYS, "batch.", problem) end
  if d.response then normalize_response(d, problem) end
  return d
end

-- A JSON template may be given as a Lua table: written as JSON text
-- (object keys sorted), then treated like text.
local function json_text(v, pointer, problem)
  if type(v) == "string" then return v end
  local text, err = escape.json_value(v)
  if not text then problem(pointer, "cannot write the JSON template: " .. err) return "{}" end
  return text
end

-- values: defaults for custom placeholders; secrets to hide from messages.
local function compile_values(def, c, problem)
  for k, v in pairs(def.values or {}) do
    if type(k) ~= "string" then problem("/values", "values keys must be strings") else c.values[k] = v end
  end
  for i, s in ipairs(def.secrets or {}) do
    if type(s) ~= "string" then problem("/secrets/" .. (i - 1), "secrets[" .. i .. "] must be a string")
    elseif #s >= 4 then c.secrets[#c.secrets + 1] = s end
  end
end

-- auth (aliases and type names resolved by normalize) into c.auth.
local function compile_auth(auth, c, problem)
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
        problem("/auth/params", "auth.params must map names to strings or numbers")
      else
        c.auth.params[#c.auth.params + 1] = { k, tostring(v) }
      end
    end
    if auth.scope then c.auth.params[#c.auth.params + 1] = { "scope", auth.scope } end
    table.sort(c.auth.params, function(a, b) return a[1] < b[1] end)
    if auth.client_secret then c.secrets[#c.secrets + 1] = auth.client_secret end
  else
    problem("/auth/type", "unknown auth type \"" .. tostring(atype) .. "\" (expected none, basic or oauth2)")
  end
end

-- batch: its shape ("key", "array" or "join") and size into c.batch.
-- Returns the shape and, for join batching, the key holding the numbers.
local function compile_batch(batch, json, c, problem)
  local shape, join_key
  local n = (batch.key and 1 or 0) + (batch.array and 1 or 0) + (batch.join and 1 or 0)
  if batch.key and batch.join and not batch.array then
    -- { key = "dst", join = "<" }: the numbers joined in the field "dst".
    shape, join_key = "join", batch.key
  elseif n == 0 and type(json) == "string" and json:find("^%s*%[") then
    -- No key, and the JSON template is itself an array of records (BulkSMS).
    shape = "array"
  elseif n ~= 1 then
    problem("/batch", (n == 0 and "the batching key is missing: batch needs one of" or "batch needs exactly one of")
      .. " key = \"name\" (array of one record under that key), "
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
  return shape, join_key
end

-- The body (params as form or query, or json) and the GET query. Returns
-- the body unit, the query unit and what the walk found (the batch record).
local function compile_body(json, params, method, c, shape, problems, problem)
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
  return body_unit, query_unit, found
end

-- The batch record where batching needs one.
local function check_batch_record(shape, batch, json, found, problem)
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

-- The URL, with a GET request's parameters after its own query, if any.
local function compile_url(url, params, query_unit, problems)
  local url_unit = url and compile.url(url, problems)
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
  return url_unit
end

-- headers into c.headers; an explicit Content-Type wins over the body's.
local function compile_headers(headers, c, atype, problems, problem)
  local has_ct = false
  if headers then
    for _, kv in ipairs(ordered_pairs(headers, "headers", false, problem)) do
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
end

-- placeholders: where they are and in which scope (c.slots), how often
-- each name is used (c.names).
local function collect_placeholders(c)
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
  return all, count
end

-- The placeholders the template must have, and where batching needs them.
-- `unread`: part of the template was not read (unparsed, or params beside
-- json), so what it lacks is not known.
local function check_placeholders(all, count, in_keys, unread, shape, found, join_key, problem)
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

  if not count.To and not in_keys.To and not unread then
    problem("/", "the template has no $$To placeholder (the recipient's number): it is mandatory")
  end
  if not count.Body and not count.TemplateID and not in_keys.Body and not in_keys.TemplateID and not unread then
    problem("/", "the template needs $$Body or $$TemplateID (at least one)")
  end

  -- Without a record the batch problem above is the one to fix: every
  -- placeholder would be "outside" it.
  if (shape == "key" or shape == "array") and found.record then
    local told = {}
    for _, s in ipairs(all) do
      -- once per placeholder and place: two records repeat one mistake
      local key = s.name .. "\0" .. tostring(s.where)
      if s.scope ~= "record" and (s.name == "To" or s.name == "MessageID") and not told[key] then
        told[key] = true
        problem("/batch", "$$" .. s.name .. " is outside the batch record (in " .. s.where
          .. "): with batching it must be inside the record, one per recipient")
      end
    end
  elseif shape == "join" then
    local tos = {}
    for _, s in ipairs(all) do if s.name == "To" then tos[#tos + 1] = s end end
    if #tos > 1 then
      problem("/batch/join", "join batching needs $$To exactly once, found " .. #tos .. " times")
    elseif #tos == 1 and join_key and tos[1].key ~= join_key then
      problem("/batch/key", "join batching: \"" .. join_key .. "\" does not hold $$To (it is in "
        .. (tos[1].key and ("\"" .. tos[1].key .. "\"") or tos[1].where) .. ")")
    elseif #tos == 1 and not tos[1].whole then
      problem("/batch/join", "join batching needs $$To as a whole value (a form/query value or JSON string of "
        .. "just \"$$To\"), not inside other text")
    end
  end
end

-- response: Lua patterns (regex backslash escapes and | alternatives read too)
local function compile_response(r, c, problem)
  local answer = require "clevertap.sms.answer"
  c.response = {}
  for _, k in ipairs { "success", "permfail", "tempfail", "message_id" } do
    if r[k] then
      local pat, why = answer.pattern(r[k])
      if not pat then
        problem("/response/" .. k, "response." .. k .. " is not a valid Lua pattern (" .. why .. "): " .. r[k])
      else
        c.response[k] = pat
      end
    end
  end
  if c.response.message_id then
    local src = r.message_id
    if src:find("%(") then
      c.response.message_id = { capture = true, pat = c.response.message_id }
    elseif src:match("^[%w_$.%[%]-]+$") then
      c.response.message_id = { path = src }
    else
      problem("/response/message_id", "response.message_id must be a pattern with a capture, e.g. "
        .. "'\"sid\":%s*\"([^\"]+)\"', or the name or path of a field of the JSON answer (\"sid\", \"data.0.id\")")
    end
  end
  if r.status then
    c.response.status = {}
    for i, s in ipairs(r.status) do
      if type(s) ~= "number" or s < 100 or s > 599 or s ~= math.floor(s) then
        problem("/response/status/" .. (i - 1), "response.status[" .. i .. "] is not an HTTP status: " .. tostring(s))
      end
      c.response.status[s] = true
    end
  end
end

-- The request line: the method (GET or POST) and that there is a url.
local function compile_method(def, problem)
  local method = (def.method or "POST"):upper()
  if method ~= "GET" and method ~= "POST" then
    problem("/method", "method must be GET or POST, got \"" .. def.method .. "\"")
  end
  if not def.url then problem("/url", "url is required") end
  return method
end

-- The params as ordered pairs, a `{ json = ... }` value as its JSON text.
local function compile_params(def, problem)
  local params = def.params and ordered_pairs(def.params, "params", true, problem)
  if params then
    for _, kv in ipairs(params) do
      if type(kv[2]) == "table" then kv[2] = { json = json_text(kv[2].json, "/params/" .. kv[1], problem) } end
    end
  end
  return params
end

-- The request's units: body (and the query it may leave to the url), the
-- batch record's place in it, url and headers. Returns what the placeholder
-- check needs: the placeholders found in keys, whether the body was left
-- unparsed, and the ones found (by compile_body).
local function compile_units(def, c, json, params, method, shape, problems, problem)
  local body_unit, query_unit, found = compile_body(json, params, method, c, shape, problems, problem)
  local unparsed = problems.unparsed
  local in_keys = problems.in_keys or {}
  problems.unparsed, problems.in_keys = nil, nil
  if (shape == "key" or shape == "array") and not unparsed then
    check_batch_record(shape, def.batch, json, found, problem)
  end
  c.url, c.body = compile_url(def.url, params, query_unit, problems), body_unit
  compile_headers(def.headers, c, c.auth.type, problems, problem)
  return found, unparsed, in_keys
end

--- compile(def) -> compiled, or nil, problems ({ pointer =, message =, severity = } each)
-- and the secrets (for redacting the problems' messages). The template is
-- checked as a whole, in phases: every problem at once.
function M.compile(def)
  if type(def) ~= "table" then
    error("clevertap.sms.provider: expects a table, got " .. type(def), 3)
  end
  local problems = {}
  local function problem(pointer, message)
    problems[#problems + 1] = { pointer = pointer, message = message, severity = "error" }
  end
  def = normalize(def, problem)
  local method = compile_method(def, problem)

  local c = { name = def.name or "sms provider", method = method, headers = {}, values = {},
    secrets = {}, http = def.http, logger = def.logger }
  compile_values(def, c, problem)
  local json = def.json and json_text(def.json, "/json", problem)
  compile_auth(def.auth or { type = "none" }, c, problem)
  local shape, join_key
  if def.batch then shape, join_key = compile_batch(def.batch, json, c, problem) end

  local params = compile_params(def, problem)
  local found, unparsed, in_keys = compile_units(def, c, json, params, method, shape, problems, problem)

  local all, count = collect_placeholders(c)
  -- With params and json both given only json was read: what params hold
  -- is not known to be missing, the one problem is giving both.
  local unread = unparsed or (json and params and method == "POST")
  check_placeholders(all, count, in_keys, unread, shape, found, join_key, problem)
  compile_response(def.response or {}, c, problem)

  if #problems > 0 then return nil, problems, c.secrets end
  return c
end

return M
