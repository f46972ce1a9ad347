--- Sandbox configuration: built-in defaults, overlaid by the JSON file ctl
-- writes (DIR/config.json), overlaid at run time by POST /_sandbox/config.
-- Runtime overrides live in a shared dict so every worker sees them; each
-- worker keeps a decoded copy and refreshes it when the version changes.
local json = require "ctsandbox.json"

local M = {}

M.defaults = {
  account_id = "SANDBOX-ACCOUNT-ID",
  passcode = "SANDBOX-PASSCODE",
  -- targets/create: documented 1 request per second; 0 disables.
  create_rate_per_sec = 1,
  -- send/*: documented "up to 1000 requests per second"; 0 (default) disables,
  -- so the sandbox can carry benchmark load beyond it.
  send_rate_per_sec = 0,
  -- targets/*: documented 429 beyond 3 concurrent requests; 0 disables.
  targets_concurrency = 3,
  -- targets/*: service time (ms), so requests sent together overlap.
  targets_latency_ms = 20,
  -- send/*: identities per request (documented 1000).
  max_identities = 1000,
  -- Seconds after creation a campaign completes on its own; 0 = only via
  -- POST /_sandbox/campaigns/<id>/complete.
  complete_after = 0,
  -- Seconds before an async estimate resolves; 0 = ready on the next call.
  async_estimate_delay = 0,
  -- Validate payloads with the project's own clevertap.validate.
  validate = true,
  -- Request log: bodies longer than this are cut (0 = no bodies, -1 = whole).
  log_body_max = -1,
  -- Bulletins: business events the "dashboard" defines, with their
  -- required properties and the number of bulletins each trigger sends.
  business_events = {
    ["Program Released"] = { properties = { "program_id" }, targets = 1 },
    order_placed = { properties = { "order_id", "product_category" }, targets = 1 },
  },
  -- SMS provider capture (see README): per provider name, how to answer.
  providers = {},
  oauth = {
    clients = { ["sandbox-client"] = "sandbox-secret" },
    token_ttl = 300,
  },
}

local function merge(base, over)
  if not json.is_object(over) or not json.is_object(base) then
    return over
  end
  local out = {}
  for k, v in pairs(base) do out[k] = v end
  for k, v in pairs(over) do
    if json.is_object(v) and json.is_object(out[k]) then
      out[k] = merge(out[k], v)
    else
      out[k] = v
    end
  end
  return out
end
M.merge = merge

local base -- defaults + file, fixed for the life of the server

function M.load_file(path)
  base = M.defaults
  if not path or path == "" then return base end
  local f = io.open(path, "r")
  if not f then return base end
  local text = f:read("*a")
  f:close()
  local doc, err = json.decode(text)
  if type(doc) ~= "table" then
    error("sandbox config " .. path .. ": " .. tostring(err or "not a JSON object"))
  end
  base = merge(M.defaults, doc)
  -- A stored hash replaces the built-in passcode, it does not add to it.
  if type(doc.passcode_hash) == "string" and doc.passcode == nil then base.passcode = nil end
  return base
end

local cached, cached_version

local function dict() return ngx.shared.ct_state end

--- The effective configuration for this request.
function M.get()
  local version = dict():get("config_version") or 0
  if cached and cached_version == version then return cached end
  local over = dict():get("config_override")
  local conf = base or M.defaults
  if over then conf = merge(conf, json.decode(over) or {}) end
  cached, cached_version = conf, version
  return conf
end

--- Overlays runtime settings (a table) on the current overrides.
function M.override(tbl)
  -- A passcode set at run time wins over the stored hash until reset.
  if tbl.passcode ~= nil then tbl.passcode_hash = false end
  local over = dict():get("config_override")
  local cur = over and json.decode(over) or {}
  dict():set("config_override", json.encode(merge(cur, tbl)))
  dict():incr("config_version", 1, 0)
end

--- Replaces (not merges) one entry of a table setting, e.g. a provider.
function M.replace(key, name, value)
  local over = dict():get("config_override")
  local cur = over and json.decode(over) or {}
  cur[key] = type(cur[key]) == "table" and cur[key] or {}
  cur[key][name] = value
  dict():set("config_override", json.encode(cur))
  dict():incr("config_version", 1, 0)
end

function M.reset()
  dict():delete("config_override")
  dict():incr("config_version", 1, 0)
end

return M
