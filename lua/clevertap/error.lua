--- Error values of lua-clevertap: tables with kind, message, status, code,
-- retryable (SPEC.md), printable with tostring(). Every module returns these
-- as the second value of `nil, err`.
local M = {}

local Error = {}
Error.__index = Error

function Error.__tostring(e)
  -- one line, whatever a server put in its message
  local parts = { "clevertap ", tostring(e.kind), " error: ", (tostring(e.message):gsub("[\r\n]+", " ")) }
  if e.status then parts[#parts + 1] = " (HTTP " .. tostring(e.status) .. ")" end
  if e.code then parts[#parts + 1] = " [code " .. tostring(e.code) .. "]" end
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

local Problems = {
  __tostring = function(list)
    local lines = {}
    for i, p in ipairs(list) do
      lines[i] = tostring(p.message) .. " (at " .. (p.pointer == "" and "/" or p.pointer) .. ")"
    end
    return table.concat(lines, "\n")
  end,
}

--- A validation error carrying `errors`, the problem list of
-- clevertap.validate (pointer, message, severity).
function M.validation(errors, what)
  if getmetatable(errors) == nil then setmetatable(errors, Problems) end
  local first = errors[1]
  local msg = (what and (what .. ": ") or "") .. "invalid payload"
  if first then
    -- clevertap.validate's messages begin with the field's path.
    msg = msg .. ": " .. tostring(first.message)
    if #errors > 1 then msg = msg .. " (and " .. (#errors - 1) .. " more)" end
  end
  return M.new { kind = "validation", message = msg, errors = errors, retryable = false }
end

--- Wraps an error table coming from the C core (plain table) in place.
function M.from_core(t)
  if t == nil then return nil end
  if t.retryable == nil then t.retryable = false end
  return setmetatable(t, Error)
end

return M
