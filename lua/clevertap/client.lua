--- The CleverTap client (docs/contract.md "Client"): clevertap.new{...} and its calls.
-- Everything runs on the C engine (batching, limits, retries, report);
-- blocking calls are a non-blocking start plus wait.
local core = require "clevertap.core"
local cjson = require "cjson.safe"
local errors = require "clevertap.error"
local options = require "clevertap.options"
local names = require "clevertap.names"
local ftransport = require "clevertap.transport.function"
local shared = require "clevertap.runner"

local pack = table.pack or function(...) return { n = select("#", ...), ... } end
local unpack = table.unpack or unpack -- luacheck: ignore 143

local M = {}

local Client = {}
Client.__index = Client

local Job = {}
Job.__index = Job

local CHANNELS = names.set(names.channels)

-- option name -> accepted Lua types
local OPTIONS = {
  account_id = "string", passcode = "string", region = "string", base_url = "string",
  timeout = "number", connect_timeout = "number",
  concurrency = "number", send_rate = "number|boolean",
  targets_concurrency = "number", create_rate = "number|boolean",
  retry = "table", resend_unknown = "boolean",
  ca_file = "string", verify_tls = "boolean",
  transport = "string|function|table",
  on_progress = "function",
  logger = "function",
  estimate_timeout = "number",
  max_body = "number",
  seed = "number",
  limiter = "string", fail_mode = "string", limiter_members = "number", limiter_lease = "number",
  shared_concurrency = "boolean",
  state = "string",
}
local RETRY_OPTIONS = { attempts = true, base_delay = true, max_delay = true, max_total = true, quota = true }

-- Raises at the caller of the function calling it (error level 3).
local function positive(v, name, level)
  if v ~= nil and (v ~= v or v <= 0) then error("clevertap.new: option '" .. name .. "' must be > 0", level) end
end

local function ms(seconds) return seconds and math.floor(seconds * 1000 + 0.5) or nil end

-- Inside nginx: no limiter given means shdict:clevertap_limits when
-- nginx.conf has that lua_shared_dict, else this worker's own limits, said
-- once in the error log. redis:// there is the cosocket limiter (hiredis
-- would block the worker).
local noticed = false
local function nginx_limiter(limiter)
  local ngx = rawget(_G, "ngx")
  local shdict = require "clevertap.limit.shdict"
  if limiter == nil then
    if ngx.shared and ngx.shared[shdict.DEFAULT_DICT] then return "shdict:" .. shdict.DEFAULT_DICT end
    if not noticed then
      noticed = true
      if ngx.log then
        ngx.log(ngx.NOTICE, "clevertap: the limits are this worker's own; for the account's, shared by every ",
          "worker, add `lua_shared_dict ", shdict.DEFAULT_DICT, " 1m;` to nginx.conf (docs/limits.md)")
      end
    end
    return "local"
  end
  return limiter
end

-- The limits of opts as the nginx limiters keep them (defaults as the C client's).
local function nginx_limits(opts)
  local limits = { targets_concurrency = { kind = "sem", max = opts.targets_concurrency or 3 } }
  if opts.send_rate ~= false then
    local r = opts.send_rate or 1000
    limits.send_rate = { kind = "bucket", rate = r, burst = math.max(1, r / 100), pace = 0.97 }
  end
  if opts.shared_concurrency then
    limits.send_concurrency = { kind = "sem", max = opts.concurrency or 128 }
  end
  if opts.create_rate ~= false then
    limits.create_rate = { kind = "bucket", rate = opts.create_rate or 1, burst = 1, pace = 1 / 1.1 }
  end
  return limits
end

-- A limiter whose counts live outside this process (nginx's shared
-- dictionary, Redis): inside nginx the cosocket transport asks it.
local function is_shared(limiter)
  return limiter ~= nil and (limiter:match("^shdict:") or limiter:match("^redis:")) ~= nil
end

-- The default transport's light threads inside nginx: the client's
-- concurrency, but with limits shared by the workers each worker needs only
-- its share of the account's requests in flight (200 threads in every
-- worker would contend for one bucket and bunch its grants).
local function light_threads(opts, limiter)
  if opts.concurrency then return opts.concurrency end
  local ngx = rawget(_G, "ngx")
  local workers = ngx and ngx.worker and ngx.worker.count and ngx.worker.count() or 1
  if is_shared(limiter) and workers > 1 then
    return math.ceil(core.default_concurrency / workers)
  end
  return core.default_concurrency
end

-- A shared limiter the cosocket transport asks before each request:
-- shdict:NAME or redis:// inside nginx.
local function nginx_shared_limiter(limiter, opts)
  local account = opts.account_id or os.getenv("CLEVERTAP_ACCOUNT_ID") or ""
  if limiter:match("^shdict:") then
    return require("clevertap.limit.shdict").new(limiter:sub(8), account, nginx_limits(opts),
      { lease = opts.limiter_lease })
  end
  return require("clevertap.limit.redis_ngx").new(limiter, account, nginx_limits(opts),
    { lease = opts.limiter_lease, fail_mode = opts.fail_mode, members = opts.limiter_members,
      logger = opts.logger })
end

--- clevertap.new{...} -> client | nil, err
-- Misuse in clevertap.new's options raises at its caller: error() level 3
-- in the phases below (the phase, M.new, its caller); one more from a
-- helper they call.
local NEW_LEVEL = 3

--- Phase 1: every option of the right type and range (raises); the retry options.
local function check_new_options(opts)
  if type(opts) ~= "table" then error("clevertap.new: options must be a table", NEW_LEVEL) end
  options.check(opts, OPTIONS, "clevertap.new", NEW_LEVEL)
  for _, name in ipairs { "timeout", "connect_timeout", "concurrency", "max_body", "targets_concurrency",
    "limiter_members", "limiter_lease" } do
    positive(opts[name], name, NEW_LEVEL + 1)
  end
  if type(opts.send_rate) == "number" then positive(opts.send_rate, "send_rate", NEW_LEVEL + 1) end
  if type(opts.create_rate) == "number" then positive(opts.create_rate, "create_rate", NEW_LEVEL + 1) end
  if opts.fail_mode ~= nil and opts.fail_mode ~= "closed" and opts.fail_mode ~= "local" then
    error('clevertap.new: option "fail_mode" must be "closed" or "local"', NEW_LEVEL)
  end
  if opts.send_rate == true or opts.create_rate == true then
    error("clevertap.new: rates are a number (per second) or false (no limit)", NEW_LEVEL)
  end
  local retry = opts.retry or {}
  options.check(retry, RETRY_OPTIONS, "clevertap.new retry", NEW_LEVEL)
  for k, v in pairs(retry) do
    if type(v) ~= "number" or v < 0 then error("clevertap.new: retry." .. k .. " must be a number >= 0", NEW_LEVEL) end
  end
  if retry.attempts ~= nil and retry.attempts < 1 then
    error("clevertap.new: retry.attempts must be >= 1", NEW_LEVEL)
  end
  return retry
end

--- Phase 2: the transport, and the limiter the engine keeps. Inside nginx a
-- shared limiter (shdict:, redis://) is asked by the cosocket transport, and
-- the engine's own lanes stay this worker's upper bounds. Returns true,
-- transport (nil: libcurl), limiter, or false, err.
local function transport_and_limiter(opts)
  local limiter = opts.limiter or os.getenv("CLEVERTAP_LIMITER")
  if limiter == "" then limiter = nil end
  local in_nginx = ftransport.in_nginx()
  if in_nginx then limiter = nginx_limiter(limiter) end
  local transport = opts.transport
  if transport == nil then transport = ftransport.default { concurrency = light_threads(opts, limiter) } end
  transport = shared.transport(transport, "clevertap.new", NEW_LEVEL + 1)
  if transport ~= nil then ftransport.check(transport, NEW_LEVEL + 1) end
  if not (in_nginx and is_shared(limiter)) then
    return true, transport, limiter
  end
  if limiter:find("\0", 1, true) then
    return false, errors.new { kind = "validation", message = "clevertap.new: limiter: must not contain a NUL byte" }
  end
  local lim, lerr = nginx_shared_limiter(limiter, opts)
  if not lim then return false, errors.new { kind = "validation", message = "clevertap.new: " .. lerr } end
  local ngxt = require "clevertap.transport.ngx"
  if type(transport) ~= "table" or getmetatable(transport) ~= ngxt.Transport then
    error("clevertap.new: limiter " .. (limiter:match("^shdict:") and "shdict:NAME" or "redis://")
      .. " inside nginx needs the ngx transport (leave transport unset)", NEW_LEVEL)
  end
  -- this client's view of the transport, with the limiter
  return true, setmetatable({ limiter = lim }, { __index = transport }), "local"
end

--- Phase 3: the C client's options.
local function engine_options(opts, retry, transport, limiter)
  return {
    account_id = opts.account_id, passcode = opts.passcode,
    region = opts.region, base_url = opts.base_url,
    timeout_ms = ms(opts.timeout), connect_timeout_ms = ms(opts.connect_timeout),
    send_concurrency = opts.concurrency,
    send_rate = opts.send_rate == false and -1 or opts.send_rate,
    targets_concurrency = opts.targets_concurrency,
    create_rate = opts.create_rate == false and -1 or opts.create_rate,
    retry_attempts = retry.attempts,
    retry_base_ms = retry.base_delay and math.max(1, ms(retry.base_delay)) or nil,
    retry_max_ms = retry.max_delay and math.max(1, ms(retry.max_delay)) or nil,
    retry_total_ms = retry.max_total and math.max(1, ms(retry.max_total)) or nil,
    -- 0: no quota (retry through an outage, bounded by attempts and max_total)
    retry_quota = retry.quota and (retry.quota == 0 and -1 or retry.quota) or nil,
    resend_unknown = opts.resend_unknown,
    ca_file = opts.ca_file, insecure = opts.verify_tls == false,
    max_body = opts.max_body,
    lua_transport = transport ~= nil,
    ua_extra = transport ~= nil and "(lua)" or nil,
    seed = opts.seed,
    limiter = limiter, fail_mode = opts.fail_mode,
    limiter_members = opts.limiter_members, limiter_lease_ms = ms(opts.limiter_lease),
    limiter_send_concurrency = opts.shared_concurrency,
  }
end

function M.new(opts)
  opts = opts or {}
  local retry = check_new_options(opts)
  local ok, transport, limiter = transport_and_limiter(opts)
  if not ok then return nil, transport end -- the error
  -- C strings end at the first NUL: a credential holding one would be sent cut short.
  for _, name in ipairs { "account_id", "passcode", "region", "base_url", "ca_file", "limiter" } do
    local v = opts[name]
    if type(v) == "string" and v:find("\0", 1, true) then
      return nil, errors.new { kind = "validation",
        message = "clevertap.new: " .. name .. ": must not contain a NUL byte" }
    end
  end
  local engine, msg = core.client_new(engine_options(opts, retry, transport, limiter))
  if not engine then
    return nil, errors.new { kind = "validation", message = "clevertap.new: " .. msg }
  end
  if opts.logger then engine:events(true) end
  local state
  if opts.state then
    local serr
    state, serr = require("clevertap.creates").open(opts.state)
    if not state then return nil, serr end
  end
  return setmetatable({
    state = state,  -- the state database of creates (clevertap.creates), or nil
    account = opts.account_id or os.getenv("CLEVERTAP_ACCOUNT_ID") or "",
    engine = engine,
    transport = transport,
    on_progress = opts.on_progress,
    logger = opts.logger,
    estimate_timeout = opts.estimate_timeout or 300,
    transport_extra = { verify_tls = opts.verify_tls ~= false, ca_file = opts.ca_file },
    jobs = {},       -- core job -> Job, while running
    closed = false,
  }, Client)
end

-- ---- encoding -----------------------------------------------------------

local function encode(endpoint, payload, without)
  if type(payload) ~= "table" then
    return nil, errors.validation({ { pointer = "", message = "payload must be a table", severity = "error" } },
      endpoint .. ": invalid payload")
  end
  local json, problems = core.encode(endpoint, payload, without and { without = without } or nil)
  if not json then return nil, errors.validation(problems, endpoint .. ": invalid payload") end
  return json
end

-- ---- jobs ---------------------------------------------------------------

local function decode_to(json)
  local t = json and cjson.decode(json)
  return t or {}
end

-- `box` is keep_causes's: present when identities came from iterators.
-- `pause` is called after each batch converted (the poll's time budget);
-- `client` is the job's.
local function send_results(cj, box, pause, client)
  pause = pause or function() end
  local r = cj:report()
  local lists = {}
  for _, which in ipairs { "failed", "unknown", "not_sent" } do
    local list = {}
    for i, f in ipairs(r[which]) do
      list[i] = { to = decode_to(f.to), count = f.count, error = errors.from_core(f.error) }
      pause()
    end
    lists[which] = list
  end
  local failed, unknown, not_sent = lists.failed, lists.unknown, lists.not_sent
  local report = {
    ok = #failed == 0 and #unknown == 0 and #not_sent == 0 and r.source_error == nil and not r.cancelled,
    cancelled = r.cancelled or nil,
    accepted = r.accepted,
    failed = failed,
    unknown = unknown,
    not_sent = not_sent,
    requests = r.requests,
    batches = r.batches_done,
  }
  if r.source_error then
    local err = errors.from_core(r.source_error)
    err.report = report
    -- the value an iterator raised, as it raised it
    if box and box.cause ~= nil then err.cause = box.cause end
    return nil, err
  end
  if box and r.requests == 0 and r.accepted == 0 and not r.cancelled and #failed == 0 and #unknown == 0
    and #not_sent == 0 then
    -- closed from inside an iterator before it gave anything: not an empty `to`
    if client and client.closed then
      return nil, errors.new { kind = "network", retryable = true,
        message = "the client was closed before the send read any identity" }
    end
    return nil, errors.validation { { pointer = "/to", message = "at least one identity is required",
      severity = "error" } }
  end
  return report
end

-- cjson decodes every number as a float under Lua 5.4: give integral
-- values (campaign ids, counts) back their integer subtype.
local tointeger = math.tointeger
local function integers(v)
  if tointeger and type(v) == "table" then
    for k, x in pairs(v) do
      if type(x) == "number" then
        local i = (x == x and x > -2 ^ 53 and x < 2 ^ 53) and tointeger(x) or nil
        if i then v[k] = i end
      elseif type(x) == "table" then
        integers(x)
      end
    end
  end
  return v
end

local function call_results(cj)
  local status, body, err = cj:response()
  if err then
    err = errors.from_core(err)
    if body and body ~= "" then err.body = integers(cjson.decode(body)) end
    return nil, err
  end
  local t = integers(cjson.decode(body or ""))
  if type(t) ~= "table" then
    return nil, errors.new { kind = "http", status = status, message = "response is not a JSON object" }
  end
  return t
end

-- what poll calls for running and finished jobs (defined with the driving code)
local POLL_HOOKS

local function new_job(client, cj, finish, opts)
  local job = setmetatable({
    client = client, core = cj, finish = finish,
    on_done = opts and opts.on_done, on_progress = opts and opts.on_progress or client.on_progress,
    done = false, results = nil, last_progress = nil,
  }, Job)
  client.jobs[cj] = job
  return job
end

--- True once the job finished (its results are ready).
function Job:is_done() return self.done end

--- The results (as the blocking call returns them) once done, else nil.
function Job:result()
  if not self.done then return nil end
  return unpack(self.results, 1, self.results.n)
end

--- Progress so far: { batches_done, batches_total (nil when unknown), accepted, requests, in_flight }.
function Job:progress()
  if not self.core then return { batches_done = 0, accepted = 0, requests = 0, in_flight = 0 } end -- done at once
  local p = self.core:progress()
  return { batches_done = p.batches_done, batches_total = p.batches_total, accepted = p.accepted,
    requests = p.requests, in_flight = p.in_flight or 0 }
end

--- A send starts no request any more (nor reads its source); those in
-- flight finish as usual. A clean stop: hold, wait until
-- job:progress().in_flight is 0 (or a grace ran out), then job:cancel().
function Job:hold()
  if self.done or not self.core or not self.reports then return end
  self.core:hold()
end

--- Drives the client until this job is done or `timeout` seconds passed.
-- Returns the job's results, or nil, err (kind "timeout") when time ran out.
function Job:wait(timeout)
  local client = self.client
  local ok, err = shared.wait(self, timeout, "job", function(t)
    shared.poll(client, t, client.transport_extra, POLL_HOOKS, true)
  end, client)
  if not ok then return nil, err end
  return self:result()
end

--- Stops the job. A send keeps its report: job:result() returns it with
-- report.cancelled = true, queued batches (and an array's unread part) in
-- report.not_sent, requests in flight in report.unknown. From inside the
-- send's own iterator the job ends when the iterator returns. Other calls
-- end with err.kind "network", "job cancelled".
function Job:cancel()
  if self.done or not self.core then return end
  if self.reports then
    if not self.core:cancel() then return end -- done once its iterator returns (see poll)
    self.client.jobs[self.core] = nil
    self.results = pack(self.finish(self.core))
    self.done = true
    return
  end
  self.client.jobs[self.core] = nil
  self.core:cancel()
  self.done = true
  self.results = pack(nil, errors.new { kind = "network", message = "job cancelled" })
end

-- ---- driving ------------------------------------------------------------

local function report_progress(job)
  if not job.on_progress then return end
  local p = job.core:progress()
  local key = p.batches_done .. ":" .. p.accepted
  if key == job.last_progress then return end
  job.last_progress = key
  job.on_progress { batches_done = p.batches_done, batches_total = p.batches_total, accepted = p.accepted,
    requests = p.requests }
end

POLL_HOOKS = {
  progress = function(job, note) note(job, "on_progress", pcall(report_progress, job)) end,
  -- Builds the results in a coroutine that yields once the poll's deadline
  -- passed (a large report spans several polls); true once they are ready.
  finish = function(job, cj, note, deadline)
    job.deadline = deadline
    if not job.builder then
      job.builder = coroutine.create(function()
        return pack(job.finish(cj, function()
          if core.now() > job.deadline then coroutine.yield() end
        end))
      end)
    end
    local ok, results = coroutine.resume(job.builder)
    if not ok then error(results, 0) end
    if coroutine.status(job.builder) ~= "dead" then return false end
    job.builder = nil
    job.results = results
    job.done = true
    note(job, "on_progress", pcall(report_progress, job))
    -- on_done sees the errors so far; its own are added to the same list
    shared.attach_callback_errors(job, job.results[1], job.results[2])
    if job.on_done then note(job, "on_done", pcall(job.on_done, unpack(job.results, 1, job.results.n))) end
    shared.attach_callback_errors(job, job.results[1], job.results[2])
    return true
  end,
}

--- Does a bounded amount of work: waits at most `timeout` seconds (default 0)
-- for network activity, hands finished requests to the engine, runs
-- progress and completion callbacks. Returns the number of jobs still running.
-- A callback raising an error is re-raised after every finished job was handled.
function Client:poll(timeout)
  if self.closed then error("clevertap client is closed", 2) end
  return shared.poll(self, timeout, self.transport_extra, POLL_HOOKS)
end

-- Misuse raises at `level`, counted like error()'s from the caller of
-- check_open: the public method passes the level of its own caller, so
-- client:send and client:start_send both blame the user's line.
local function check_open(self, level)
  if self.closed then error("clevertap client is closed", level + 1) end
  -- a transport may refuse to start work where it cannot run (nginx phases)
  local t = self.transport
  if type(t) == "table" and t.check then t:check() end
end

local START_OPTS = { on_done = "function", on_progress = "function" }

-- `level` as error() counts from here (default: the caller of the method
-- that called start_call).
local function start_call(self, endpoint, payload, flags, opts, raw, level)
  level = level or 3
  check_open(self, level)
  if opts ~= nil then options.check(opts, START_OPTS, "clevertap call", level) end
  local body, err
  if raw then body = raw else body, err = encode(endpoint, payload) end
  if not body then return nil, err end
  local cj = self.engine:call(endpoint, body, flags)
  return new_job(self, cj, call_results, opts)
end

local SEND_OPTS = { on_done = "function", on_progress = "function", journal = "string",
  journal_keep_ids = "boolean" }
local RESUME_OPTS = { on_done = "function", on_progress = "function", to = "table",
  resend_unknown = "boolean" }

-- A journal the core refused (path, lock, a different list): nil, err.
local function journal_error(msg, path)
  return nil, errors.new { kind = "validation", message = msg, journal = path }
end

-- Identity iterators run inside the engine, which keeps only a line of
-- text when one raises. The engine runs them with a message handler
-- (on_iterator_error) that keeps the raised value itself in a box, so the
-- error can carry it as err.cause, and gives the engine its text. Returns
-- the `to` to hand to the engine (a copy when it holds an iterator: a
-- payload reused for the next send may get other iterators meanwhile) and
-- the box (its handler in box.handler), nil when there is no iterator.
local function keep_causes(to)
  if type(to) ~= "table" then return to, nil end
  for _, f in pairs(to) do
    if type(f) == "function" then
      local box, copy = {}, {}
      for k, v in pairs(to) do copy[k] = v end
      -- a raise in here would run the handler again, on its own error
      box.handler = function(v)
        -- error(msg, 2) blames the iterator's caller: the library's loop,
        -- whose position means nothing to the iterator's author
        if type(v) == "string" then v = v:gsub("^clevertap identity iterator:%d+: ", "", 1) end
        box.cause = v
        local ok, text = pcall(errors.cause_text, v)
        if ok then return text end
        return type(text) == "string" and text or ("a " .. type(v) .. " value, kept in err.cause")
      end
      return copy, box
    end
  end
  return to, nil
end

-- The work of start_send; `level` is where misuse is blamed, as error()
-- counts from here (3: the caller of the public method that called this).
-- With a transport whose requests run as light threads (nginx), checking a
-- large `to` in one go would hold the event loop (about 25 ms per million
-- identities under LuaJIT). Its arrays are checked here in slices, with
-- the transport's yield() between them. True when every array is a
-- usable sequence: the engine then does not read them again; false when
-- something is off or changed meanwhile: the engine's whole check then
-- lists the problems, exactly as without slices.
local CHECK_SLICE = 50000
local function check_in_slices(transport, to)
  if type(to) ~= "table" then return false end
  local any = false
  for _, name in ipairs(core.identity_types) do
    local arr = rawget(to, name)
    if type(arr) == "table" then
      local key, seen, length = nil, 0, nil
      repeat
        local ok, next_key, entries, usable, n = pcall(core.check_identities_slice, arr, key, CHECK_SLICE)
        if not ok or not usable or (length and n ~= length) then return false end
        length, seen, key = length or n, seen + entries, next_key
        if key ~= nil then transport:yield() end
      until key == nil
      if seen ~= length then return false end
      any = true
    end
  end
  return any
end

local function start_send(self, channel, payload, opts, level)
  check_open(self, level)
  if not CHANNELS[channel] then
    error(options.unknown(channel, CHANNELS, "send", "channel"), level)
  end
  if type(payload) ~= "table" then
    -- like clevertap.validate: a missing payload is a mistake in the code
    error("bad argument #2 to 'send' (payload must be a table, got "
      .. (payload == nil and "nil" or type(payload)) .. ")", level)
  end
  if opts ~= nil then options.check(opts, SEND_OPTS, "send", level) end
  local endpoint = "send/" .. channel
  local rest, err = encode(endpoint, payload, "to")
  if not rest then
    -- report the identities' problems too: every problem at once
    if err.errors then
      local list = err.errors
      for _, p in ipairs(core.check_identities(payload.to)) do list[#list + 1] = p end
      err = errors.validation(list, endpoint .. ": invalid payload")
    end
    return nil, err
  end
  local to, box = keep_causes(payload.to)
  local journal = opts and opts.journal
  local t = self.transport
  local checked = type(t) == "table" and t.yield ~= nil and check_in_slices(t, to)
  local cj, problems = self.engine:send(endpoint, rest, to,
    { journal = journal, keep_ids = journal and opts.journal_keep_ids, arrays_checked = checked,
      on_iterator_error = box and box.handler })
  if not cj and type(problems) == "string" then return journal_error(problems, journal) end
  if not cj then return nil, errors.validation(problems, endpoint .. ": invalid payload") end
  local job = new_job(self, cj, function(c, pause) return send_results(c, box, pause, self) end, opts)
  job.reports = true -- its report carries callback_errors
  return job
end

--- client:start_send(channel, payload [, opts]) -> job | nil, err
function Client:start_send(channel, payload, opts)
  local job, err = start_send(self, channel, payload, opts, 3)
  return job, err
end

--- report, err = client:send(channel, payload [, opts])
function Client:send(channel, payload, opts)
  local job, err = start_send(self, channel, payload, opts, 3)
  if not job then return nil, err end
  return job:wait()
end

local function start_resume(self, path, opts, level)
  check_open(self, level)
  if type(path) ~= "string" then
    error("bad argument #1 to 'resume' (journal path must be a string, got " .. type(path) .. ")", level)
  end
  if opts ~= nil then options.check(opts, RESUME_OPTS, "resume", level) end
  local to, box
  if opts and opts.to ~= nil then to, box = keep_causes(opts.to) end
  local cj, problems = self.engine:resume(path, to,
    { resend_unknown = opts and opts.resend_unknown, on_iterator_error = box and box.handler })
  if not cj and type(problems) == "string" then return journal_error(problems, path) end
  if not cj then return nil, errors.validation(problems, "resume: invalid opts.to") end
  local job = new_job(self, cj, function(c, pause) return send_results(c, box, pause, self) end, opts)
  job.reports = true
  return job
end

--- client:start_resume(path [, opts]) -> job | nil, err: the non-blocking resume.
function Client:start_resume(path, opts)
  local job, err = start_resume(self, path, opts, 3)
  return job, err
end

--- report, err = client:resume(path [, opts]): finishes a journaled send
-- (docs/journal.md); opts.to is payload.to again for Lua sources.
function Client:resume(path, opts)
  local job, err = start_resume(self, path, opts, 3)
  if not job then return nil, err end
  return job:wait()
end

-- A campaign id given as a decimal string ("1711432612"): sent as the
-- digits themselves, so ids past 2^53 stay exact on Lua 5.1 and LuaJIT,
-- whose numbers are doubles. Anything else goes through validation.
local function id_body(id)
  if type(id) == "string" and #id <= 19 and id:match("^[1-9]%d*$") then
    return '{"id":' .. id .. "}"
  end
  return nil
end

local CALLS = {
  create_campaign = function(payload) return "targets/create", payload, nil end,
  trigger = function(payload) return "targets/trigger", payload, nil end,
  list = function(range) return "targets/list", range, { idempotent = true } end,
  stop = function(id) return "targets/stop", { id = id }, { idempotent = true }, id_body(id) end,
  result = function(id)
    return "targets/result", { id = id }, { idempotent = true, result_call = true }, id_body(id)
  end,
}

local CREATE_START_OPTS = { on_done = "function", on_progress = "function", force = "boolean" }

-- A job already done: a campaign the state database records as created.
-- Its on_done runs before start returns.
local function done_job(client, opts, ...)
  local job = setmetatable({ client = client, finish = nil, done = true, results = pack(...),
    on_done = opts and opts.on_done }, Job)
  if job.on_done then job.on_done(...) end
  return job
end

-- client:start("create_campaign") on a client with a state database: the
-- same record as the blocking create_campaign, settled when the job ends.
-- A job cancelled in flight leaves its create recorded as sending: its
-- outcome is unknown, and the next create of it is refused until force.
local function start_create_once(self, payload, opts, level)
  check_open(self, level)
  if opts ~= nil then options.check(opts, CREATE_START_OPTS, "clevertap call", level) end
  local body, err = encode("targets/create", payload)
  if not body then return nil, err end -- the validation error, no request
  local creates = require "clevertap.creates"
  local verdict, v = creates.begin(self.state, self.account, body, payload, opts)
  if verdict == "answered" then return done_job(self, opts, v) end
  if not verdict then return nil, v end
  local job
  job, err = start_call(self, "targets/create", payload, nil,
    opts and { on_done = opts.on_done, on_progress = opts.on_progress }, body, level + 1)
  if not job then
    creates.settle(self.state, self.account, v, nil, err)
    return nil, err
  end
  local results = job.finish
  job.finish = function(cj, yield)
    local res, rerr = results(cj, yield)
    creates.settle(self.state, self.account, v, res, rerr)
    return res, rerr
  end
  return job
end

local function start(self, name, arg, opts, level)
  if name == "estimate" then
    local job, err = self:start_estimate(arg, opts)
    return job, err
  end
  local f = CALLS[name]
  if not f then
    local known = { estimate = true }
    for k in pairs(CALLS) do known[k] = true end
    error(options.unknown(name, known, "start", "call"), level)
  end
  if name == "create_campaign" then
    if self.state and not self.closed and type(arg) == "table" and arg.estimate_only ~= true then
      return start_create_once(self, arg, opts, level + 1)
    end
    if opts ~= nil then
      options.check(opts, CREATE_START_OPTS, "clevertap call", level)
      opts = { on_done = opts.on_done, on_progress = opts.on_progress } -- force: only with a state database
    end
  end
  local endpoint, payload, flags, raw = f(arg)
  local job, err = start_call(self, endpoint, payload, flags, opts, raw, level + 1)
  return job, err
end

--- client:start(call, arg [, opts]) -> job: the non-blocking form of
-- create_campaign, trigger, list, stop, result ("estimate" included).
function Client:start(name, arg, opts)
  local job, err = start(self, name, arg, opts, 3)
  return job, err
end

for name in pairs(CALLS) do
  Client[name] = function(self, arg)
    local job, err = start(self, name, arg, nil, 3)
    if not job then return nil, err end
    return job:wait()
  end
end

local CREATE_OPTS = { force = "boolean" }

--- client:create_campaign(payload [, opts]): with clevertap.new{ state = },
-- a campaign recorded as created is answered from the record (already =
-- true) and one whose outcome is unknown refused, unless opts.force.
function Client:create_campaign(payload, opts)
  if opts ~= nil then options.check(opts, CREATE_OPTS, "create_campaign") end
  local job, err = start(self, "create_campaign", payload, opts, 3)
  if not job then return nil, err end
  return job:wait()
end

local function estimate_payload(payload)
  if type(payload) ~= "table" then return payload end
  local p = {}
  for k, v in pairs(payload) do p[k] = v end
  p.estimate_only = true
  return p
end

--- Non-blocking estimate. With async_estimate the job resolves once the
-- request id's estimate is ready (polled on targets/create within its rate).
function Client:start_estimate(payload, opts)
  if opts ~= nil then options.check(opts, START_OPTS, "estimate") end
  local p = estimate_payload(payload)
  local first, err = start_call(self, "targets/create", p, { idempotent = true })
  if not first then return nil, err end
  if type(payload) ~= "table" or payload.async_estimate ~= true then
    first.on_done, first.on_progress = opts and opts.on_done, opts and opts.on_progress
    return first
  end
  -- async: a proxy job that follows the request id
  local proxy = setmetatable({ client = self, done = false, on_done = opts and opts.on_done }, Job)
  local deadline = core.now() + self.estimate_timeout
  local function finish(...)
    proxy.results = pack(...)
    proxy.done = true
    if proxy.on_done then proxy.on_done(...) end
  end
  local function follow(res, e)
    if not res then return finish(nil, e) end
    local id = res.req_id or res.request_id
    if res.status ~= "pending" and (res.estimates or not id) then return finish(res) end
    if core.now() > deadline then
      return finish(nil, errors.new { kind = "timeout", retryable = true,
        message = "async estimate " .. tostring(id) .. " not ready within " .. self.estimate_timeout .. " s" })
    end
    local body = cjson.encode { req_id = id }
    local next_job = start_call(self, "targets/create", nil, { idempotent = true }, nil, body)
    next_job.on_done = follow
  end
  first.on_done = follow
  return proxy
end

--- result, err = client:estimate(payload)
function Client:estimate(payload)
  local job, err = self:start_estimate(payload)
  if not job then return nil, err end
  return job:wait()
end

--- Low-level information: user_agent, base_url.
function Client:info() return self.engine:info() end

--- Highest number of requests seen in flight at once on an endpoint's lane.
function Client:peak(endpoint) return self.engine:peak(endpoint) end

--- The pump (docs/transports.md) for custom drivers.
-- A request source or classify function may close the client during
-- either: its jobs then end with their reports, as in poll.
function Client:next_request()
  local req, wait = self.engine:next_request()
  if self.closed then shared.settle_closed(self, POLL_HOOKS) end
  return req, wait
end
function Client:complete(id, res, terr)
  self.engine:complete(id, res, terr)
  if self.closed then shared.settle_closed(self, POLL_HOOKS) end
end
function Client:pending() return self.engine:pending() end

--- Idempotent; also run by __close. Running jobs end with their reports
-- (see docs/client.md); from inside a callback, when the current step ends.
function Client:close()
  shared.close(self, POLL_HOOKS)
  if self.state then self.state:close(); self.state = nil end
end

Client.__close = Client.close
-- collected: nothing can wait for its jobs, and no callback runs in __gc
Client.__gc = function(self) shared.close(self) end

return M
