--- Profiles: named accounts in $XDG_CONFIG_HOME/clevertap/config.lua
-- (default ~/.config/clevertap/config.lua), picked with --profile NAME or
-- $CLEVERTAP_PROFILE, else the file's `default`. docs/cli.md has the format.
--
-- The file may hold credentials, so like ssh with a private key the command
-- refuses one that its group or others can read or write. The passcode comes
-- from the profile's `passcode_command` (its first line of output, e.g.
-- "pass show ct/prod"), `passcode_env` (a variable's name) or `passcode`.
local options = require "clevertap.options"

local M = {}

local TOP = { default = "string", profiles = "table" }
local PROFILE = {
  account_id = "string", region = "string", base_url = "string", limiter = "string",
  passcode = "string", passcode_command = "string", passcode_env = "string",
  timeout = "number", attempts = "number", limits = "table",
}
-- Client options a profile's `limits` may set (clevertap.new checks values).
M.LIMITS = {
  concurrency = "number", send_rate = "number|boolean", targets_concurrency = "number",
  create_rate = "number|boolean", connect_timeout = "number", retry = "table", estimate_timeout = "number",
}

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- The config file's path for this environment (env: function(name)).
function M.path(env)
  local base = env("XDG_CONFIG_HOME")
  if not base or base == "" then
    local home = env("HOME")
    if not home or home == "" then return nil end
    base = home .. "/.config"
  end
  return base .. "/clevertap/config.lua"
end

-- Permission bits of `path` (a number such as 420 for 0644), nil when the
-- file does not exist. Plain Lua cannot stat: stat(1) can.
local function mode_of(path)
  local p = io.popen("stat -c %a " .. quote(path) .. " 2>/dev/null")
  local out = p and p:read("*a") or ""
  if p then p:close() end
  local octal = out:match("^(%d+)")
  return octal and tonumber(octal, 8) or nil
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

--- Load the config at `path`. Returns the table, false when there is no
-- file, or nil, message.
function M.load(path)
  if not path or not exists(path) then return false end
  local mode = mode_of(path)
  if not mode then return nil, path .. ": cannot read its permissions" end
  if mode % 64 ~= 0 then  -- any bit for group or others (0077)
    return nil, string.format("%s is accessible by others (mode %04o) and may hold credentials: "
      .. "run chmod 600 %s", path, mode, path)
  end
  local chunk, lerr = loadfile(path)
  if not chunk then return nil, "config does not load: " .. tostring(lerr) end
  local ok, t = pcall(chunk)
  if not ok then return nil, "config failed: " .. tostring(t) end
  if type(t) ~= "table" then return nil, path .. ": config must return a table" end
  local problem = options.problem(t, TOP, path)
  if problem then return nil, problem end
  for name, p in pairs(t.profiles or {}) do
    if type(p) ~= "table" then return nil, path .. ": profile '" .. tostring(name) .. "' must be a table" end
    local where = path .. ": profile '" .. tostring(name) .. "'"
    problem = options.problem(p, PROFILE, where)
      or (p.limits and options.problem(p.limits, M.LIMITS, where .. " limits"))
    if problem then return nil, problem end
  end
  return t
end

--- The profile to use: `name` (from --profile or $CLEVERTAP_PROFILE), else
-- the config's default, else none. Returns profile, name; nil when there is
-- none to use; or nil, nil, message.
function M.pick(config, name, path)
  if not config then
    if name then return nil, nil, "no profile '" .. name .. "': no config file at " .. tostring(path) end
    return nil
  end
  local profiles = config.profiles or {}
  local chosen = name or config.default
  if not chosen then return nil end
  local p = profiles[chosen]
  if not p then
    local names = {}
    for k in pairs(profiles) do names[#names + 1] = tostring(k) end
    table.sort(names)
    return nil, nil, options.unknown(chosen, profiles, path, "profile")
      .. (#names == 0 and " (the config has no profiles)" or "")
  end
  return p, chosen
end

--- The profile's passcode, or nil (none set), or nil, message. The
-- command's output is never shown, whatever happens.
function M.passcode(p, name, env)
  if p.passcode_command then
    local cmd = io.popen(p.passcode_command)
    local out = cmd and cmd:read("*a") or ""
    local ok, _, code = true, nil, 0
    if cmd then ok, _, code = cmd:close() end
    local first = out:match("^([^\r\n]*)")
    if not ok or code ~= 0 and code ~= nil or first == nil or first == "" then
      return nil, string.format("profile '%s': passcode_command failed (exit %s) or printed nothing",
        name, tostring(code or "?"))
    end
    return first
  end
  if p.passcode_env then
    local v = env(p.passcode_env)
    if not v or v == "" then
      return nil, string.format("profile '%s': $%s (its passcode_env) is not set", name, p.passcode_env)
    end
    return v
  end
  return p.passcode
end

return M
