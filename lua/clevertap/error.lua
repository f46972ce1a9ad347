--- Error values of lua-clevertap: tables with kind, message, status, code,
-- retryable (docs/contract.md "Client"; the table of kinds is docs/client.md
-- "Errors"), printable with tostring(). Every module returns these
-- as the second value of `nil, err`.
local M = {}

local Error = {}
Error.__index = Error

-- "(HTTP 400)" and "[code 400]" are added only when the message does not
-- already say them, so a line states each fact once.
local function says(msg, pattern) return msg:find(pattern) ~= nil end

function Error.__tostring(e)
  -- one line, whatever a server put in its message
  local msg = (tostring(e.message):gsub("[\r\n]+", " "))
  local parts = { "clevertap ", tostring(e.kind), " error: ", msg }
  if e.status and not says(msg, "HTTP " .. tostring(e.status) .. "%f[%D]") then
    parts[#parts + 1] = " (HTTP " .. tostring(e.status) .. ")"
  end
  if e.code and not says(msg, "[Ee]rror " .. tostring(e.code) .. ":")
    and not says(msg, "code " .. tostring(e.code) .. "%f[%D]") then
    parts[#parts + 1] = " [code " .. tostring(e.code) .. "]"
  end
  return table.concat(parts)
end

M.KINDS = {
  validation = true, http = true, api = true, network = true,
  timeout = true, rate_limited = true, not_completed = true,
}

--- Makes an error from a table (kind and message required; retryable
-- defaults to false).
function M.new(t)
  assert(M.KINDS[t.kind], "unknown error kind")
  t.message = t.message or t.kind
  if t.retryable == nil then t.retryable = false end
  return setmetatable(t, Error)
end

function M.is(v)
  return getmetatable(v) == Error
end

--- The one printing of a problem: its severity then its message (which
-- names the field; the exact pointer stays in .pointer), as
-- clevertap.validate's lists print.
function M.problem_line(p)
  return (p.severity == "warning" and "warning " or "error   ") .. tostring(p.message)
end

local Problems = {
  __tostring = function(list)
    local lines = {}
    for i, p in ipairs(list) do lines[i] = M.problem_line(p) end
    return table.concat(lines, "\n")
  end,
}

--- Makes `list` a problem list ({ pointer =, message =, severity = } each,
-- severity "error" unless given) printable with tostring(). Lists that
-- already print (clevertap.validate's own) are left as they are.
function M.problems(list)
  for _, p in ipairs(list) do p.severity = p.severity or "error" end
  if getmetatable(list) == nil then setmetatable(list, Problems) end
  return list
end

--- A validation error carrying `errors`, a problem list (pointer, message,
-- severity). Its message is `what` (default "invalid payload") and the
-- first ERROR, never a
-- warning: a warning does not make a payload invalid.
function M.validation(errors, what)
  M.problems(errors)
  local first, n = nil, 0
  for _, p in ipairs(errors) do
    if p.severity ~= "warning" then
      n = n + 1
      first = first or p
    end
  end
  local msg = what or "invalid payload"
  if first then
    msg = msg .. ": " .. tostring(first.message)
    if n > 1 then msg = msg .. " (and " .. (n - 1) .. " more)" end
  end
  return M.new { kind = "validation", message = msg, errors = errors, retryable = false }
end

--- A validation error for one problem at `pointer` ("" for the whole value).
function M.problem(pointer, message, what)
  return M.validation({ { pointer = pointer, message = message, severity = "error" } }, what)
end

--- The text for a value user code raised (an iterator, a classify
-- function), where the engine keeps only text; the value itself goes in
-- err.cause.
function M.cause_text(v)
  if type(v) == "string" or type(v) == "number" then return tostring(v) end
  if M.is(v) then return v.message end
  local mt = getmetatable(v)
  if type(mt) == "table" and mt.__tostring then return tostring(v) end
  return "a " .. type(v) .. " value, kept in err.cause"
end

--- Wraps an error table coming from the C core (plain table) in place.
function M.from_core(t)
  if t == nil then return nil end
  if t.retryable == nil then t.retryable = false end
  return setmetatable(t, Error)
end

return M
