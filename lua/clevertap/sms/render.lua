--- Renders a send (recipients + campaign values) into the exact requests a
-- compiled template describes. Pure: no I/O, no clock except for the
-- default message id prefix.
local segments = require "clevertap.sms.segments"
local escape = require "clevertap.sms.escape"

local M = {}

local concat, type = table.concat, type

-- System placeholders and the recipient/campaign field that fills each.
local FIELD = {
  To = "to", Body = "body", TemplateID = "template_id", TemplateVariables = "template_variables",
  Sender = "sender", MessageID = "message_id",
}
local PERSONAL = { "body", "template_id", "template_variables", "sender", "message_id" }
local NAME_OF = {}
for k, v in pairs(FIELD) do NAME_OF[v] = k end

local OPTS = {
  to = "table", recipients = "table", body = "string", template_id = "string|number",
  template_variables = "any", campaign_id = "string|number", sender = "string", values = "table",
  message_id_prefix = "string", token = "string", batch_size = "number",
}
local RECIPIENT = {
  to = "string|number", values = "table", body = "string", template_id = "string|number",
  template_variables = "any", sender = "string", message_id = "string|number",
}

local function misuse(msg)
  error("render: " .. msg, 4)
end

local function check(t, allowed, where)
  for k, v in pairs(t) do
    local want = allowed[k]
    if not want then misuse("unknown option " .. where .. tostring(k)) end
    if want ~= "any" and not want:find(type(v), 1, true) then
      misuse(where .. k .. " must be a " .. want:gsub("|", " or ") .. ", got " .. type(v))
    end
  end
end

local counter = 0
local function default_prefix()
  counter = counter + 1
  return string.format("%x%x%04x", os.time(), counter, math.random(0, 0xffff))
end

-- Recipients as tables; misuse raises.
local function normalize(list)
  local out = {}
  for i = 1, #list do
    local r = list[i]
    local tr = type(r)
    if tr == "string" or tr == "number" then
      out[i] = { to = r }
    elseif tr == "table" then
      check(r, RECIPIENT, "to[" .. i .. "].")
      if r.to == nil then misuse("to[" .. i .. "].to (the phone number) is required") end
      out[i] = r
    else
      misuse("to[" .. i .. "] must be a phone number (string) or a table { to = ..., values = {...} }, got " .. tr)
    end
  end
  for k in pairs(list) do
    if type(k) ~= "number" or k > #list or k < 1 then misuse("to must be an array of recipients") end
  end
  return out
end

local function who(r, i)
  if r.joined then return "the request for recipients from " .. i end
  return "recipient " .. i .. " (" .. tostring(r.to) .. ")"
end

--- render(c, opts) -> requests, or nil, problems.
function M.render(c, opts)
  if type(opts) ~= "table" then misuse("expects a table, got " .. type(opts)) end
  check(opts, OPTS, "")
  local list = opts.to or opts.recipients
  if opts.to and opts.recipients then misuse("give to or recipients, not both") end
  if not list then misuse("to (the recipients) is required") end
  local rs = normalize(list)

  local problems, nproblems, more = {}, 0, 0
  local function problem(pointer, msg)
    if nproblems >= 20 then more = more + 1 return end
    nproblems = nproblems + 1
    problems[nproblems] = { pointer = pointer, message = msg }
  end

  local camp = {
    body = opts.body, template_id = opts.template_id, template_variables = opts.template_variables,
    sender = opts.sender, campaign_id = opts.campaign_id, values = {},
  }
  for k, v in pairs(c.values) do camp.values[k] = v end
  for k, v in pairs(opts.values or {}) do
    if type(k) ~= "string" then misuse("values keys must be strings") end
    camp.values[k] = v
  end
  if camp.body and not escape.valid_utf8(camp.body) then problem("/body", "body is not valid UTF-8") end

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

  -- Message ids, one per recipient (or per request when numbers are joined).
  local use_ids = c.names.MessageID ~= nil
  local prefix = opts.message_id_prefix or (use_ids and default_prefix())

  -- Values given per recipient for placeholders that take one value per
  -- request (outside the record, or everything with join batching).
  local global_names = {}
  if shape then
    for _, s in ipairs(c.slots) do
      if s.scope ~= "record" and s.name ~= "To" then global_names[s.name] = s.where end
    end
  end

  for i, r in ipairs(rs) do
    local to = r.to
    if type(to) == "string" and (to == "" or not escape.valid_utf8(to)) then
      problem("/to/" .. (i - 1), who(r, i) .. ": the number is empty or not valid UTF-8")
    end
    if r.body and not escape.valid_utf8(r.body) then
      problem("/to/" .. (i - 1) .. "/body", who(r, i) .. ": body is not valid UTF-8")
    end
    if shape then
      for _, f in ipairs(PERSONAL) do
        if r[f] ~= nil and global_names[NAME_OF[f]] then
          problem("/to/" .. (i - 1) .. "/" .. f, who(r, i) .. " gives its own " .. f .. ", but $$" .. NAME_OF[f]
            .. " is in " .. global_names[NAME_OF[f]] .. (shape == "join"
              and ", and join batching sends one text to all numbers" or ", outside the batch record")
            .. ": it takes one value per request (give it once, for the whole send)")
        end
      end
      if r.values then
        for k in pairs(r.values) do
          if global_names[k] then
            problem("/to/" .. (i - 1) .. "/values/" .. k, who(r, i) .. " gives its own value for $$" .. k
              .. ", but $$" .. k .. " is campaign-level here (in " .. global_names[k]
              .. (shape == "join" and ", with join batching" or ", outside the batch record") .. ")")
          end
        end
      end
    end
  end

  local missing = {}
  local function value_of(name, r)
    local f = FIELD[name]
    local v
    if f then
      if r then v = r[f] end
      if v == nil then v = camp[f] end
    elseif name == "CampaignID" then
      v = camp.campaign_id
    else
      local vals = r and r.values
      if vals then v = vals[name] end
      if v == nil then v = camp.values[name] end
    end
    return v
  end

  -- Appends the rendered parts to buf; r = nil for campaign-level values.
  local function fill(buf, n, parts, r, ri)
    for k = 1, #parts do
      local p = parts[k]
      n = n + 1
      if type(p) == "string" then
        buf[n] = p
      else
        local v = value_of(p.name, r)
        if v == nil then
          local key = p.name .. (r and ri or "")
          if not missing[key] then
            missing[key] = true
            problem("/", "$$" .. p.name .. " (in " .. p.where .. ") has no value"
              .. (r and (" for " .. who(r, ri)) or ""))
          end
          buf[n] = ""
        else
          local s, err = p.enc(v)
          if not s then
            problem("/", "$$" .. p.name .. " (in " .. p.where .. ")" .. (r and (" for " .. who(r, ri)) or "")
              .. ": cannot use " .. err)
            s = ""
          end
          buf[n] = s
        end
      end
    end
    return n
  end

  local facts_cache, ncached = {}, 0
  local function facts_of(r)
    local b = r and r.body
    if b == nil then b = camp.body end
    if type(b) ~= "string" then return false end
    local f = facts_cache[b]
    if not f then
      if not escape.valid_utf8(b) then return false end
      f = segments.facts(b)
      if ncached < 1000 then facts_cache[b] = f ncached = ncached + 1 end
    end
    return f
  end

  local basic = c.auth.header
  local requests = {}
  local total = #rs
  local buf = {}
  local i = 1
  while i <= total do
    local last = i + size - 1
    if last > total then last = total end
    local per, tos, ids, facts = nil, {}, use_ids and {} or nil, {}
    for k = i, last do
      local r = rs[k]
      tos[#tos + 1] = r.to
      facts[#facts + 1] = facts_of(r)
      if use_ids and shape ~= "join" then
        if r.message_id == nil then
          -- A copy: the caller's table stays as given.
          local copy = {}
          for kk, vv in pairs(r) do copy[kk] = vv end
          copy.message_id = prefix .. "-" .. k
          r = copy
          rs[k] = r
        end
        ids[#ids + 1] = tostring(r.message_id)
      end
    end
    if shape == "join" then
      local nums = {}
      for k = 1, #tos do nums[k] = escape.text(tos[k]) end
      per = { joined = true, to = concat(nums, c.batch.sep), message_id = use_ids and (prefix .. "-" .. i) or nil }
      if use_ids then for _ = 1, #tos do ids[#ids + 1] = per.message_id end end
    elseif not shape then
      per = rs[i]
    end

    local function unit_text(unit)
      local n = 0
      if unit.record then
        n = fill(buf, n, unit.prefix, per, i)
        for k = i, last do
          if k > i then n = n + 1 buf[n] = unit.sep end
          n = fill(buf, n, unit.record, rs[k], k)
        end
        n = fill(buf, n, unit.suffix, per, i)
      else
        n = fill(buf, n, unit.parts, per, i)
      end
      local s = concat(buf, "", 1, n)
      return s
    end

    local req = { method = c.method, url = unit_text(c.url), headers = {}, to = tos, message_ids = ids,
      facts = facts }
    if c.body then req.body = unit_text(c.body) end
    for _, h in ipairs(c.headers) do req.headers[h[1]] = unit_text(h[2]) end
    if c.content_type then req.headers["Content-Type"] = c.content_type end
    if basic then req.headers.Authorization = basic end
    if c.auth.type == "oauth2" then
      req.auth = "oauth2"
      if opts.token then req.headers.Authorization = "Bearer " .. opts.token end
    end
    requests[#requests + 1] = req
    i = last + 1
  end

  if nproblems > 0 then
    if more > 0 then
      problems[#problems + 1] = { pointer = "/", message = "... and " .. more .. " more problems" }
    end
    return nil, problems
  end
  return requests
end

return M
