--- Progress of a long send on stderr: a redrawn bar on a terminal, a quiet
-- line every 10% (or every 100 requests when the total is unknown) when
-- stderr is a file or a pipe (cron, CI logs), nothing when turned off.
local fmt = require "clevertap.cli.fmt"

local M = {}

--- Is stderr a terminal? Plain Lua has no isatty: ask the shell, whose
-- stderr is ours. LuaJIT's os.execute returns the status, Lua 5.4 a boolean.
function M.stderr_is_terminal()
  local r = os.execute("[ -t 2 ]")
  return r == true or r == 0
end

--- mode: "bar" | "lines" | "off"; total: identities, or nil when unknown.
function M.new(stream, mode, total)
  local self = { stream = stream, mode = mode, total = total, last_step = -1, drawn = false }

  local function draw(sent, accepted, requests)
    if self.mode == "bar" then
      local width = 30
      local line
      if self.total and self.total > 0 then
        local frac = math.min(1, sent / self.total)
        local fill = math.floor(frac * width + 0.5)
        line = string.format("\r[%s%s] %3d%% %s/%s identities, %s accepted",
          string.rep("#", fill), string.rep("-", width - fill), math.floor(frac * 100),
          fmt.thousands(sent), fmt.thousands(self.total), fmt.thousands(accepted))
      else
        line = string.format("\r%s identities sent, %s accepted, %s",
          fmt.thousands(sent), fmt.thousands(accepted), fmt.plural(requests, "request"))
      end
      self.stream:write(line)
      self.stream:flush()
      self.drawn = true
    elseif self.mode == "lines" then
      local step
      if self.total and self.total > 0 then
        -- 100% is printed by finish(), with the final figures.
        step = math.min(self.final and 10 or 9, math.floor(10 * math.min(1, sent / self.total)))
      else
        step = math.floor(requests / 100)
      end
      if step > self.last_step then
        self.last_step = step
        if self.total and self.total > 0 then
          local pct = math.floor(100 * math.min(1, sent / self.total))
          if not self.final then pct = math.min(pct, 99) end
          self.stream:write(string.format("progress: %s of %s identities %s (%d%%), %s accepted\n",
            fmt.thousands(sent), fmt.thousands(self.total), self.final and "done" or "read",
            pct, fmt.thousands(accepted)))
        else
          self.stream:write(string.format("progress: %s identities sent, %s accepted\n",
            fmt.thousands(sent), fmt.thousands(accepted)))
        end
        self.stream:flush()
      end
    end
  end

  --- sent: identities handed over so far; accepted: accepted so far.
  function self.update(sent, accepted, requests)
    if self.mode == "off" then return end
    draw(sent or 0, accepted or 0, requests or 0)
  end

  --- The last update (final figures, when the send returned a report) and
  -- the end of the bar's line.
  function self.finish(sent, accepted, requests)
    if sent and self.mode ~= "off" then
      self.final = true
      draw(sent, accepted or 0, requests or 0)
    end
    if self.drawn then self.stream:write("\n"); self.stream:flush() end
  end

  return self
end

return M
