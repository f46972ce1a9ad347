--- Campaign state shared by all workers: created campaigns (status, schedule,
-- results) and pending async estimates, as JSON in the ct_campaigns dict.
local json = require "ctsandbox.json"

local M = {}

local ID_BASE = 1700000000

local function dict() return ngx.shared.ct_campaigns end

local function utc_stamp(epoch)
  return tonumber(os.date("!%Y%m%d%H%M", math.floor(epoch)))
end

-- "YYYYMMDD HH:MM" -> (YYYYMMDDHHMM, epoch seconds UTC)
local function parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi = s:match("^(%d%d%d%d)(%d%d)(%d%d) (%d%d):(%d%d)$")
  if not y then return nil end
  local stamp = tonumber(y .. mo .. d .. h .. mi)
  -- os.time reads local time; the difference to UTC is removed below.
  local t = { year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi) }
  local here = os.time(t)
  local utc_of_here = os.time(os.date("!*t", here))
  return stamp, here + (here - utc_of_here)
end

-- When a `when` value first fires: (stamp, epoch); nil for "now".
local function first_time(when)
  if type(when) == "string" then return parse_time(when) end
  if type(when) ~= "table" then return nil end
  if when.type == "now" then return nil end
  if type(when.delivery_date_time) == "table" then return parse_time(when.delivery_date_time[1]) end
  return parse_time(when.start_time)
end

function M.save(c)
  dict():set("c:" .. c.id, json.encode(c))
end

local function refresh(c, conf)
  if c.status == "scheduled" and c.start_at and ngx.now() >= c.start_at then
    c.status = "running"
  end
  local after = tonumber(conf.complete_after) or 0
  if after > 0 and c.status == "running" and ngx.now() >= math.max(c.start_at or 0, c.created_at) + after then
    c.status = "completed"
    M.save(c)
  end
  return c
end

function M.get(id, conf)
  local text = dict():get("c:" .. tostring(id))
  if not text then return nil end
  return refresh(json.decode(text), conf)
end

local function total(estimates)
  local n = 0
  for _, v in pairs(estimates or {}) do n = n + v end
  return n
end

function M.create(payload, estimates, conf)
  local id = ID_BASE + ngx.shared.ct_state:incr("campaign_seq", 1, 0)
  local stamp, epoch = first_time(payload.when)
  local now = ngx.now()
  local c = {
    id = id,
    name = payload.name,
    created_at = now,
    scheduled_on = stamp or utc_stamp(now),
    start_at = epoch,
    status = (epoch and epoch > now) and "scheduled" or "running",
    estimates = estimates,
  }
  local reach = total(estimates)
  if reach == 0 then reach = ngx.crc32_long(tostring(payload.name) .. id) % 1000 end
  c.sent = reach
  c.clicked = math.floor(reach * 3 / 10)
  M.save(c)
  return refresh(c, conf)
end

--- Marks a campaign completed, optionally with given sent/clicked numbers.
function M.complete(id, numbers, conf)
  local c = M.get(id, conf)
  if not c then return nil end
  c.status = "completed"
  if type(numbers) == "table" then
    if tonumber(numbers.sent) then c.sent = tonumber(numbers.sent) end
    if tonumber(numbers.clicked) then c.clicked = tonumber(numbers.clicked) end
  end
  M.save(c)
  return c
end

--- All campaigns, ordered by id.
function M.all(conf)
  local out = {}
  for _, key in ipairs(dict():get_keys(0)) do
    if key:sub(1, 2) == "c:" then
      local c = M.get(key:sub(3), conf)
      if c then out[#out + 1] = c end
    end
  end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

function M.new_estimate(estimates, delay)
  local req_id = ID_BASE + ngx.shared.ct_state:incr("estimate_seq", 1, 0)
  dict():set("e:" .. req_id, json.encode({ estimates = estimates, ready_at = ngx.now() + (delay or 0) }))
  return req_id
end

--- (estimates | "pending" | nil) for an async estimate request id.
function M.estimate(req_id)
  local text = dict():get("e:" .. tostring(req_id))
  if not text then return nil end
  local e = json.decode(text)
  if ngx.now() < e.ready_at then return "pending" end
  return e.estimates
end

function M.reset()
  dict():flush_all()
  dict():flush_expired()
end

return M
