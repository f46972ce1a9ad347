--- The one checker for options tables: unknown keys (with "did you mean")
-- and Lua types, in one wording for every function of the library.
--
-- A spec maps each option name to the Lua types it accepts: "string",
-- "number|boolean", ... or true / "any" for any value.
--
--   options.check(opts, { timeout = "number" }, "clevertap.new")
--   -> clevertap.new: unknown option "timeot" (did you mean "timeout"?)
--   -> clevertap.new: option "timeout" must be a number, got string
local suggest = require "clevertap.suggest"

local M = {}

-- A key as a message shows it: strings quoted, anything else as a value.
local function show(k)
  if type(k) == "string" then return string.format("%q", k) end
  return tostring(k)
end
M.show = show

local function accepts(want, v)
  if want == true or want == "any" then return true end
  return ("|" .. want .. "|"):find("|" .. type(v) .. "|", 1, true) ~= nil
end

local function prefix(where)
  return (where and where ~= "") and (where .. ": ") or ""
end

--- The message for key `k` not in `known`: the closest name when one is
-- near (a typo), the whole list otherwise (a guess). `noun` names what `k`
-- is ("option" unless given: "call", "channel").
function M.unknown(k, known, where, noun)
  -- a third of the name may be wrong: "regoin" finds "region", "tz" finds
  -- nothing rather than "now"
  local best = type(k) == "string"
    and suggest.closest(k, known, math.max(1, math.min(3, math.floor(#k / 3))), { ignore_case = true })
  local hint
  if best then
    hint = "did you mean " .. show(best) .. "?"
  else
    local names = {}
    for name in pairs(known) do
      if type(name) == "string" then names[#names + 1] = name end
    end
    table.sort(names)
    hint = "known: " .. table.concat(names, ", ")
  end
  return prefix(where) .. "unknown " .. (noun or "option") .. " " .. show(k) .. " (" .. hint .. ")"
end

--- The message for option `k` holding a value of the wrong type.
function M.wrong_type(k, want, v, where)
  return prefix(where) .. "option " .. show(k) .. " must be a " .. want:gsub("|", " or ") .. ", got " .. type(v)
end

--- The first problem of `opts` against `known` as a message, nil when fine.
-- Keys are visited in sorted order so the message is the same every run.
function M.problem(opts, known, where)
  local keys = {}
  for k in pairs(opts) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local want = known[k]
    if want == nil or want == false then return M.unknown(k, known, where) end
    if not accepts(want, opts[k]) then return M.wrong_type(k, want, opts[k], where) end
  end
  return nil
end

--- Raises the first problem of `opts` (a table) at `level`, counted like
-- error()'s from the function calling check: 2 (the default) is its caller.
function M.check(opts, known, where, level)
  level = level or 2
  if type(opts) ~= "table" then
    error(prefix(where) .. "options must be a table, got " .. type(opts), level + 1)
  end
  local msg = M.problem(opts, known, where)
  if msg then error(msg, level + 1) end
  return opts
end

return M
