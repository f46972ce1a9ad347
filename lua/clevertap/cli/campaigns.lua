--- Campaign files: Lua scripts that return a campaign table or a list of them.
-- They are the user's own code (loops, os.getenv, clevertap.when, require of
-- modules next to the file), so they run with the normal globals.
local M = {}

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function is_list(t)
  if rawget(t, 1) == nil then return false end
  for k in pairs(t) do
    if type(k) ~= "number" then return false end
  end
  return true
end

local function describe(v)
  if type(v) == "table" then
    local ok, s = pcall(tostring, v)
    if ok and s and not s:match("^table: ") then return s end
  end
  return tostring(v)
end

--- Load `path`. Returns an array of { payload = table, label = "file" or
-- "file[2]", index = i } or nil, message (the message names the file and,
-- for errors raised while building, the line). The file gets `vars` (the
-- --var/--vars table, empty without them) as its first argument and its
-- own path as the second: `local vars = ...`.
function M.load(path, vars)
  local f, oerr = io.open(path, "r")
  if not f then return nil, "cannot read campaign file: " .. tostring(oerr) end
  f:close()
  local chunk, lerr = loadfile(path)
  if not chunk then return nil, "campaign file does not load: " .. tostring(lerr) end

  -- The file's own modules (require "products") resolve next to it.
  local saved = package.path
  local dir = dirname(path)
  package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. saved
  -- a closure: Lua 5.1's xpcall passes no arguments to the function
  local ok, result = xpcall(function() return chunk(vars or {}, path) end, function(e)
    return describe(e)
  end)
  package.path = saved
  if not ok then return nil, "campaign file failed: " .. result end

  if type(result) ~= "table" then
    return nil, path .. ": campaign file must return a campaign table or a list of them, got "
      .. (result == nil and "nothing" or type(result))
  end
  if next(result) == nil then
    return nil, path .. ": campaign file returned an empty table: expected a campaign table or a list of them"
  end
  local items = {}
  if is_list(result) then
    for i = 1, #result do
      local c = result[i]
      if type(c) ~= "table" then
        return nil, string.format("%s: item %d of the returned list is a %s, expected a campaign table",
          path, i, type(c))
      end
      items[i] = { payload = c, index = i, label = string.format("%s[%d]", path, i) }
    end
  else
    items[1] = { payload = result, index = 1, label = path }
  end
  return items
end

-- Members only a targets/create campaign has: a table with none of them but
-- with `content` is a message for `clevertap send` (examples/bulk_send.lua).
local CAMPAIGN_ONLY = { "name", "where", "when", "target_mode", "segment", "devices", "estimate_only",
                        "template_type", "conversion_goal" }

--- The endpoint a loaded table is for, when the command does not say:
-- a Bulletin names its business_event; a message for `send` (content and
-- none of a campaign's members, no `to`) the channel its content fits
-- (subject or sender_name: email; title: push; else sms), with true as the
-- second result (a guess); everything else is a campaign.
function M.endpoint_of(payload)
  if payload.business_event ~= nil then return "targets/trigger" end
  if payload.to ~= nil then return nil end  -- a send payload: only the user knows the channel
  local content = payload.content
  if type(content) == "table" and rawget(content, 1) == nil then
    for _, k in ipairs(CAMPAIGN_ONLY) do
      if payload[k] ~= nil then return "targets/create" end
    end
    if content.subject ~= nil or content.sender_name ~= nil then return "send/email", true end
    if content.title ~= nil then return "send/push", true end
    return "send/sms", true
  end
  return "targets/create"
end

return M
