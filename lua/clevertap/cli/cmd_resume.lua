--- clevertap resume [JOURNAL]: finishes a journaled send. The identities
-- come from the journal's spool (PATH.ids: the ids file or stdin as the
-- send read it); a file source that changed since the send is refused
-- before anything is sent. The drive, the report, --failed-ids and the exit
-- code are send's (cmd_send.lua).
local core = require "clevertap.core"
local exit = require "clevertap.cli.exit"
local ids = require "clevertap.cli.ids"
local progress = require "clevertap.cli.progress"
local rest_ids = require "clevertap.cli.rest_ids"
local state = require "clevertap.cli.state"
local tempfiles = require "clevertap.cli.tempfiles"
local signals = require "clevertap.cli.signals"
local journals = require "clevertap.cli.journals"
local sends = require "clevertap.cli.cmd_sends"
local cmd_send = require "clevertap.cli.cmd_send"
local drive = require "clevertap.cli.drive"

local M = {}

-- Without JOURNAL: the account's one interrupted send, or the list (and on
-- a terminal, the question which). Returns the path, or nil and the exit code.
local function pick(ctx, account, o, result)
  local list = sends.list(account, "interrupted")
  if #list == 1 then return list[1].path end
  if #list == 0 then
    return nil, ctx:fail(exit.INVALID, "no interrupted send for account " .. account .. " (clevertap sends lists "
      .. "them all)", nil, result)
  end
  local lines = {}
  for i, e in ipairs(list) do lines[i] = "  " .. sends.line(e) end
  local text = table.concat(lines, "\n")
  local tty = not o.yes and progress.stderr_is_terminal() and io.open("/dev/tty", "r+")
  if tty then
    tty:write(#list, " interrupted sends:\n", text, "\nresume which (id or path)? ")
    tty:flush()
    local answer = (tty:read("*l") or ""):match("^%s*(.-)%s*$")
    tty:close()
    local path = answer ~= "" and journals.resolve(answer, account)
    if path then return path end
    return nil, ctx:fail(exit.USAGE, "no send '" .. answer .. "'; nothing was sent", nil, result)
  end
  ctx:note("clevertap: %d interrupted sends:\n%s", #list, text)
  return nil, ctx:fail(exit.USAGE, "several interrupted sends: name one (clevertap resume ID|PATH)", nil, result)
end

-- The identities file of the first run, unchanged since (size, mtime). A
-- refusal says how to go on: the file as it was, or the identities the send
-- did not reach (the journal's spool still holds them) for a new send.
local function check_unchanged(rec, path)
  if not rec or not rec.ids or rec.ids == "-" or not rec.ids_size then return true end
  local way_on = "; put it back as it was to resume, or list what the send did not reach with clevertap report "
    .. path .. " --csv not_sent (and --csv unknown, --csv failed) for a new send"
  local st = core.file_stat(rec.ids)
  if not st then return nil, rec.ids .. ": the send's identities file is gone" .. way_on end
  if st.size ~= rec.ids_size or st.mtime ~= rec.ids_mtime or (rec.ids_mtime_ns and st.mtime_ns ~= rec.ids_mtime_ns)
  then
    return nil, rec.ids .. " changed since the send (size or modification time): the journal's positions do "
      .. "not hold for it" .. way_on
  end
  return true
end

local function remove_copy(copy)
  for _, suffix in ipairs { "", "-wal", "-shm" } do
    os.remove(copy .. suffix)
    tempfiles.done(copy .. suffix)
  end
end

-- A copy of the journal (and its WAL, if a crash left one) for --dry-run:
-- the run's printed requests are answered as accepted, which must not reach
-- the journal itself. Returns the copy's path, or nil, message.
local function dry_copy(path)
  local copy = tempfiles.new()
  -- SQLite opens the copy's -wal and -shm beside it: gone with it on Ctrl-C
  tempfiles.track(copy .. "-wal")
  tempfiles.track(copy .. "-shm")
  for _, suffix in ipairs { "", "-wal" } do
    local from = io.open(path .. suffix, "rb")
    if from then
      local data = from:read("*a")
      from:close()
      local to, err = io.open(copy .. suffix, "wb")
      if not to or not to:write(data) or not to:close() then
        remove_copy(copy)
        return nil, "cannot copy the journal for --dry-run: " .. tostring(err)
      end
    end
  end
  return copy
end

function M.run(ctx, positional, o, result)
  if #positional > 1 then return exit.USAGE, "resume takes one JOURNAL (a path or a send id)" end
  local _, mode_err = progress.mode(ctx, o)
  if mode_err then return exit.USAGE, mode_err end
  if o.grace and not (tonumber(o.grace) and tonumber(o.grace) >= 0) then
    return exit.USAGE, "--grace expects seconds (a number >= 0), got '" .. o.grace .. "'"
  end
  local s, serr = ctx:settings()
  if not s then return ctx:fail(exit.USAGE, serr, nil, result) end
  local path, code
  if positional[1] then
    local perr
    path, perr = journals.resolve(positional[1], s.account_id)
    if not path then return ctx:fail(exit.INVALID, perr .. "; nothing was sent", nil, result) end
  elseif not s.account_id then
    return ctx:fail(exit.USAGE, "resume needs a JOURNAL, or an account id to look for interrupted sends", nil,
      result)
  else
    path, code = pick(ctx, s.account_id, o, result)
    if not path then return code end
  end
  result.journal = path
  local sm, jerr = journals.summary(path)
  if not sm then return ctx:fail(exit.INVALID, jerr .. "; nothing was sent", nil, result) end
  local rec = state.read_record(path)
  local unchanged, why = check_unchanged(rec, path)
  if not unchanged then return ctx:fail(exit.INVALID, why .. "; nothing was sent", nil, result) end

  local spool = path .. ".ids"
  local f = io.open(spool, "r")
  local source
  if f and rec then
    f:close()
    -- the spool goes once the send is done; a --dry-run leaves it
    source = { path = spool, total = rec.total, counts = rec.counts or {}, temp = not ctx.dry_run, read = 0 }
  else
    if f then f:close() end
    -- a journal of the library's (no spool): resumable once its source was read to its end
    source = { own = true, total = sm.total or (sm.accepted + sm.failed + sm.unknown + sm.not_sent), read = 0 }
  end
  -- --dry-run resumes a copy: the journal stays as it was
  local target = path
  if ctx.dry_run then
    local cerr
    target, cerr = dry_copy(path)
    if not target then return ctx:fail(exit.FAILURE, cerr .. "; nothing was sent", nil, result) end
  end
  local plan = { channel = (rec and rec.channel) or sm.channel or "?", path = path, o = o,
    journal = not ctx.dry_run and path or nil,
    source = source, grace = tonumber(o.grace) or drive.DEFAULT_GRACE,
    timing = { started_at = os.time(), read = 0 } }
  result.channel = plan.channel
  if o["failed-ids"] then
    local keep = rest_ids.journal_files(path)
    keep[#keep + 1] = { rec and rec.message_file, "the send's message file" }
    local h, herr = rest_ids.open(o["failed-ids"], rec and rec.ids, keep)
    if not h then return ctx:fail(exit.FAILURE, herr .. "; nothing was sent", nil, result) end
    plan.rest = h
  end
  plan.bar = progress.new(ctx.stderr, progress.mode(ctx, o), source.total)
  local client, ccode = ctx:client(nil, result)
  if not client then
    rest_ids.abort(plan.rest)
    if target ~= path then remove_copy(target) end
    return ccode
  end
  signals.check()
  local job, err = client:start_resume(target, {
    to = not source.own and ids.to(source) or nil,
    resend_unknown = o["resend-unknown"] or nil,
  })
  if not job then
    rest_ids.abort(plan.rest)
    if target ~= path then remove_copy(target) end
    return ctx:fail(exit.for_error(err), "cannot resume " .. path .. "; nothing was sent", err, result)
  end
  local report, rerr, sig = cmd_send.drive(ctx, plan, job)
  if target ~= path then remove_copy(target) end
  return cmd_send.finish(ctx, plan, report, rerr, sig, result)
end

return M
