--- Running bin/clevertap as a subprocess for the specs, under the same
-- interpreter as the suite (CT_LUA), with a controlled environment: the
-- CLEVERTAP_* variables of the caller never leak in.
local files = require "support.files"

local M = {}

M.lua = os.getenv("CT_LUA") or "lua5.4"
M.root = (function()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/support/[^/]*$")
  return dir or "."
end)()
M.bin = M.root .. "/bin/clevertap"

local quote = files.quote
M.quote = quote

local state_home
--- The XDG_STATE_HOME of commands run without their own: a temporary
-- directory for this process, so no spec writes under the real home.
function M.state_home()
  if not state_home then state_home = files.temp_dir() end
  return state_home
end

local CLEARED = {
  "CLEVERTAP_ACCOUNT_ID", "CLEVERTAP_PASSCODE", "CLEVERTAP_REGION", "CLEVERTAP_BASE_URL", "CLEVERTAP_PROFILE",
  "CLEVERTAP_LIMITER",
}

--- The shell command running `clevertap ARGS...` with only the variables
-- of `env` (a table) among the CLEVERTAP_* ones.
function M.command(argv, env)
  local parts = { "env" }
  for _, name in ipairs(CLEARED) do parts[#parts + 1] = "-u " .. name end
  -- The caller's own profiles (~/.config/clevertap) never leak in either.
  if not (env and env.XDG_CONFIG_HOME) then parts[#parts + 1] = "XDG_CONFIG_HOME=/nonexistent" end
  -- Nor their state (journals, creates): one temporary directory per suite run.
  if not (env and env.XDG_STATE_HOME) then parts[#parts + 1] = quote("XDG_STATE_HOME=" .. M.state_home()) end
  for k, v in pairs(env or {}) do parts[#parts + 1] = quote(k .. "=" .. v) end
  parts[#parts + 1] = quote(M.lua)
  parts[#parts + 1] = quote(M.bin)
  for _, a in ipairs(argv) do parts[#parts + 1] = quote(a) end
  return table.concat(parts, " ")
end

--- Run `clevertap ARGS...`. opts.env: variables to set; opts.stdin: text
-- fed to standard input; opts.stdin_file: a file fed to it.
-- Returns { code =, stdout =, stderr = }.
function M.run(argv, opts)
  opts = opts or {}
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  files.write(inp, opts.stdin or "")
  local cmd = M.command(argv, opts.env) .. " >" .. quote(out) .. " 2>" .. quote(err)
    .. " <" .. quote(opts.stdin_file or inp) .. "; echo $?"
  local p = assert(io.popen(cmd, "r"))
  local rc = p:read("*a")
  p:close()
  local res = { code = tonumber(rc:match("(%d+)%s*$")),
    stdout = files.read(out) or "", stderr = files.read(err) or "" }
  os.remove(out); os.remove(err); os.remove(inp)
  return res
end

--- The sandbox's credentials and URL as the environment the command reads.
function M.sandbox_env(extra)
  local env = {
    CLEVERTAP_ACCOUNT_ID = "SANDBOX-ACCOUNT-ID",
    CLEVERTAP_PASSCODE = "SANDBOX-PASSCODE",
    CLEVERTAP_BASE_URL = os.getenv("CLEVERTAP_SANDBOX_URL") or "",
  }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

--- An ids file's text: user-1 to user-n, one a line.
function M.user_ids(n)
  local ids = {}
  for i = 1, n do ids[i] = "user-" .. i end
  return table.concat(ids, "\n")
end

return M
