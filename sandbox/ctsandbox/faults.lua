--- Fault injection. A fault comes from the request header X-Sandbox-Fault
-- ("kind[;key=value...]", e.g. "latency;ms=200", "429-retry-after;retry_after=3")
-- or from the run's rules (POST /_sandbox/faults). Rule decisions use counters
-- in a shared dict and a seeded hash, so a run is reproducible whichever
-- worker serves a request.
local json = require "ctsandbox.json"
local mix = require "ctsandbox.mix"

local M = {}

M.KINDS = {
  ["429"] = true, ["429-retry-after"] = true, ["500-89"] = true, ["503"] = true,
  latency = true, drop = true, truncated = true, ["non-json"] = true, trickle = true, huge = true,
  reset = true,
}

-- Faults that replace the answer: the request has no effect on the state.
M.BEFORE = { ["429"] = true, ["429-retry-after"] = true, ["500-89"] = true, ["503"] = true }

-- Other spellings accepted in rules and header options, mapped to the
-- canonical keys.
local ALIASES = { kind = "fault", type = "fault", times = "count", nth = "every",
  latency_ms = "ms", delay_ms = "ms", delay = "ms", duration_ms = "ms",
  ["retry-after"] = "retry_after", retryAfter = "retry_after", p = "probability" }

local KIND_ALIASES = { ["500"] = "500-89", truncate = "truncated", nonjson = "non-json",
  non_json = "non-json", slow = "trickle", delay = "latency", close = "drop", disconnect = "drop",
  ["429-retry"] = "429-retry-after" }

local NUMERIC = { ms = true, retry_after = true, bytes = true, status = true, extra = true }

local function dict() return ngx.shared.ct_state end

--- Parses an X-Sandbox-Fault header value; nil, message when malformed.
function M.parse_header(value)
  if type(value) == "table" then value = value[1] end
  local parts = {}
  for p in tostring(value):gmatch("[^;]+") do parts[#parts + 1] = p:match("^%s*(.-)%s*$") end
  local head = parts[1] or ""
  local fault = {}
  local kind, arg = head:match("^([%w%-]+)[=:](%d+)m?s?$")
  if kind then
    fault.kind = kind
    fault.ms = tonumber(arg)
  else
    fault.kind = head
  end
  fault.kind = KIND_ALIASES[fault.kind] or fault.kind
  if not M.KINDS[fault.kind] then return nil, "unknown fault: " .. head end
  for i = 2, #parts do
    local k, v = parts[i]:match("^([%w_%-]+)=(.*)$")
    if not k then return nil, "bad fault option: " .. parts[i] end
    k = ALIASES[k] or k
    if NUMERIC[k] then
      fault[k] = tonumber(v)
    elseif v == "true" or v == "false" then
      fault[k] = (v == "true")
    else
      fault[k] = v
    end
  end
  return fault
end

local function normalize(r)
  for alias, key in pairs(ALIASES) do
    if r[alias] ~= nil and r[key] == nil then r[key] = r[alias] end
  end
  r.fault = KIND_ALIASES[r.fault] or r.fault
  return r
end

--- Validates and stores a rule set: { seed = N, rules = { {path=, fault=, ...} } }.
function M.set(doc)
  if type(doc) ~= "table" then return nil, "expected a JSON object" end
  local rules = doc.rules or json.array()
  if type(rules) ~= "table" then return nil, "rules must be an array" end
  for i, r in ipairs(rules) do
    if type(r) ~= "table" then return nil, "rule " .. i .. " must be an object" end
    normalize(r)
    if not M.KINDS[r.fault] then return nil, "rule " .. i .. ": unknown fault " .. tostring(r.fault) end
    if r.path ~= nil and type(r.path) ~= "string" then return nil, "rule " .. i .. ": path must be a string" end
    if r.probability ~= nil and (type(r.probability) ~= "number" or r.probability < 0 or r.probability > 1) then
      return nil, "rule " .. i .. ": probability must be in [0, 1]"
    end
  end
  local gen = dict():incr("fault_gen", 1, 0)
  dict():set("fault_rules", json.encode({ seed = tonumber(doc.seed) or 0, rules = rules, gen = gen }))
  return true
end

function M.clear()
  dict():delete("fault_rules")
  dict():incr("fault_gen", 1, 0)
end

local function path_matches(pattern, path)
  if pattern == nil or pattern == "*" then return true end
  if pattern:sub(-1) == "*" then
    return path:sub(1, #pattern - 1) == pattern:sub(1, -2)
  end
  return pattern == path
end

-- Uniform number in [0, 1) from the seed, the rule and the match number.
local function draw(seed, i, n)
  return mix.uniform(seed .. ":" .. i .. ":" .. n)
end

local cached_text, cached_doc

--- The fault for this request from the rules, or nil.
function M.from_rules(method, path)
  local text = dict():get("fault_rules")
  if not text then return nil end
  if text ~= cached_text then cached_text, cached_doc = text, json.decode(text) end
  local doc = cached_doc
  for i, r in ipairs(doc.rules) do
    if path_matches(r.path, path) and (not r.method or r.method == method) then
      local prefix = "fault:" .. doc.gen .. ":" .. i
      local n = dict():incr(prefix .. ":seen", 1, 0)
      local fire = true
      if r.every and r.every > 1 and n % r.every ~= 0 then fire = false end
      if fire and r.probability and draw(doc.seed, i, n) >= r.probability then fire = false end
      if fire and r.count then
        local fired = dict():incr(prefix .. ":fired", 1, 0)
        if fired > r.count then fire = false end
      elseif fire then
        dict():incr(prefix .. ":fired", 1, 0)
      end
      if fire then
        local f = {}
        for k, v in pairs(r) do f[k] = v end
        f.kind = r.fault
        f.rule = i
        return f
      end
    end
  end
  return nil
end

--- Current rules with how often each matched and fired.
function M.status()
  local text = dict():get("fault_rules")
  if not text then return { seed = 0, rules = json.array() } end
  local doc = json.decode(text)
  for i, r in ipairs(doc.rules) do
    local prefix = "fault:" .. doc.gen .. ":" .. i
    local fired = dict():get(prefix .. ":fired") or 0
    r.seen = dict():get(prefix .. ":seen") or 0
    r.fired = r.count and math.min(fired, r.count) or fired
  end
  return doc
end

return M
