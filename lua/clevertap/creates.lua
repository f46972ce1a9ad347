--- Campaigns created once: client:create_campaign (and client:start of
-- it) on a client given
-- `state = PATH` (docs/journal.md, "Campaigns created once").
-- `targets/create` is not idempotent at the API, so each create is recorded
-- in the state database (csrc/journal/ct_state.c) under its key, the
-- campaign's name and a hash of the encoded body: `sending` durably before
-- the request, then `created` with the id, `unknown` when the request went
-- out and its answer was lost, and removed after a definite failure.
local core = require "clevertap.core"
local errors = require "clevertap.error"

local M = {}

--- The state database at path, or nil, err (kind "validation").
function M.open(path)
  local st, msg = core.state_open(path)
  if not st then return nil, errors.new { kind = "validation", message = "clevertap.new: " .. msg } end
  return st
end

-- The request went out and no answer came back (a lost connection, a
-- timeout waiting for it): the campaign may exist. A refusal, or a request
-- that never left (retryable network errors), created nothing.
local function outcome_unknown(err)
  return (err.kind == "network" or err.kind == "timeout") and err.retryable == false
end

-- A recorded id as the API gave it: an integer when it is one Lua holds
-- exactly, else the digits.
local function id_value(id)
  if id and #id <= 15 and id:match("^%-?%d+$") then return tonumber(id) end
  return id
end

local function id_text(id)
  if type(id) == "number" and id == math.floor(id) then return string.format("%d", id) end
  return tostring(id)
end

--- begin(state, account, body, payload, opts): before a create is sent.
-- `body` is the payload as the validator encodes it. Returns "send", key
-- (recorded as sending: settle() once the outcome is known), "answered",
-- result (created before: nothing to send), or nil, err.
function M.begin(st, account, body, payload, opts)
  local name = type(payload.name) == "string" and payload.name or ""
  local key = core.create_key(name, body)
  local status, id = st:get(account, key)
  if status and not (opts and opts.force) then
    if status == "created" then
      return "answered", { status = "success", id = id_value(id), already = true, key = key }
    end
    return nil, errors.new { kind = "validation", create = "unknown", key = key,
      message = string.format("targets/create: campaign %q was sent before and its outcome is unknown (%s): check "
        .. "with clevertap list (client:list) whether it exists; force = true (--force) creates it again", name,
        status == "sending" and "it was stopped or cancelled while being sent" or "the answer was lost") }
  end
  local ok, perr = st:put(account, key, "sending")
  if not ok then
    return nil, errors.new { kind = "validation", message = "targets/create: cannot record the create: " .. perr
      .. "; nothing was sent" }
  end
  return "send", key
end

--- settle(state, account, key, res, err): the create's outcome recorded.
function M.settle(st, account, key, res, err)
  if res then
    if res.id ~= nil then st:put(account, key, "created", id_text(res.id)) else st:forget(account, key) end
  elseif type(err) == "table" and outcome_unknown(err) then
    st:put(account, key, "unknown")
  else
    st:forget(account, key)
  end
end

return M
