--- Campaign variables: `--vars FILE` (a Lua file returning a table, or a
-- JSON object) then each `--var key=value`, later ones winning. A campaign
-- file reads them as its first argument (`local vars = ...`), so one file
-- serves several runs without environment variables (docs/cli.md).
local M = {}

local KEY = "^[%a_][%w_%.%-]*$"

local function load_file(path)
  local f, oerr = io.open(path, "r")
  if not f then return nil, "cannot read --vars file: " .. tostring(oerr) end
  local text = f:read("*a")
  f:close()
  local t
  if path:lower():match("%.json$") then
    local ok, decoded = pcall(require("cjson").decode, text)
    if not ok then return nil, path .. ": --vars file is not JSON: " .. tostring(decoded) end
    t = decoded
  else
    -- A Lua vars file is the user's code, like a campaign file.
    local chunk, lerr = loadfile(path) -- load(text) takes no string on Lua 5.1
    if not chunk then return nil, "--vars file does not load: " .. tostring(lerr) end
    local ok, res = pcall(chunk)
    if not ok then return nil, "--vars file failed: " .. tostring(res) end
    t = res
  end
  if type(t) ~= "table" or t[1] ~= nil then
    return nil, path .. ": --vars file must give a table of names to values (a JSON object)"
  end
  return t
end

--- The variables of this run from the parsed options, or nil, message,
-- exit kind ("usage" for a malformed --var, "invalid" for a bad file).
function M.collect(o)
  local vars = {}
  if o.vars then
    local t, err = load_file(o.vars)
    if not t then return nil, err, "invalid" end
    for k, v in pairs(t) do vars[k] = v end
  end
  local list = o.var
  if type(list) == "string" then list = { list } end
  for _, item in ipairs(list or {}) do
    local k, v = item:match("^([^=]*)=(.*)$")
    if not k then return nil, "--var expects key=value, got '" .. item .. "'", "usage" end
    if not k:match(KEY) then
      return nil, "--var name must be a letter or _ then letters, digits, _ . or -, got '" .. k .. "'", "usage"
    end
    vars[k] = v
  end
  return vars
end

return M
