--- What every command shares: output (human lines or one JSON document),
-- credentials, the client, and --dry-run. All text leaves through emit(),
-- which removes the passcode should anything (a server echo, an error)
-- ever carry it.
local json = require "clevertap.cli.json"
local exit = require "clevertap.cli.exit"

local Context = {}
Context.__index = Context

local REDACTED = "<redacted>"

-- error.kind in --json output for failures that are not client errors.
local KIND_OF_CODE = { [exit.USAGE] = "usage", [exit.INVALID] = "invalid", [exit.FAILURE] = "failure",
                       [exit.DECLINED] = "declined" }

local function plain_replace(s, what, with)
  if what == nil or #what < 4 then return s end  -- too short to tell from text
  local out, i = {}, 1
  while true do
    local a, b = s:find(what, i, true)
    if not a then break end
    out[#out + 1] = s:sub(i, a - 1)
    out[#out + 1] = with
    i = b + 1
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

--- opts: parsed options (see cli.lua); env: function(name) -> value.
function Context.new(options, env)
  env = env or os.getenv
  local function pick(flag, var)
    local v = options[flag]
    if v == nil or v == "" then v = env(var) end
    if v == "" then v = nil end
    return v
  end
  local self = setmetatable({
    options = options,
    json = options.json == true,
    dry_run = options["dry-run"] == true,
    verbose = options.verbose == true,
    quiet = options.quiet == true,
    -- Known this early so that anything printed has it redacted; a
    -- profile's passcode joins it when the client is made (settings()).
    passcode = pick("passcode", "CLEVERTAP_PASSCODE"),
    env = env,
    requests = json.array(),   -- dry-run: what would have been sent
    stdout = io.stdout,
    stderr = io.stderr,
  }, Context)
  return self
end

function Context:redact(s)
  return plain_replace(tostring(s), self.passcode, REDACTED)
end

--- Human output (stdout); silent in --json mode.
function Context:say(fmt, ...)
  if self.json then return end
  local s = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  self.stdout:write(self:redact(s), "\n")
end

--- Diagnostics (stderr), in both modes.
function Context:note(fmt, ...)
  local s = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  self.stderr:write(self:redact(s), "\n")
end

--- A notice (stderr) that -q silences: counts, skipped lines, hints.
function Context:notice(fmt, ...)
  if self.quiet then return end
  self:note(fmt, ...)
end

--- The client's logger for -v: every retry, give-up and unknown outcome on
-- stderr (the client keeps the passcode out; redact() is the second guard).
-- `also` sees every message (the progress display counts retries).
function Context:logger(also)
  if not (self.verbose or also) then return nil end
  return function(level, message)
    if also then also(message) end
    if self.verbose then self:note("clevertap: %s: %s", tostring(level), tostring(message)) end
  end
end

--- The one JSON document of --json mode.
function Context:print_json(doc)
  self.stdout:write(self:redact(json.encode(doc)), "\n")
end

--- A client error as a JSON-friendly table.
function Context.error_table(err)
  if type(err) ~= "table" then return { kind = "error", message = tostring(err) } end
  local t = {
    kind = err.kind, message = err.message, status = err.status,
    code = err.code, retryable = err.retryable,
  }
  if type(err.errors) == "table" then
    t.errors = json.array()
    for i, p in ipairs(err.errors) do
      t.errors[i] = { pointer = p.pointer, message = p.message, severity = p.severity }
    end
  end
  return t
end

--- Report a failure and return its exit code; `result` (the command's JSON
-- document so far) gets the error.
function Context:fail(code, message, err, result)
  if result then
    result.error = err and Context.error_table(err) or { kind = KIND_OF_CODE[code] or "error", message = message }
    if err and message then result.error.context = message end
  end
  if not self.json then
    local line = message
    if err ~= nil then
      line = (message and (message .. ": ") or "") .. tostring(err)
    end
    self:note("clevertap: %s", line)
  end
  return code
end

-- Dry-run: a Lua function transport (docs/transports.md) that records and
-- prints each request instead of sending it, and answers like a server that
-- accepted it, so the client's own batching and encoding produce the output.
local dry_answers = {
  ["targets/create"] = '{"status":"success","id":0,"estimates":{}}',
  ["targets/list"] = '{"status":"success","targets":[]}',
  ["targets/stop"] = '{"status":"success"}',
  ["targets/result"] = '{"status":"success","result":{}}',
  ["targets/trigger"] = '{"status":"success","targets":0}',
}

function Context:dry_transport()
  return function(req)
    local headers, names = {}, {}
    for k in pairs(req.headers or {}) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do
      local v = req.headers[k]
      if k:lower() == "x-clevertap-passcode" then v = REDACTED end
      headers[k] = v
    end
    local entry = { method = req.method, url = req.url, headers = headers, body = req.body }
    self.requests[#self.requests + 1] = entry
    if not self.json then
      local lines = { string.format("%s %s", req.method, req.url) }
      for _, k in ipairs(names) do lines[#lines + 1] = k .. ": " .. headers[k] end
      lines[#lines + 1] = ""
      lines[#lines + 1] = req.body or ""
      lines[#lines + 1] = ""
      self.stdout:write(self:redact(table.concat(lines, "\n")), "\n")
    end
    local ep = (req.url or ""):match("/(%a+/%a+)%.json") or ""
    local body = dry_answers[ep] or '{"status":"success","message":"dry run: not sent"}'
    return { status = 200, headers = {}, body = body }
  end
end

-- Credentials and settings from a profile (cli/profile.lua). Precedence:
-- a flag; then a profile named by --profile or $CLEVERTAP_PROFILE (asking
-- for an account means that account, not whatever the environment holds);
-- then the CLEVERTAP_* variables; then the config's default profile.
-- Returns the client options it decided, or nil, message.
function Context:settings()
  local profile = require "clevertap.cli.profile"
  local o, env = self.options, self.env
  local name = o.profile
  if name == nil or name == "" then name = env("CLEVERTAP_PROFILE") end
  if name == "" then name = nil end
  local path = profile.path(env)
  local config, cerr = profile.load(path)
  if config == nil then return nil, cerr end
  local p, pname, perr = profile.pick(config, name, path)
  if perr then return nil, perr end
  local explicit = p and name ~= nil
  local flags = { ["account-id"] = "account_id", region = "region", ["base-url"] = "base_url", limiter = "limiter" }
  local vars = { account_id = "CLEVERTAP_ACCOUNT_ID", region = "CLEVERTAP_REGION", base_url = "CLEVERTAP_BASE_URL",
    limiter = "CLEVERTAP_LIMITER" }
  local out = {}
  local function nonempty(v) if v ~= nil and v ~= "" then return v end end
  for flag, key in pairs(flags) do
    out[key] = nonempty(o[flag]) or (explicit and p[key]) or nonempty(env(vars[key])) or (p and p[key]) or nil
  end
  -- The passcode: a profile's command runs only when it is the source, and
  -- not at all for a dry run (nothing is sent).
  local passcode = nonempty(o.passcode)
  local function from_profile()
    if self.dry_run then return nil end
    local v, err = profile.passcode(p, pname, env)
    if err then return nil, err end
    return v
  end
  if not passcode and explicit then
    local err
    passcode, err = from_profile()
    if err then return nil, err end
  end
  passcode = passcode or nonempty(env("CLEVERTAP_PASSCODE"))
  if not passcode and p and not explicit then
    local err
    passcode, err = from_profile()
    if err then return nil, err end
  end
  out.passcode = passcode
  if p then
    out.profile = pname
    out.timeout, out.attempts = p.timeout, p.attempts
    for k in pairs(profile.LIMITS) do out[k] = p.limits and p.limits[k] end
  end
  return out
end

--- A client for this run (real, or a dry-run one), or nil, exit code.
-- extra: client options the command adds (progress callback, ...).
function Context:client(extra, result)
  local clevertap = require "clevertap"
  local s, serr = self:settings()
  if not s then return nil, self:fail(exit.USAGE, serr, nil, result) end
  -- Everything printed from here on has this passcode redacted too.
  if s.passcode then self.passcode = s.passcode end
  local opts = {
    account_id = s.account_id, passcode = s.passcode,
    region = s.region, base_url = s.base_url, limiter = s.limiter,
    timeout = s.timeout, retry = s.attempts and { attempts = s.attempts } or nil,
  }
  for k in pairs(require("clevertap.cli.profile").LIMITS) do
    if s[k] ~= nil then opts[k] = s[k] end
  end
  if s.retry then opts.retry = s.retry end
  local o = self.options
  if o.timeout then
    local t = tonumber(o.timeout)
    if not t or t <= 0 then
      return nil, self:fail(exit.USAGE, "--timeout expects seconds (a number > 0), got '" .. o.timeout .. "'",
        nil, result)
    end
    opts.timeout = t
  end
  if o.attempts then
    if not o.attempts:match("^%d+$") or tonumber(o.attempts) < 1 then
      return nil, self:fail(exit.USAGE, "--attempts expects a whole number >= 1, got '" .. o.attempts .. "'", nil,
        result)
    end
    opts.retry = { attempts = tonumber(o.attempts) }
  end
  opts.logger = self:logger()
  for k, v in pairs(extra or {}) do opts[k] = v end
  if self.dry_run then
    -- Nothing is sent, so the API's pacing of creates does not apply.
    opts.create_rate = false
    -- ... nor the account's shared limits: no store is contacted.
    opts.limiter = "local"
    -- Nothing is sent: placeholders stand in for missing credentials so a
    -- campaign can be checked on a machine without secrets.
    opts.account_id = opts.account_id or "ACCOUNT_ID"
    opts.passcode = opts.passcode or "PASSCODE"
    opts.transport = self:dry_transport()
  else
    if not opts.account_id then
      return nil, self:fail(exit.USAGE,
        "no account id: set CLEVERTAP_ACCOUNT_ID, pass --account-id or use a profile (--profile)", nil, result)
    end
    if not opts.passcode then
      return nil, self:fail(exit.USAGE,
        "no passcode: set CLEVERTAP_PASSCODE (or pass --passcode, or use a profile)", nil, result)
    end
  end
  self.target_base_url = opts.base_url  -- nil: the region's API (for the question before a big send)
  local client, err = clevertap.new(opts)
  if not client then
    return nil, self:fail(exit.USAGE, "cannot set up the client", err, result)
  end
  return client
end

--- In --dry-run, the summary line that replaces a command's normal output.
function Context:dry_summary(result)
  if result then result.dry_run = true; result.requests = self.requests end
  self:say("dry run: %d request%s printed, nothing sent", #self.requests, #self.requests == 1 and "" or "s")
end

return Context
