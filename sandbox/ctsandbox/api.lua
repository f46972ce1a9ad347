--- The CleverTap endpoints under /1/: each handler takes the decoded request
-- and returns status, body (table), headers.
local json = require "ctsandbox.json"
local respond = require "ctsandbox.respond"
local validate = require "ctsandbox.validate"
local estimate = require "ctsandbox.estimate"
local campaigns = require "ctsandbox.campaigns"

local fail = respond.fail

local M = {}

M.INVALID_JSON = "Invalid JSON payload"
M.NOT_COMPLETED = "This target hasn't been completed"

local IDENTITY_KEYS = { "FBID", "GPID", "Email", "Identity", "objectId", "objectid" }

local is_object = json.is_object

local function payload_of(req)
  local doc = req.body and req.body ~= "" and json.decode(req.body) or nil
  if not is_object(doc) then return nil end
  return doc
end

-- Number of identities in `to`, or nil when `to` is malformed.
local function count_identities(to)
  if not is_object(to) then return nil end
  local n = 0
  for _, key in ipairs(IDENTITY_KEYS) do
    local list = to[key]
    if list ~= nil then
      if not json.is_array(list) then return nil end
      for _, v in ipairs(list) do
        if type(v) ~= "string" or v == "" then return nil end
      end
      n = n + #list
    end
  end
  return n
end

local function send(channel)
  return function(req, conf)
    local p = payload_of(req)
    if not p then return fail(400, M.INVALID_JSON, 78) end
    if p.to == nil or p.to == json.null then return fail(400, "to is a mandatory field", 21) end
    if p.respect_frequency_caps ~= nil and type(p.respect_frequency_caps) ~= "boolean" then
      return fail(400, "respect_frequency_caps must be a Boolean", 73)
    end
    local n = count_identities(p.to)
    if not n or n == 0 or n > conf.max_identities then
      return fail(400, "Invalid recipients", 84)
    end
    if conf.validate then
      local problem = validate.check("send/" .. channel, p)
      if problem then return fail(400, M.INVALID_JSON .. ": " .. problem, 78) end
    end
    return 200, { status = "success", message = "Added to queue for processing" }
  end
end

local function bad(message) return fail(400, message, 400) end

local function create(req, conf)
  local p = payload_of(req)
  if not p then return fail(400, M.INVALID_JSON, 78) end
  local req_id = p.req_id or p.request_id
  if req_id ~= nil then
    local e = campaigns.estimate(req_id)
    if e == nil then return bad("Invalid req_id") end
    if e == "pending" then return 200, { status = "pending", req_id = req_id } end
    return 200, { status = "success", req_id = req_id, estimates = e }
  end
  if conf.validate and validate.available() then
    local problem = validate.check("targets/create", p)
    if problem then return bad(problem) end
  else
    if type(p.name) ~= "string" or p.name == "" then return bad("name is a mandatory field") end
    if p.content == nil and p.estimate_only ~= true then return bad("content is a mandatory field") end
  end
  local est = estimate.for_payload(p)
  if p.async_estimate == true then
    return 200, { status = "success", req_id = campaigns.new_estimate(est, tonumber(conf.async_estimate_delay)) }
  end
  if p.estimate_only == true then
    return 200, { status = "success", estimates = est }
  end
  local c = campaigns.create(p, est, conf)
  local body = { status = "success", id = c.id }
  if p.skip_estimate ~= true then body.estimates = est end
  return 200, body
end

-- The campaign a stop or result request names by its id: the campaign, or
-- nil and the refusal (status, body).
local function named_campaign(req, conf)
  local p = payload_of(req)
  if not p then return nil, fail(400, M.INVALID_JSON, 78) end
  local id = p.id
  if type(id) == "string" and id:match("^%d+$") then id = tonumber(id) end
  if type(id) ~= "number" then return nil, bad("id is a mandatory field") end
  local c = campaigns.get(id, conf)
  if not c then return nil, bad("Campaign not found") end
  return c
end

local function stop(req, conf)
  local c, status, body = named_campaign(req, conf)
  if not c then return status, body end
  if c.status == "completed" then return bad("Campaign has already completed") end
  c.status = "stopped"
  campaigns.save(c)
  return 200, { status = "success" }
end

local function result(req, conf)
  local c, status, body = named_campaign(req, conf)
  if not c then return status, body end
  if c.status ~= "completed" then
    return 200, { status = "fail", error = M.NOT_COMPLETED }
  end
  return 200, { status = "success", result = { sent = c.sent, clicked = c.clicked } }
end

local function yyyymmdd(v)
  return type(v) == "number" and v == math.floor(v) and v >= 19700101 and v <= 99991231
end

local function list(req, conf)
  local p = payload_of(req)
  if not p and req.method == "GET" and (req.body or "") == "" then
    -- GET with the range in the query string.
    local args = ngx.req.get_uri_args()
    p = { from = tonumber(args.from), to = tonumber(args.to) }
  end
  if not p then return fail(400, M.INVALID_JSON, 78) end
  if not yyyymmdd(p.from) then return bad("from must be a date in the format YYYYMMDD") end
  if not yyyymmdd(p.to) then return bad("to must be a date in the format YYYYMMDD") end
  if p.from > p.to then return bad("from must not be after to") end
  local targets = json.array()
  for _, c in ipairs(campaigns.all(conf)) do
    local day = math.floor(c.scheduled_on / 10000)
    if day >= p.from and day <= p.to then
      targets[#targets + 1] = { id = c.id, name = c.name, scheduled_on = c.scheduled_on, status = c.status }
    end
  end
  return 200, { status = "success", targets = targets }
end

local function trigger(req, conf)
  local p = payload_of(req)
  if not p then return fail(400, M.INVALID_JSON, 78) end
  local name = p.business_event
  if name == nil then name = p.event end
  local event = type(name) == "string" and conf.business_events[name] or nil
  if not event then return bad("Business Event Not Found") end
  if p.when == nil or p.when == json.null then return bad('"when" has an incorrect value - null') end
  local props = is_object(p.properties) and p.properties or {}
  for _, prop in ipairs(event.properties or {}) do
    if props[prop] == nil then return bad("Property " .. prop .. " missing") end
  end
  if conf.validate then
    local problem = validate.check("targets/trigger", p)
    if problem then return bad(problem) end
  end
  return 200, { status = "success", targets = event.targets or 1 }
end

M.handlers = {
  ["/1/targets/create.json"] = create,
  ["/1/targets/list.json"] = list,
  ["/1/targets/stop.json"] = stop,
  ["/1/targets/result.json"] = result,
  ["/1/targets/trigger.json"] = trigger,
  ["/1/send/push.json"] = send("push"),
  ["/1/send/webpush.json"] = send("webpush"),
  ["/1/send/email.json"] = send("email"),
  ["/1/send/sms.json"] = send("sms"),
}

--- Answers "list" also for GET, the rest for POST only.
function M.allowed(path, method)
  if method == "POST" then return true end
  return method == "GET" and path == "/1/targets/list.json"
end

return M
