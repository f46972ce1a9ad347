--- Generic request runner (docs/transports.md): runs prepared HTTP requests
-- through the client engine (in-flight cap, rate, retries with backoff and
-- jitter, unknown-outcome rules) and reports what happened to every item.
-- Providers often answer 200 for failures, so a `classify` function decides.
local core = require "clevertap.core"
local errors = require "clevertap.error"
local options = require "clevertap.options"
local ftransport = require "clevertap.transport.function"
local shared = require "clevertap.runner"

local M = {}

local Runner = {}
Runner.__index = Runner

local OPTIONS = {
  concurrency = "number", rate = "number", timeout = "number", connect_timeout = "number",
  verify_tls = "boolean", ca_file = "string", retry = "table", resend_unknown = "boolean",
  transport = "string|function|table", seed = "number", logger = "function",
}
local RETRY_OPTIONS = { attempts = true, base_delay = true, max_delay = true, max_total = true }
local RUN_OPTIONS = { classify = "function", on_progress = "function", on_done = "function", idempotent = "boolean" }

-- Raises at the caller of the function calling it (error level 3).
local function check_options(opts, known, where)
  options.check(opts, known, where, 3)
end

local function ms(s) return s and math.max(1, math.floor(s * 1000 + 0.5)) or nil end

--- http.new{...} -> runner
function M.new(opts)
  opts = opts or {}
  check_options(opts, OPTIONS, "clevertap.http.new")
  local retry = opts.retry or {}
  check_options(retry, RETRY_OPTIONS, "clevertap.http.new retry")
  if opts.concurrency ~= nil and opts.concurrency < 1 then
    error("clevertap.http.new: concurrency must be >= 1", 2)
  end
  if opts.rate ~= nil and opts.rate <= 0 then error("clevertap.http.new: rate must be > 0", 2) end
  local transport = opts.transport
  if transport == nil then transport = ftransport.default { concurrency = opts.concurrency or 8 } end
  transport = shared.transport(transport, "clevertap.http.new")
  if transport ~= nil then ftransport.check(transport) end
  local engine = assert(core.client_new {
    generic = true,
    lua_transport = transport ~= nil,
    ua_extra = transport ~= nil and "(lua)" or nil,
    timeout_ms = ms(opts.timeout), connect_timeout_ms = ms(opts.connect_timeout),
    retry_attempts = retry.attempts, retry_base_ms = ms(retry.base_delay),
    retry_max_ms = ms(retry.max_delay), retry_total_ms = ms(retry.max_total),
    resend_unknown = opts.resend_unknown, ca_file = opts.ca_file, insecure = opts.verify_tls == false,
    seed = opts.seed,
  })
  -- the engine keeps its log (retries, give-ups, unknown outcomes,
  -- refusals) only when someone reads it
  if opts.logger then engine:events(true) end
  return setmetatable({
    engine = engine, transport = transport, logger = opts.logger,
    concurrency = opts.concurrency or 8, rate = opts.rate,
    extra = { verify_tls = opts.verify_tls ~= false, ca_file = opts.ca_file },
    jobs = {},
  }, Runner)
end

--- The default classification: 2xx ok; 429 and 503 retried (Retry-After
-- honoured by the engine when `after` is not given); anything else fails.
function M.default_classify(res)
  local s = res.status
  if s >= 200 and s < 300 then return "ok" end
  if s == 429 then
    return "retry", { kind = "rate_limited", message = "HTTP 429", after = tonumber(res.headers["retry-after"]) }
  end
  if s == 503 then
    return "retry", { kind = "http", message = "HTTP 503", after = tonumber(res.headers["retry-after"]) }
  end
  return "fail", { kind = "http", message = "HTTP " .. s }
end

-- RFC 9110 token: header names and methods
local TOKEN = "^[%w!#$%%&'*+.^_`|~-]+$"

local function check_request(req, where)
  if type(req) ~= "table" then return where .. ": must be a table" end
  if req.method ~= nil and type(req.method) ~= "string" then return where .. "/method: must be a string" end
  -- a method is written into the request line as it is: anything but an
  -- RFC 9110 token (spaces, CR/LF) could smuggle a second request
  if req.method ~= nil and not req.method:match(TOKEN) then
    return where .. "/method: must be an HTTP method token (letters, digits and !#$%&'*+-.^_`|~), got "
      .. string.format("%q", req.method:sub(1, 40))
  end
  if type(req.url) ~= "string" or not req.url:match("^https?://") then
    return where .. "/url: must be an http:// or https:// URL"
  end
  if req.url:find("[%c ]") then return where .. "/url: must not contain spaces or control characters" end
  if req.headers ~= nil and type(req.headers) ~= "table" then return where .. "/headers: must be a table" end
  for k, v in pairs(req.headers or {}) do
    if type(k) ~= "string" or not k:match(TOKEN) then
      return where .. "/headers: invalid header name " .. tostring(k)
    end
    if type(v) ~= "string" then return where .. "/headers/" .. k .. ": must be a string" end
    local why = core.header_problem(v)
    if why then return where .. "/headers/" .. k .. ": " .. why end
  end
  if req.body ~= nil and type(req.body) ~= "string" then return where .. "/body: must be a string" end
  return nil
end

local function header_lines(headers)
  local lines = {}
  for k, v in pairs(headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  table.sort(lines)
  return lines
end

local function items_of(req) return req.items or { req } end

local function normalize_info(verdict, info, res)
  if type(info) == "string" then info = { message = info } end
  if type(info) ~= "table" then info = {} end
  if info.kind == nil and verdict ~= "ok" then
    info.kind = (res.status == 429) and "rate_limited" or "http"
  end
  if info.status == nil then info.status = res.status end
  return info
end

-- The requests as a pull function and their count (-1 for an iterator), or
-- nil, err when an array holds a bad request (nothing is sent). Misuse
-- raises at the caller of runner:start.
local function request_source(requests)
  if type(requests) == "function" then return requests, -1 end
  if type(requests) ~= "table" then
    error("clevertap.http run: requests must be an array or an iterator function", 3)
  end
  for i, req in ipairs(requests) do
    local why = check_request(req, "/" .. (i - 1))
    if why then
      return nil, errors.validation { { pointer = why:match("^[^:]+"), message = why:match(": (.*)$"),
        severity = "error" } }
    end
  end
  local i = 0
  return function()
    i = i + 1
    return requests[i]
  end, #requests
end

-- The engine's two callbacks over one run's state `st` (the requests read,
-- their items, and what user code raised, kept as the error's cause: the
-- engine keeps only text).
local function engine_callbacks(pull, classify, st)
  local function next_request()
    local ok, req = pcall(pull)
    if not ok then
      st.source_cause = req
      error(errors.cause_text(req), 0)
    end
    if req == nil then return nil end
    st.n = st.n + 1
    local why = check_request(req, "/" .. (st.n - 1))
    if why then error(why, 0) end
    st.reqs[st.n] = req
    st.items_total = st.items_total + #items_of(req)
    return st.n, req.method or "POST", req.url, header_lines(req.headers), req.body or ""
  end
  local function classify_c(res, tag, attempt)
    local req = st.reqs[tag]
    req.attempt = attempt
    local ok, verdict, info = pcall(classify, res, req)
    if not ok then
      st.causes[tag] = verdict
      error(errors.cause_text(verdict), 0)
    end
    if verdict ~= "ok" and verdict ~= "fail" and verdict ~= "retry" and verdict ~= "unknown" then
      return "fail", { kind = "api", message = "classify returned " .. tostring(verdict) }
    end
    info = normalize_info(verdict, info, res)
    if verdict == "retry" and type(info.headers) == "table" then
      req.headers = req.headers or {}
      for k, v in pairs(info.headers) do req.headers[k] = v end
    end
    return verdict, info
  end
  return next_request, classify_c
end

-- The run's report from the engine's (cj) and the run's state: every item
-- accepted, failed, unknown or not sent; nil, err when the source failed.
local function run_report(cj, requests, st)
  local r = cj:report()
  local report = { failed = {}, unknown = {}, not_sent = {}, requests = r.requests }
  local lost = 0
  for _, which in ipairs { "failed", "unknown", "not_sent" } do
    for i, f in ipairs(r[which]) do
      local req = st.reqs[f.tag]
      local its = req and items_of(req) or {}
      lost = lost + #its
      local e = errors.from_core(f.error)
      if e and st.causes[f.tag] ~= nil then e.cause = st.causes[f.tag] end
      report[which][i] = { items = its, request = f.tag, error = e }
    end
  end
  report.accepted = st.items_total - lost
  -- an array's requests the engine never asked for (closed before)
  if type(requests) == "table" then
    for k = st.n + 1, #requests do
      report.not_sent[#report.not_sent + 1] = { items = items_of(requests[k]), request = k,
        error = errors.new { kind = "network", message = "closed before the request was sent", retryable = true } }
    end
  end
  report.ok = lost == 0 and #report.not_sent == 0 and r.source_error == nil
  if r.source_error then
    local err = errors.from_core(r.source_error)
    err.report = report
    if st.source_cause ~= nil then err.cause = st.source_cause end
    return nil, err
  end
  return report
end

-- Runner:start's work; misuse raises at `level` (2: start's caller), so
-- runner:run's misuse names the line that called run.
local function start(self, requests, opts, level)
  opts = opts or {}
  local t = self.transport
  if type(t) == "table" and t.check then t:check() end
  options.check(opts, RUN_OPTIONS, "clevertap.http run", level)
  local pull, total = request_source(requests)
  if not pull then return nil, total end -- total: the validation error
  local st = { reqs = {}, causes = {}, n = 0, items_total = 0, source_cause = nil }
  local next_request, classify_c = engine_callbacks(pull, opts.classify or M.default_classify, st)
  local cj = self.engine:generic(next_request, classify_c, {
    concurrency = self.concurrency, rate = self.rate, idempotent = opts.idempotent, total = total,
  })
  local job = setmetatable({ runner = self, core = cj, done = false, on_done = opts.on_done,
    on_progress = opts.on_progress, reports = true }, { __index = M.Job })
  job.finish = function() return run_report(cj, requests, st) end
  self.jobs[cj] = job
  return job
end

--- runner:start(requests, opts) -> job (see Runner:run)
function Runner:start(requests, opts)
  local job, err = start(self, requests, opts, 3) -- not a tail call: the level counts this frame
  return job, err
end

M.Job = {}

function M.Job:progress()
  local p = self.core:progress()
  return { done = p.batches_done, total = p.batches_total, accepted = p.accepted, requests = p.requests }
end

local POLL_HOOKS = {
  progress = function(job, note)
    if job.on_progress then note(job, "on_progress", pcall(job.on_progress, job:progress())) end
  end,
  finish = function(job, _, note)
    job.result, job.err = job.finish()
    job.done = true
    shared.attach_callback_errors(job, job.result, job.err)
    if job.on_done then note(job, "on_done", pcall(job.on_done, job.result, job.err)) end
    shared.attach_callback_errors(job, job.result, job.err)
    return true
  end,
}

function M.Job:wait(timeout)
  local runner = self.runner
  local ok, err = shared.wait(self, timeout, "requests", function(t)
    shared.poll(runner, t, runner.extra, POLL_HOOKS, true)
  end, runner)
  if not ok then return nil, err end
  return self.result, self.err
end

--- Bounded work step (as client:poll); returns the number of running jobs.
function Runner:poll(timeout)
  return shared.poll(self, timeout, self.extra, POLL_HOOKS)
end

--- report, err = runner:run(requests [, { classify =, on_progress = }])
function Runner:run(requests, opts)
  local job, err = start(self, requests, opts, 3)
  if not job then return nil, err end
  return job:wait()
end

function Runner:close() shared.close(self, POLL_HOOKS) end

Runner.__gc = function(self) shared.close(self) end
Runner.__close = Runner.close

return M
