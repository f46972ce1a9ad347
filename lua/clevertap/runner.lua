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
function M.transport(transport, where)
  if transport == "curl" then
    -- libcurl waits in poll(2): inside nginx that blocks the whole worker
    -- (every request it serves) for as long as a send runs
    if ftransport.in_nginx() then
      error(where .. ": transport \"curl\" cannot be used inside nginx: libcurl would block the "
        .. "nginx worker; leave transport unset to use clevertap.transport.ngx (cosockets)", 3)
    end
    return nil
  end
  if type(transport) == "string" then error(where .. ": transport must be \"curl\", a function or a table", 3) end
  return transport
end

--- One bounded work step for `owner` ({ engine, transport, logger, jobs }):
-- waits at most `timeout` seconds (default 0) for network activity, delivers
-- the engine's log to the logger, then calls hooks.progress(job, note) for
-- every running job and hooks.finish(job, cj, note) for every finished one.
-- Hooks report protected calls through note(pcall(...)); the first error
-- raised is re-raised once every finished job was handled.
-- Returns the number of jobs still running.
function M.poll(owner, timeout, extra, hooks)
  timeout = timeout or 0
  local engine = owner.engine
  if owner.transport then
    ftransport.pump(engine, owner.transport, timeout, extra)
  else
    engine:poll(math.max(0, math.floor(timeout * 1000)))
  end
  local raised
  local function note(ok, e)
    if not ok and not raised then raised = e end
  end
  if owner.logger then
    for _, ev in ipairs(engine:events()) do
      note(pcall(owner.logger, ev.level, ev.message))
    end
  end
  -- owner.jobs is looked up afresh: a callback may close the owner
  for _, job in pairs(owner.jobs) do hooks.progress(job, note) end
  for _, cj in ipairs(engine:finished()) do
    local job = owner.jobs[cj]
    if job then
      owner.jobs[cj] = nil
      hooks.finish(job, cj, note)
    end
  end
  if raised then error(raised, 0) end
  local n = 0
  for _ in pairs(owner.jobs) do n = n + 1 end
  return n
end

--- Calls poll(seconds) until job.done or `timeout` seconds passed.
-- Returns true, or nil, err (kind "timeout": "<what> not finished within ...").
function M.wait(job, timeout, what, poll)
  local deadline = timeout and core.now() + timeout
  while not job.done do
    local left = deadline and deadline - core.now() or 1
    if left <= 0 then
      return nil, errors.new { kind = "timeout", message = what .. " not finished within " .. timeout .. " s",
        retryable = true }
    end
    poll(math.min(left, 1))
  end
  return true
end

--- Idempotent close of an owner: forgets its jobs and closes the engine.
function M.close(owner)
  if owner.closed then return end
  owner.closed = true
  owner.jobs = {}
  owner.engine:close()
end

return M
