--- Progress of a long send on stderr: on a terminal, one line redrawn in
-- place (accepted / total, requests/s, identities/s, retries and 429s so
-- far, ETA); on a file or a pipe (cron, CI logs), a line every 10% or every
-- 10 seconds, whichever comes first; nothing when turned off.
--
-- The figures come from two places: the client's on_progress callback
-- (accepted, requests) and its logger, whose retry messages ("...; retry 1
-- of 4 in 230 ms", "HTTP 429: ...") are the only place retries are told.
local fmt = require "clevertap.cli.fmt"

local M = {}

M.LINE_INTERVAL = 10   -- seconds between two lines when the 10% steps are slow
M.REDRAW_INTERVAL = 0.1

--- Is stderr a terminal? Plain Lua has no isatty: ask the shell, whose
-- stderr is ours. LuaJIT's os.execute returns the status, Lua 5.4 a boolean.
function M.stderr_is_terminal()
  local r = os.execute("[ -t 2 ]")
  return r == true or r == 0
end

local function duration(s)
  if s == nil or s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  local h, m = math.floor(s / 3600), math.floor(s % 3600 / 60)
  if h > 0 then return string.format("%d:%02d:%02d", h, m, s % 60) end
  return string.format("%d:%02d", m, s % 60)
end
M.duration = duration

local function retries(n)
  return fmt.thousands(n) .. (n == 1 and " retry" or " retries")
end

local function rate(n, elapsed)
  if elapsed <= 0 then return 0 end
  return n / elapsed
end

--- The mode a sending command's options ask for: --progress a bar, else
-- --no-progress, --json, --dry-run and -q none, else a bar on a terminal and
-- lines otherwise. Also the check that they do not contradict each other
-- (nil, message).
function M.mode(ctx, o)
  if o.progress and o["no-progress"] then return nil, "--progress and --no-progress contradict each other" end
  if o.progress and ctx.quiet then return nil, "--progress and -q contradict each other" end
  if o.progress then return "bar" end
  if o["no-progress"] or ctx.json or ctx.dry_run or ctx.quiet then return "off" end
  return M.stderr_is_terminal() and "bar" or "lines"
end

-- A progress display's parts; M.new binds update, event and finish to one.
local P = {}

-- elapsed seconds, requests/s, identities/s, and the ETA (nil: unknown)
function P.figures(self)
  local elapsed = self.clock() - self.start
  local rps, ips = rate(self.requests, elapsed), rate(self.accepted, elapsed)
  local eta
  if self.total and ips > 0 then eta = math.max(0, self.total - self.accepted) / ips end
  return elapsed, rps, ips, eta
end

function P.draw_bar(self, force)
  local now = self.clock()
  if not force and now - self.last_draw < M.REDRAW_INTERVAL then return end
  self.last_draw = now
  local _, rps, ips, eta = P.figures(self)
  local head
  if self.total and self.total > 0 then
    local frac = math.min(1, self.accepted / self.total)
    local width = 30
    local fill = math.floor(frac * width + 0.5)
    head = string.format("[%s%s] %3d%% %s/%s accepted", string.rep("#", fill), string.rep("-", width - fill),
      math.floor(frac * 100), fmt.thousands(self.accepted), fmt.thousands(self.total))
  else
    head = fmt.thousands(self.accepted) .. " accepted"
  end
  local line = string.format("%s  %.1f req/s  %s ids/s  %s  %d x 429  ETA %s", head, rps,
    fmt.thousands(math.floor(ips)), retries(self.retries),
    self.rate_limited, self.final and "done" or duration(eta))
  -- Spaces over the rest of a longer previous line.
  local pad = math.max(0, self.width - #line)
  self.width = #line
  self.stream:write("\r", line, string.rep(" ", pad))
  self.stream:flush()
  self.drawn = true
end

function P.write_line(self)
  local elapsed, rps, ips, eta = P.figures(self)
  local head
  if self.total and self.total > 0 then
    local pct = math.floor(100 * math.min(1, self.accepted / self.total))
    head = string.format("%s of %s identities accepted (%d%%)", fmt.thousands(self.accepted),
      fmt.thousands(self.total), pct)
  else
    head = string.format("%s identities accepted", fmt.thousands(self.accepted))
  end
  self.stream:write(string.format("progress: %s, %s, %.1f requests/s, %s identities/s, %s, %d rate-limited, %s\n",
    head, fmt.plural(self.requests, "request"), rps, fmt.thousands(math.floor(ips)),
    retries(self.retries), self.rate_limited,
    self.final and ("done in " .. duration(elapsed)) or ("ETA " .. duration(eta))))
  self.stream:flush()
  self.last_line = self.clock()
end

-- Lines mode: one line per tenth of the total (or 100 requests when the
-- total is unknown), and at least every LINE_INTERVAL seconds.
function P.draw_lines(self)
  -- All accepted: finish() prints the last line, with the final figures.
  if not self.final and self.total and self.accepted >= self.total then return end
  local step
  if self.total and self.total > 0 then
    -- 100% is printed by finish(), with the final figures.
    step = math.min(self.final and 10 or 9, math.floor(10 * math.min(1, self.accepted / self.total)))
  else
    step = math.floor(self.requests / 100)
  end
  if step > self.last_step or self.final or self.clock() - self.last_line >= M.LINE_INTERVAL then
    self.last_step = math.max(step, self.last_step)
    P.write_line(self)
  end
end

function P.draw(self, force)
  if self.mode == "bar" then P.draw_bar(self, force)
  elseif self.mode == "lines" then P.draw_lines(self) end
end

--- sent: identities handed over so far; accepted: accepted so far.
function P.update(self, sent, accepted, requests)
  self.sent, self.accepted, self.requests = sent or self.sent, accepted or self.accepted, requests or self.requests
  if self.mode ~= "off" then P.draw(self, false) end
end

--- A message of the client's logger: counts retries, 429s and unknown outcomes.
function P.event(self, message)
  message = tostring(message)
  if message:find("; retry %d+ of %d+") then self.retries = self.retries + 1 end
  if message:find("HTTP 429", 1, true) then self.rate_limited = self.rate_limited + 1 end
  if message:find("outcome unknown", 1, true) then self.unknown = self.unknown + 1 end
  if self.mode ~= "off" then P.draw(self, false) end
end

--- The last update (final figures, when the send returned a report) and
-- the end of the bar's line.
function P.finish(self, sent, accepted, requests)
  if sent and self.mode ~= "off" then
    self.sent, self.accepted, self.requests = sent, accepted or self.accepted, requests or self.requests
    self.final = true
    P.draw(self, true)
  end
  if self.drawn then self.stream:write("\n"); self.stream:flush() end
end

--- mode: "bar" | "lines" | "off"; total: identities, or nil when unknown;
-- clock: a function returning seconds (default: the C core's monotonic clock).
-- The display's update, event and finish are plain functions (callbacks).
function M.new(stream, mode, total, clock)
  clock = clock or require("clevertap.core").now
  local start = clock()
  local self = {
    stream = stream, mode = mode, total = total, clock = clock, start = start,
    sent = 0, accepted = 0, requests = 0, retries = 0, rate_limited = 0, unknown = 0,
    last_step = 0, last_line = start, last_draw = -math.huge, drawn = false, width = 0,
  }
  function self.update(...) return P.update(self, ...) end
  function self.event(...) return P.event(self, ...) end
  function self.finish(...) return P.finish(self, ...) end
  return self
end

return M
