--- What the client (clevertap.new) and the generic request runner
-- (clevertap.http.new) share: resolving the transport option, the bounded
-- poll step, waiting for a job, and closing. Internal; not a public API.
local core = require "clevertap.core"
local errors = require "clevertap.error"
local ftransport = require "clevertap.transport.function"

local M = {}

--- The transport option as the engine sees it: nil for libcurl ("curl"),
-- else the Lua transport (checked by the caller with ftransport.check).
-- `where` prefixes errors, which point at the caller of `where`.
function M.transport(transport, where, level)
  level = level or 3
  if transport == "curl" then
    -- libcurl waits in poll(2): inside nginx that blocks the whole worker
    -- (every request it serves) for as long as a send runs
    if ftransport.in_nginx() then
      error(where .. ": transport \"curl\" cannot be used inside nginx: libcurl would block the "
        .. "nginx worker; leave transport unset to use clevertap.transport.ngx (cosockets)", level)
    end
    return nil
  end
  if type(transport) == "string" then error(where .. ": transport must be \"curl\", a function or a table", level) end
  return transport
end

-- A callback's error, kept by the job it belongs to (all running jobs for
-- the client-wide logger): a raising callback never detaches a job from its
-- report. At most MAX_CALLBACK_ERRORS are kept; `dropped` counts the rest.
local MAX_CALLBACK_ERRORS = 100

local function keep_error(job, name, e) -- also M.keep_error
  local list = job.callback_errors
  if not list then
    list = { dropped = 0 }
    job.callback_errors = list
  end
  if #list < MAX_CALLBACK_ERRORS then
    list[#list + 1] = { callback = name, message = errors.cause_text(e), cause = e }
  else
    list.dropped = list.dropped + 1
  end
end

--- Keeps callback `name`'s error `e` in `job.callback_errors` (any table
-- standing for a job: the SMS send's logger keeps its own).
M.keep_error = keep_error

--- Puts a finished job's callback errors where its caller reads them: the
-- report (`report.callback_errors`) of a send or request run, `err.callback_errors`
-- of a failure (and of the report it carries).
function M.attach_callback_errors(job, report, err)
  local list = job.callback_errors
  if not list then return end
  if type(report) == "table" and job.reports then report.callback_errors = list end
  if errors.is(err) then
    err.callback_errors = list
    if type(err.report) == "table" then err.report.callback_errors = list end
  end
end

-- Jobs of a closed owner end with the report the engine completed at close
-- (a report being built is finished at once: no deadline).
local function finish_closed(owner, hooks, note)
  owner.finishing = {}
  for cj, job in pairs(owner.jobs) do
    owner.jobs[cj] = nil
    local ok, e = pcall(hooks.finish, job, cj, note, math.huge)
    if not ok and not job.done then
      job.done = true
      job.results = { n = 2, nil, errors.new { kind = "network", message = "the client was closed: " ..
        errors.cause_text(e) } }
    end
  end
end

-- A poll spends at most this long (seconds) building finished jobs' results:
-- a report of 100k unknown identities takes tens of ms to convert, more than
-- a frame has. The rest is built by the next polls.
local FINISH_BUDGET = 0.002

--- One bounded work step for `owner` ({ engine, transport, logger, jobs }):
-- waits at most `timeout` seconds (default 0) for network activity (none while
-- results are being built), delivers the engine's log to the logger, then
-- calls hooks.progress(job, note) for every running job and
-- hooks.finish(job, cj, note, deadline) for finished ones, in the order they
-- finished, until the deadline: it returns false when the job's results are
-- not complete yet (its job stays running and is resumed by the next poll).
-- Hooks report protected calls through note(job, name, pcall(...)); every
-- error is kept by its job, and unless `quiet` the first one is re-raised
-- once every finished job was handled. A callback may close the owner: its
-- jobs then end with their reports.
-- Returns the number of jobs still running.
function M.poll(owner, timeout, extra, hooks, quiet)
  timeout = timeout or 0
  local finishing = owner.finishing or {}
  owner.finishing = finishing
  if #finishing > 0 then timeout = 0 end
  local engine = owner.engine
  if owner.transport then
    ftransport.pump(engine, owner.transport, timeout, extra)
  else
    engine:poll(math.max(0, math.floor(timeout * 1000)))
  end
  local raised
  local function note(job, name, ok, e)
    if ok then return end
    if job then
      keep_error(job, name, e)
    else
      for _, j in pairs(owner.jobs) do keep_error(j, name, e) end
    end
    if raised == nil then raised = e end
  end
  if owner.closed then
    finish_closed(owner, hooks, note)
  else
    if owner.logger then
      for _, ev in ipairs(engine:events()) do
        note(nil, "logger", pcall(owner.logger, ev.level, ev.message))
      end
    end
    -- owner.jobs is looked up afresh: a callback may close the owner
    for _, job in pairs(owner.jobs) do hooks.progress(job, note) end
    if not owner.closed then
      for _, cj in ipairs(engine:finished()) do
        if owner.jobs[cj] then finishing[#finishing + 1] = cj end
      end
      local deadline = core.now() + FINISH_BUDGET
      while finishing[1] and not owner.closed do
        local cj = finishing[1]
        local job = owner.jobs[cj]
        if job and not hooks.finish(job, cj, note, deadline) then break end
        table.remove(finishing, 1)
        owner.jobs[cj] = nil
      end
    end
    if owner.closed then finish_closed(owner, hooks, note) end
  end
  if raised ~= nil and not quiet then error(raised, 0) end
  local n = 0
  for _ in pairs(owner.jobs) do n = n + 1 end
  return n
end

--- Calls poll(seconds) until job.done or `timeout` seconds passed. `poll`
-- is a quiet poll: callback errors are kept by the jobs, never raised here.
-- Returns true, or nil, err (kind "timeout": "<what> not finished within ...").
function M.wait(job, timeout, what, poll, owner)
  local deadline = timeout and core.now() + timeout
  while not job.done do
    if owner and owner.closed then
      return nil, errors.new { kind = "network", message = what .. " not finished: the client was closed" }
    end
    local left = deadline and deadline - core.now() or 1
    if left <= 0 then
      return nil, errors.new { kind = "timeout", message = what .. " not finished within " .. timeout .. " s",
        retryable = true }
    end
    poll(math.min(left, 1))
  end
  return true
end

--- Idempotent close of an owner. Running jobs end with their reports
-- (requests in flight unknown, the rest never sent) and their on_done runs;
-- closed from inside a callback, that happens when the current step ends.
-- `hooks` nil (from __gc): nothing is called back.
function M.close(owner, hooks)
  if owner.closed then return end
  owner.closed = true
  local now = owner.engine:close()
  if not now then return end -- inside a step: the step's caller finishes the jobs
  if hooks then M.settle_closed(owner, hooks) else owner.jobs = {} end
end

--- Ends the jobs of a closed owner (their callback errors kept, not raised).
function M.settle_closed(owner, hooks)
  finish_closed(owner, hooks, function(job, name, ok, e)
    if not ok and job then keep_error(job, name, e) end
  end)
end

return M
