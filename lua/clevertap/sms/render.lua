--- Renders a send (recipients + campaign values) into the exact requests a
-- compiled template describes. Pure: no I/O, no clock except for the
-- default message id prefix. Batch records go through the C fast path when
-- it is built (sms/fast.lua); the Lua path renders everything else, and
-- any request the fast path declines, with the same bytes.
local segments = require "clevertap.sms.segments"
local escape = require "clevertap.sms.escape"
local fast = require "clevertap.sms.fast"
local options = require "clevertap.options"

local M = {}

local concat, type = table.concat, type
local valid_utf8 = escape.valid_utf8

-- System placeholders and the recipient/campaign field that fills each;
-- $$CampaignID is campaign-level only, so not a recipient field.
local SYSTEM = require("clevertap.sms.template").SYSTEM
local FIELD = {}
for name, field in pairs(SYSTEM) do
  if name ~= "CampaignID" then FIELD[name] = field end
end

local OPTS = {
  to = "table|string|number", recipients = "table|string|number", body = "string", template_id = "string|number",
  template_variables = "any", campaign_id = "string|number", sender = "string|number", values = "table",
  message_id_prefix = "string", token = "string", batch_size = "number",
}
local RECIPIENT = {
  to = "string|number", values = "table", body = "string", template_id = "string|number",
  template_variables = "any", sender = "string|number", message_id = "string|number",
}

-- Misuse is found at several depths (some inside a lazily run check), so
-- it travels as a tagged value that provider:render re-raises at its
-- caller's line (see M.misuse_message).
local MISUSE = {}
local function misuse(msg)
  error(setmetatable({ message = "render: " .. msg }, MISUSE), 0)
end

--- The message of a misuse raised by render, nil for any other error value.
function M.misuse_message(e)
  return getmetatable(e) == MISUSE and e.message or nil
end

-- Other names of options (unless the template has a placeholder by that name).
local OPTION_ALIAS = {
  messages = "recipients", numbers = "recipients", globals = "values", global = "values",
  custom = "values", placeholders = "values", message = "body", text = "body",
}

-- The placeholder names themselves are accepted for their fields
-- (`Body = "..."` as `body`), as a reader of the reference would write them.
local SYSTEM_KEY = SYSTEM

-- Type sets per key, for the per-recipient check (hot: no string work
-- unless something is wrong).
local RECIPIENT_T = {}
for k, want in pairs(RECIPIENT) do
  local set = {}
  if want == "any" then
    for _, t in ipairs { "string", "number", "boolean", "table", "userdata", "function", "thread" } do set[t] = true end
  else
    for t in want:gmatch("[^|]+") do set[t] = true end
  end
  RECIPIENT_T[k] = set
end

-- The options table's keys and types, worded as every options check is.
local function check(t, allowed)
  local msg = options.problem(t, allowed)
  if msg then misuse(msg) end
end

local counter = 0
local function default_prefix()
  counter = counter + 1
  return string.format("%x%x%04x", os.time(), counter, math.random(0, 0xffff))
end

-- A recipient table's number (`to`, or `To` as the placeholder is named).
local function number_of(r)
  local to = r.to
  if to == nil then to = r.To end
  return to
end

-- A number as a message shows it: bytes that are not UTF-8 as \xHH, so
-- the message itself stays readable text.
local function shown(v)
  local s = tostring(v)
  if valid_utf8(s) then return s end
  return (s:gsub("[\128-\255]", function(ch) return string.format("\\x%02X", ch:byte()) end))
end

local function who(r, i)
  if type(r) ~= "table" then return "recipient " .. i .. " (" .. shown(r) .. ")" end
  if r.joined then return "the request for recipients from " .. i end
  return "recipient " .. i .. " (" .. shown(r.to) .. ")"
end

-- A request's own fields are the SPEC's method, url, headers, body; what
-- render knows beside them (to, facts, message_ids, messages, segments,
-- encoding, auth) is read through the metatable, so comparing a request
-- with { method =, url =, headers =, body = } holds. message_ids and
-- messages are built on first access: a million small tables and id strings
-- nobody reads would cost more than rendering the requests. `prefix` is nil
-- when the template has no $$MessageID.
local function lazy_fields(req, extra, rs, first, last, prefix)
  setmetatable(req, { __index = function(_, key)
    local v = extra[key]
    if v ~= nil then return v end
    if key == "message_ids" then
      if not prefix then return nil end
      local ids = {}
      for k = first, last do
        local r = rs[k]
        local id = type(r) == "table" and (r.message_id or r.MessageID)
        ids[#ids + 1] = id and tostring(id) or (prefix .. "-" .. k)
      end
      extra.message_ids = ids
      return ids
    elseif key == "messages" then
      local list, ids = {}, req.message_ids
      for k, to in ipairs(extra.to) do
        local m = { to = to, message_id = ids and ids[k] }
        local f = extra.facts[k]
        if f then
          m.encoding, m.segments, m.units, m.characters = f.encoding, f.segments, f.units, f.characters
        end
        list[k] = m
      end
      extra.messages = list
      return list
    elseif key == "segments" or key == "encoding" then
      -- The request's SMS cost: segments summed over its messages, and the
      -- encoding they share ("mixed" when they differ).
      local total, enc = 0, nil
      for _, f in ipairs(extra.facts) do
        if f then
          total = total + f.segments
          enc = (enc == nil or enc == f.encoding) and f.encoding or "mixed"
        end
      end
      extra.segments, extra.encoding = total, enc
      return extra[key]
    end
    return nil
  end })
end

-- Header names are case-insensitive (RFC 9110): `headers["content-type"]`
-- finds "Content-Type"; pairs() gives the names as written.
local headers_mt = { __index = function(t, key)
  if type(key) ~= "string" then return nil end
  local lk = key:lower()
  for k, v in pairs(t) do
    if k:lower() == lk then return v end
  end
  return nil
end }

-- Phase 1: the options under their canonical names. Custom placeholder
-- names may be given directly (`hid = "H1"`), beside `values`; system
-- placeholder names stand for their fields. Returns the options and the
-- custom values given directly.
local function canonical_options(c, opts)
  if next(opts) == nil then return opts, nil end
  local custom_given, extra_values
  local o = {}
  for k, v in pairs(opts) do
    local alias = SYSTEM_KEY[k]
    if not alias and not c.names[k] then alias = OPTION_ALIAS[k] end
    if alias == "values" and type(v) == "table" then
      -- Campaign-level values under another name: merged into values.
      extra_values = extra_values or {}
      extra_values[#extra_values + 1] = v
    elseif alias and alias ~= "message_id" then
      if opts[alias] ~= nil or o[alias] ~= nil then
        misuse(k .. " and " .. alias .. " are the same option: give one")
      end
      o[alias] = v
    elseif not OPTS[k] and type(k) == "string" and c.names[k] and not FIELD[k] and k ~= "CampaignID" then
      custom_given = custom_given or {}
      custom_given[k] = v
    else
      o[k] = v
    end
  end
  if extra_values then
    local vals = {}
    if type(o.values) == "table" then for vk, vv in pairs(o.values) do vals[vk] = vv end end
    for _, t in ipairs(extra_values) do
      for vk, vv in pairs(t) do vals[vk] = vv end
    end
    o.values = vals
  end
  return o, custom_given
end

-- Phase 2: the recipients as an array (one may be given as just the number).
local function recipients_of(opts)
  if opts.to and opts.recipients then misuse("give to or recipients, not both") end
  local rs = opts.to or opts.recipients
  if rs == nil then misuse("to (the recipients) is required") end
  if type(rs) ~= "table" or rs.to ~= nil or rs.To ~= nil then rs = { rs } end
  local total = #rs
  -- Keys past the array part show up after `total` (a full scan confirms).
  if next(rs, total > 0 and total or nil) ~= nil then
    for k in pairs(rs) do
      if type(k) ~= "number" or k > total or k < 1 or k ~= math.floor(k) then
        misuse("to must be an array of recipients")
      end
    end
  end
  return rs, total
end

-- Phase 3: the campaign-level values: the template's defaults, `values`,
-- and custom values given directly.
local function campaign_of(c, opts, custom_given)
  local camp = {
    body = opts.body, template_id = opts.template_id, template_variables = opts.template_variables,
    sender = opts.sender, campaign_id = opts.campaign_id, values = {},
  }
  for k, v in pairs(c.values) do camp.values[k] = v end
  for k, v in pairs(opts.values or {}) do
    if type(k) ~= "string" then misuse("values keys must be strings") end
    camp.values[k] = v
  end
  for k, v in pairs(custom_given or {}) do
    if opts.values and opts.values[k] ~= nil then misuse(k .. " is given twice (and in values)") end
    camp.values[k] = v
  end
  return camp
end

-- Phase 4: the batching shape and the records per request.
local function batch_of(c, opts, problem)
  local shape = c.batch and c.batch.shape
  local size = 1
  if shape then
    size = c.batch.size
    if opts.batch_size then
      if opts.batch_size < 1 or opts.batch_size ~= math.floor(opts.batch_size) then
        problem("/batch_size", "batch_size must be a whole number >= 1, got " .. opts.batch_size)
      elseif opts.batch_size < size then
        size = opts.batch_size
      end
    end
  end
  return shape, size
end

-- Phase 5: placeholders that take one value per request (outside the
-- record, or everything with join batching): a recipient may not give its own.
local function per_request_placeholders(c, shape)
  local global_fields, global_custom = {}, {}
  if shape then
    local seen = {}
    for _, s in ipairs(c.slots) do
      if s.scope ~= "record" and s.name ~= "To" and not seen[s.name] then
        seen[s.name] = true
        local f = FIELD[s.name]
        if f then global_fields[#global_fields + 1] = { f, s.name, s.where }
        elseif s.name ~= "CampaignID" then global_custom[#global_custom + 1] = { s.name, s.where } end
      end
    end
  end
  return global_fields, global_custom
end

-- Phase 6: every recipient checked, each problem reported once (misuse
-- raises). `st` is the render's state (see M.render): its problem function,
-- the `missing` set and the per-request placeholders. Runs when the C fast
-- path declines.
local function check_recipients(c, rs, total, st)
  local problem, missing, shape = st.problem, st.missing, st.shape
  local global_fields, global_custom = st.global_fields, st.global_custom
  local join_sep, where_note = st.join_sep, st.where_note
  for i = 1, total do
    local r = rs[i]
    local tr = type(r)
    local to = r
    if tr == "table" then
      for k, v in pairs(r) do
        local set = RECIPIENT_T[k] or RECIPIENT_T[SYSTEM_KEY[k]]
        if set then
          if not set[type(v)] then
            local f = SYSTEM_KEY[k] or k
            misuse(options.wrong_type(k, RECIPIENT[f], v, "to[" .. i .. "]"))
          end
        elseif not (type(k) == "string" and c.names[k] and not FIELD[k] and k ~= "CampaignID") then
          misuse(options.unknown(k, RECIPIENT, "to[" .. i .. "]"))
        end
      end
      to = number_of(r)
      -- missing data, not a mistake in the code: one problem among the others
      if to == nil then
        problem("/to/" .. (i - 1) .. "/to", "recipient " .. i .. " has no number (to)")
        missing["To" .. i] = true
      end
      if r.body and not valid_utf8(r.body) then
        problem("/to/" .. (i - 1) .. "/body", who(r, i) .. ": body is not valid UTF-8")
        missing["Body" .. i] = true
      end
      for gi = 1, #global_fields do
        local g = global_fields[gi]
        if r[g[1]] ~= nil or r[g[2]] ~= nil then
          problem("/to/" .. (i - 1) .. "/" .. g[1], who(r, i) .. " gives its own " .. g[1] .. ", but $$" .. g[2]
            .. " is in " .. g[3] .. where_note
            .. ": it takes one value per request (give it once, for the whole send)")
        end
      end
      local vals = r.values
      if #global_custom > 0 then
        for gi = 1, #global_custom do
          local g = global_custom[gi]
          if (vals and vals[g[1]] ~= nil) or r[g[1]] ~= nil then
            problem("/to/" .. (i - 1) .. "/values/" .. g[1], who(r, i) .. " gives its own value for $$" .. g[1]
              .. ", but $$" .. g[1] .. " is campaign-level here (in " .. g[2]
              .. (shape == "join" and ", with join batching" or ", outside the batch record") .. ")")
          end
        end
      end
    elseif tr ~= "string" and tr ~= "number" then
      misuse("to[" .. i .. "] must be a phone number (string) or a table { to = ..., values = {...} }, got " .. tr)
    end
    if type(to) == "string" and (to == "" or not valid_utf8(to)) then
      problem("/to/" .. (i - 1), who(r, i) .. ": the number is empty or not valid UTF-8")
      missing["To" .. i] = true
    elseif join_sep and tostring(to):find(join_sep, 1, true) then
      problem("/to/" .. (i - 1), who(r, i) .. ": the number contains the join separator \"" .. join_sep .. "\"")
    end
  end
end

-- The values a render fills placeholders with, through `st` (the render's
-- state, built in M.render): a campaign-level value by placeholder name.
local function campaign_value(st, name)
  local f = FIELD[name]
  if f then return st.camp[f] end
  if name == "CampaignID" then return st.camp.campaign_id end
  return st.camp.values[name]
end

-- Recipient ri's value (r = nil: the campaign's); true as the second
-- result when it is the campaign-level value, shared by every record.
local function value_of(st, name, r, ri)
  if r == nil then return campaign_value(st, name) end
  local v
  if type(r) ~= "table" then
    if name == "To" then return r end
  else
    local f = FIELD[name]
    if f then
      v = r[f]
    elseif name ~= "CampaignID" then
      local vals = r.values
      if vals then v = vals[name] end
    end
    -- The placeholder's own name on the recipient: `{ to =, uid = }`, `Body =`.
    if v == nil and name ~= "CampaignID" then v = r[name] end
  end
  if v == nil then
    if name == "MessageID" and st.prefix then return st.prefix .. "-" .. ri end
    return campaign_value(st, name), true
  end
  return v
end

-- Appends the rendered parts to buf; r = nil for campaign-level values.
-- A gap (no value, or one its encoder refuses) is reported once per slot
-- and recipient (st.missing) and rendered as "".
local function fill(st, buf, n, parts, r, ri)
  local missing, encoded = st.missing, st.encoded
  for k = 1, #parts do
    local p = parts[k]
    n = n + 1
    if type(p) == "string" then
      buf[n] = p
    else
      local v, shared = value_of(st, p.name, r, ri)
      local cached = shared and encoded[p]
      if cached then
        buf[n] = cached
      elseif v == nil then
        local key = p.name .. (r and ri or "")
        if not missing[key] then
          missing[key] = true
          st.problem("/", "$$" .. p.name .. " (in " .. p.where .. ") has no value"
            .. (r and (" for " .. who(r, ri)) or ""))
        end
        buf[n] = ""
      else
        local s, err = p.enc(v)
        if not s then
          local key = p.name .. ((r and not shared) and ri or "")
          if not missing[key] and not missing[p.name .. (ri or "")] then
            missing[key] = true
            st.problem("/", "$$" .. p.name .. " (in " .. p.where .. ")" .. (r and (" for " .. who(r, ri)) or "")
              .. ": cannot use " .. err)
          end
          s = ""
        elseif shared then
          encoded[p] = s
        end
        buf[n] = s
      end
    end
  end
  return n
end

-- A body's SMS facts (encoding, segments), false for no usable body; the
-- first 1000 distinct bodies are remembered.
local function facts_of(st, b)
  if type(b) ~= "string" then return false end
  local cache = st.facts_cache
  local f = cache[b]
  if not f then
    if not valid_utf8(b) then return false end
    f = segments.facts(b)
    if st.ncached < 1000 then
      cache[b] = f
      st.ncached = st.ncached + 1
    end
  end
  return f
end

-- One fast-path plan per record unit for this render (false: none).
local function plan_for(st, unit)
  local p = st.plans[unit]
  if p == nil then
    p = fast.available and fast.plan(unit.record, st.campaign) or false
    st.plans[unit] = p
  end
  return p
end

-- Every recipient checked, once, when the fast path is not used or declines.
local function validate_all(st)
  if st.validated then return end
  st.validated = true
  check_recipients(st.c, st.rs, st.total, st)
end

-- The numbers and SMS facts of recipients i..last.
local function batch_facts(st, i, last)
  local rs, tos, facts = st.rs, {}, {}
  local n = 0
  for k = i, last do
    local r = rs[k]
    n = n + 1
    if type(r) == "table" then
      tos[n] = number_of(r)
      local b = r.body
      if b == nil then b = r.Body end
      facts[n] = b == nil and st.camp_facts or facts_of(st, b)
    else
      tos[n] = r
      facts[n] = st.camp_facts
    end
  end
  return tos, facts
end

-- The recipient values outside batch records fill from: the joined numbers
-- (join batching), the one recipient (no batching), or none (nil); and the
-- message ids of a joined request.
local function per_request(st, i, tos)
  local shape = st.shape
  if shape == "join" then
    local nums = {}
    for k = 1, #tos do nums[k] = escape.text(tos[k]) end
    local per = { joined = true, to = concat(nums, st.c.batch.sep),
      message_id = st.use_ids and (st.prefix .. "-" .. i) or nil }
    local ids
    if st.use_ids then
      ids = {}
      for k = 1, #tos do ids[k] = per.message_id end
    end
    return per, ids
  elseif not shape then
    return st.rs[i], nil
  end
  return nil, nil
end

-- One unit's text (url, body or a header) for the request of recipients
-- i..last; batch records through the fast path when it takes them.
local function unit_text(st, unit, per, i, last)
  local buf = st.buf
  local m = 0
  if unit.record then
    m = fill(st, buf, 0, unit.prefix, per, i)
    local head = concat(buf, "", 1, m)
    m = fill(st, buf, 0, unit.suffix, per, i)
    local tail = concat(buf, "", 1, m)
    local plan = st.fast_ok and plan_for(st, unit)
    local text = plan and fast.records(plan, st.rs, i, last, unit.sep, st.prefix, nil, head, tail, st.guard)
    if text then return text end
    validate_all(st)
    buf[1] = head
    m = 1
    for k = i, last do
      if k > i then m = m + 1 buf[m] = unit.sep end
      m = fill(st, buf, m, unit.record, st.rs[k], k)
    end
    m = m + 1
    buf[m] = tail
  else
    m = fill(st, buf, m, unit.parts, per, i)
  end
  return concat(buf, "", 1, m)
end

-- The request for recipients i..last.
local function request_of(st, i, last)
  local c = st.c
  local tos, facts = batch_facts(st, i, last)
  local per, ids = per_request(st, i, tos)
  local req = { method = c.method, url = unit_text(st, c.url, per, i, last), headers = setmetatable({}, headers_mt) }
  local extra = { to = tos, message_ids = ids, facts = facts }
  if c.body then req.body = unit_text(st, c.body, per, i, last) end
  for _, h in ipairs(c.headers) do req.headers[h[1]] = unit_text(st, h[2], per, i, last) end
  lazy_fields(req, extra, st.rs, i, last, st.use_ids and not ids and st.prefix or nil)
  if c.content_type then req.headers["Content-Type"] = c.content_type end
  if c.auth.header then req.headers.Authorization = c.auth.header end
  if c.auth.type == "oauth2" then
    extra.auth = "oauth2"
    if st.opts.token then req.headers.Authorization = "Bearer " .. st.opts.token end
  end
  return req
end

--- render(c, opts) -> requests, or nil, problems.
function M.render(c, opts)
  if type(opts) ~= "table" then misuse("expects a table, got " .. type(opts)) end
  local custom_given
  opts, custom_given = canonical_options(c, opts)
  check(opts, OPTS)
  local rs, total = recipients_of(opts)

  -- every problem is reported (the contract), none made up to summarise
  local problems, nproblems = {}, 0
  local function problem(pointer, msg)
    nproblems = nproblems + 1
    problems[nproblems] = { pointer = pointer, message = msg }
  end

  local camp = campaign_of(c, opts, custom_given)
  local body_bad = camp.body and not valid_utf8(camp.body)
  if body_bad then problem("/body", "body is not valid UTF-8") end

  local shape, size = batch_of(c, opts, problem)

  -- Message ids: given per recipient, else <prefix>-<index> (per request
  -- when numbers are joined).
  local use_ids = c.names.MessageID ~= nil
  local prefix = opts.message_id_prefix or (use_ids and default_prefix()) or nil

  local global_fields, global_custom = per_request_placeholders(c, shape)

  -- With the C fast path for batch records, the recipients are checked
  -- there (same rules); check_recipients runs only when it declines, to report.
  local guard = { types = RECIPIENT, fields = {}, custom = {} }
  for k, g in ipairs(global_fields) do guard.fields[k] = g[1] end
  for k, g in ipairs(global_custom) do guard.custom[k] = g[1] end

  local st = {
    c = c, opts = opts, rs = rs, total = total, camp = camp, shape = shape,
    use_ids = use_ids, prefix = prefix, problem = problem,
    global_fields = global_fields, global_custom = global_custom,
    join_sep = shape == "join" and c.batch.sep,
    where_note = shape == "join" and ", and join batching sends one text to all numbers"
      or ", outside the batch record",
    fast_ok = fast.available and (shape == "key" or shape == "array"),
    guard = guard,
    -- Placeholder slots already reported, as having no value or an unusable
    -- one ("To2" for recipient 2's number, "Body" for the campaign's body):
    -- one gap is one problem.
    missing = { Body = body_bad or nil },
    validated = false,
    encoded = {},   -- campaign-level values fill many records: encoded once per slot
    facts_cache = {}, ncached = 0,
    plans = {},
    buf = {},
  }
  st.campaign = function(name) return campaign_value(st, name) end
  if not st.fast_ok then validate_all(st) end
  st.camp_facts = facts_of(st, camp.body)

  local requests = {}
  local i = 1
  while i <= total do
    local last = i + size - 1
    if last > total then last = total end
    requests[#requests + 1] = request_of(st, i, last)
    i = last + 1
  end

  if nproblems > 0 then
    return nil, problems
  end
  return requests
end

return M
