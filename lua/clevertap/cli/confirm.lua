--- The question before a big send: on a terminal, sending to more than
-- --confirm-above identities (default 10,000) of a real account asks first.
-- A local sandbox (a loopback base URL) is never asked about, --yes skips the
-- question, and without a terminal (cron, CI) nothing is ever asked.
local M = {}

M.DEFAULT_ABOVE = 10000

--- Is `base_url` a local server (loopback host)? nil (the region's API) is not.
function M.is_local(base_url)
  if type(base_url) ~= "string" then return false end
  local host = base_url:match("^%a[%w+.-]*://%[([^%]]+)%]") or base_url:match("^%a[%w+.-]*://([^/:?#]+)")
  if not host then return false end
  host = host:lower()
  return host == "localhost" or host:match("%.localhost$") ~= nil or host:match("^127%.%d+%.%d+%.%d+$") ~= nil
    or host == "::1"
end

--- Ask `question` on the terminal; true for y/yes. Returns nil when there is
-- no terminal to ask on (stderr is not one, or there is no /dev/tty).
function M.ask(question, stderr_is_terminal)
  if not stderr_is_terminal then return nil end
  -- The controlling terminal, not stdin: `--ids -` reads identities there.
  local tty = io.open("/dev/tty", "r+")
  if not tty then return nil end
  tty:write(question, " [y/N] ")
  tty:flush()
  local answer = tty:read("*l")
  tty:close()
  answer = (answer or ""):match("^%s*(.-)%s*$"):lower()
  return answer == "y" or answer == "yes"
end

return M
