--- Running bin/clevertap as a subprocess for the specs, under the same
-- interpreter as the suite (CT_LUA), with a controlled environment: the
-- CLEVERTAP_* variables of the caller never leak in.
local M = {}

M.lua = os.getenv("CT_LUA") or "lua5.4"
M.root = (function()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/support/[^/]*$")
  return dir or "."
end)()
M.bin = M.root .. "/bin/clevertap"

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.quote = quote

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

local CLEARED = {
  "CLEVERTAP_ACCOUNT_ID", "CLEVERTAP_PASSCODE", "CLEVERTAP_REGION", "CLEVERTAP_BASE_URL",
}

--- Run `clevertap ARGS...`. opts.env: variables to set; opts.stdin: text
-- fed to standard input; opts.stdin_file: a file fed to it.
-- Returns { code =, stdout =, stderr = }.
function M.run(argv, opts)
  opts = opts or {}
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  local f = assert(io.open(inp, "wb"))
  f:write(opts.stdin or "")
  f:close()
  local parts = { "env" }
  for _, name in ipairs(CLEARED) do parts[#parts + 1] = "-u " .. name end
  for k, v in pairs(opts.env or {}) do parts[#parts + 1] = quote(k .. "=" .. v) end
  parts[#parts + 1] = quote(M.lua)
  parts[#parts + 1] = quote(M.bin)
  for _, a in ipairs(argv) do parts[#parts + 1] = quote(a) end
  local cmd = table.concat(parts, " ") .. " >" .. quote(out) .. " 2>" .. quote(err)
    .. " <" .. quote(opts.stdin_file or inp) .. "; echo $?"
  local p = assert(io.popen(cmd, "r"))
  local rc = p:read("*a")
  p:close()
  local res = { code = tonumber(rc:match("(%d+)%s*$")), stdout = slurp(out), stderr = slurp(err) }
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

--- Write `text` to a new temporary file (name ends in suffix); returns the path.
function M.temp_file(text, suffix)
  local base = os.tmpname()
  local path = base .. (suffix or "")
  if suffix then os.remove(base) end
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

--- A temporary directory (removed by remove_dir).
function M.temp_dir()
  local base = os.tmpname()
  os.remove(base)
  assert(os.execute("mkdir -p " .. quote(base)))
  return base
end

function M.remove_dir(dir)
  os.execute("rm -rf " .. quote(dir))
end

return M
