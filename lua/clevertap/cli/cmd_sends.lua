--- clevertap sends: the sends journaled for the account (its state
-- directory's index, cli/state.lua), oldest first.
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local json = require "clevertap.cli.json"
local state = require "clevertap.cli.state"
local journals = require "clevertap.cli.journals"

local M = {}

--- The account's sends: { id, path, summary } each (unreadable journals left out).
function M.list(account_id, only_state)
  local out = {}
  for _, path in ipairs(state.sends(account_id)) do
    local sm = journals.summary(path)
    if sm and (not only_state or sm.state == only_state) then
      out[#out + 1] = { id = state.send_id(path), path = path, summary = sm }
    end
  end
  return out
end

--- One line for a send.
function M.line(e)
  local sm = e.summary
  return string.format("%-26s %-20s %-8s %10s accepted %8s failed %8s unknown %10s not sent  %s",
    e.id, tostring(sm.started_at or "?"), tostring(sm.channel or "?"), fmt.thousands(sm.accepted),
    fmt.thousands(sm.failed), fmt.thousands(sm.unknown), fmt.thousands(sm.not_sent), sm.state)
end

function M.run(ctx, positional, _, result)
  if #positional > 0 then return exit.USAGE, "sends takes no arguments" end
  local s, serr = ctx:settings()
  if not s then return ctx:fail(exit.USAGE, serr, nil, result) end
  if not s.account_id then
    return ctx:fail(exit.USAGE, "no account id: set CLEVERTAP_ACCOUNT_ID, pass --account-id or use a profile",
      nil, result)
  end
  local list = M.list(s.account_id)
  result.sends = json.array()
  for i, e in ipairs(list) do
    local sm = e.summary
    result.sends[i] = { id = e.id, journal = e.path, started_at = sm.started_at, channel = sm.channel,
      accepted = sm.accepted, failed = sm.failed, unknown = sm.unknown, not_sent = sm.not_sent,
      requests = sm.requests, state = sm.state }
    ctx:say("%s", M.line(e))
  end
  if #list == 0 then ctx:say("no journaled sends for account %s", s.account_id) end
  return exit.OK
end

return M
