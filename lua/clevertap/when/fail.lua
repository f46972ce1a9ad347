--- How schedule mistakes travel: deep helpers raise a tagged table, and the
-- public entry point turns it into error(msg, 2) so the message carries the
-- file and line of the caller that built the schedule, not a line in here.
local fail = {}

local tag = {}
local mt = { __tostring = function(e) return e.message end }

--- Raise a schedule mistake (formatted like string.format).
function fail.raise(fmt, ...)
  error(setmetatable({ [tag] = true, message = string.format(fmt, ...) }, mt), 0)
end

function fail.is(e)
  return type(e) == "table" and e[tag] == true
end

--- Wrap `impl` as a public function named `name`: a mistake raised anywhere
-- inside becomes "clevertap.when.<name>: <message>" at the caller's line.
-- The level (as error() counts from the public wrapper) of the first caller
-- frame that has a line: the direct caller normally; past pcall and other C
-- functions, or a tail call (`return when.at(...)`), which leave no line.
local function caller_level()
  local level = 2
  while true do
    local info = debug.getinfo(level + 1, "l")
    if info == nil then return 2 end
    if info.currentline and info.currentline > 0 then return level end
    level = level + 1
  end
end

function fail.public(name, impl)
  return function(...)
    local ok, res = pcall(impl, ...)
    if ok then return res end
    if fail.is(res) then error("clevertap.when." .. name .. ": " .. res.message, caller_level()) end
    error(res, 0)
  end
end

--- Run `fn(...)` and turn a schedule mistake into nil, message (runtime
-- failures of preview); other errors propagate unchanged.
function fail.catch(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if fail.is(res) then return nil, res.message end
  error(res, 0)
end

--- A short, quoted rendering of a bad value for messages.
function fail.show(v)
  if type(v) == "string" then
    if #v > 40 then v = v:sub(1, 37) .. "..." end
    return string.format("%q", v)
  elseif type(v) == "number" then
    if v == math.floor(v) and v > -1e15 and v < 1e15 then return string.format("%.0f", v) end
    return tostring(v)
  elseif type(v) == "table" then
    return "a table"
  end
  return tostring(v)
end

return fail
