--- Payload validation with the project's own module (clevertap.validate),
-- loaded from $BUILD/luajit through lua_package_cpath. When the module or the
-- function is missing, validation is skipped and one line says so.
local M = {}

local validate_fn
local loaded = false

-- Called once in the master (init_by_lua), so the workers inherit the loaded
-- module and the log gets a single line when it is missing.
local function load()
  loaded = true
  local ok, ct = pcall(require, "clevertap")
  if not ok then
    ngx.log(ngx.WARN, "sandbox: clevertap module not loadable, payload validation skipped: ", tostring(ct))
    return
  end
  if type(ct) ~= "table" or type(ct.validate) ~= "function" then
    ngx.log(ngx.WARN, "sandbox: clevertap.validate absent, payload validation skipped")
    return
  end
  validate_fn = ct.validate
end
M.load = load

function M.available()
  if not loaded then load() end
  return validate_fn ~= nil
end

-- One readable line for an errors array.
-- Only problems of severity "error" are reported when there are any: the
-- API would not mention what the client library merely warns about.
local function describe(errors)
  local lines = {}
  local only = {}
  for _, e in ipairs(errors) do
    if type(e) ~= "table" or e.severity == nil or e.severity == "error" then only[#only + 1] = e end
  end
  if #only > 0 then errors = only end
  for _, e in ipairs(errors) do
    if type(e) == "table" then
      local where = (e.pointer and e.pointer ~= "") and e.pointer or "/"
      lines[#lines + 1] = tostring(e.message) .. " (at " .. where .. ")"
    else
      lines[#lines + 1] = tostring(e)
    end
  end
  return table.concat(lines, "; ")
end

--- nil when the payload is acceptable (or not checked); else a message.
function M.check(endpoint, payload)
  if not loaded then load() end
  if not validate_fn then return nil end
  local ok, res, errors = pcall(validate_fn, endpoint, payload)
  if not ok then
    ngx.log(ngx.ERR, "sandbox: clevertap.validate raised for ", endpoint, ": ", tostring(res))
    return nil
  end
  if res then return nil end
  if type(errors) ~= "table" or #errors == 0 then return "invalid payload" end
  return describe(errors)
end

return M
