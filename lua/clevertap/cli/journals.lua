--- A journaled send as the command sees it: its journal (read without the
-- lock, core.journal_report), the command's record beside it (state.lua) and
-- the report `clevertap report` and `clevertap sends` print.
local core = require "clevertap.core"
local state = require "clevertap.cli.state"
local rest_ids = require "clevertap.cli.rest_ids"

local M = {}

--- A journal argument: a path, or a send id of the account (clevertap sends).
function M.resolve(arg, account_id)
  local f = io.open(arg, "r")
  if f then f:close(); return arg end
  if account_id and arg:match("^[%w%-_.]+$") then
    local dir = state.account_dir(account_id)
    local path = dir and (dir .. "/sends/" .. arg .. ".db")
    local g = path and io.open(path, "r")
    if g then g:close(); return path end
    -- a --journal PATH of the account's sends, by the id `clevertap sends` shows
    local found = {}
    for _, p in ipairs(state.sends(account_id)) do
      if state.send_id(p) == arg then found[#found + 1] = p end
    end
    if #found == 1 then return found[1] end
    if #found > 1 then
      return nil, "send id " .. arg .. " names several journals (" .. table.concat(found, ", ") .. "): give its path"
    end
  end
  return nil, "no journal " .. arg .. " (a journal path, or a send id from clevertap sends)"
end

--- The send's report: identity counts (in flight at a crash: unknown; never
-- sent: planned batches and what the source still held), requests (batches
-- sent: first tries, retries are not journaled), state. nil, message when
-- `path` is not a journal.
function M.summary(path)
  local jr, err = core.journal_report(path)
  if not jr then return nil, err end
  local rec = state.read_record(path) or {}
  local total = rec.total or jr.total
  local running = jr.state == "running"
  local s = {
    accepted = jr.accepted, failed = jr.failed,
    unknown = jr.unknown + (running and 0 or jr.in_flight),
    requests = jr.sent, state = jr.state, position = jr.position,
    channel = rec.channel, started_at = rec.started_at, ids = rec.ids, total = total,
  }
  if running then s.in_flight = jr.in_flight end
  local unread = 0
  if total then unread = math.max(0, total - jr.position)
  elseif not jr.source_read then s.unread_unknown = true end
  s.not_sent = jr.planned + unread
  return s, jr
end

--- Rows { type, value, error kind, message } of one outcome (failed,
-- unknown, not_sent), in the journal's order, for fn.
function M.each_identity(path, kind, fn)
  local cjson = require "cjson"
  local states = { failed = { "failed" }, unknown = { "unknown", "in_flight" }, not_sent = { "planned" } }
  for _, st in ipairs(states[kind]) do
    for _, b in ipairs(core.journal_batches(path, st) or {}) do
      local ok, to = pcall(cjson.decode, b.to or "{}")
      if ok and type(to) == "table" then
        for _, ty in ipairs(require("clevertap.cli.ids").TYPES) do
          for _, v in ipairs(to[ty] or {}) do fn(ty, v, b.kind, b.message) end
        end
      end
    end
  end
  if kind == "not_sent" then
    local jr = core.journal_report(path)
    -- the source's unread rest, from the spool
    if jr then rest_ids.each_unread(path .. ".ids", jr.position, function(ty, v) fn(ty, v) end) end
  end
end

return M
