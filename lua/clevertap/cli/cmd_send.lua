--- clevertap send CHANNEL FILE --ids FILE|-: one message to any number of
-- identities, streamed from a file so that 10 million lines never sit in
-- memory; the client batches them (1000 per request) and reports on each.
local checks = require "clevertap.cli.checks"
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local ids = require "clevertap.cli.ids"
local json = require "clevertap.cli.json"
local progress = require "clevertap.cli.progress"
local rest_ids = require "clevertap.cli.rest_ids"
local state = require "clevertap.cli.state"
local tempfiles = require "clevertap.cli.tempfiles"
local signals = require "clevertap.cli.signals"
local drive = require "clevertap.cli.drive"

local M = {}

local CHANNELS = { push = true, webpush = true, email = true, sms = true }

-- Identities of a report entry's `to` ({Identity = {...}, Email = {...}}),
-- in a stable order.
local function each_identity(to, fn)
  for _, ty in ipairs(ids.TYPES) do
    for _, v in ipairs(type(to) == "table" and to[ty] or {}) do fn(ty, v) end
  end
end

local function count_to(to)
  local n = 0
  each_identity(to, function() n = n + 1 end)
  return n
end

-- Failed and unknown entries grouped by what went wrong, for a short summary.
local function group(entries, outcome, groups, index)
  for _, e in ipairs(entries or {}) do
    local err = e.error
    local key = outcome .. "\0" .. tostring(err)
    local g = index[key]
    if not g then
      g = { outcome = outcome, identities = 0, error = require("clevertap.cli.context").error_table(err) }
      index[key] = g
      groups[#groups + 1] = g
    end
    g.identities = g.identities + count_to(e.to)
  end
end

local function sum(entries)
  local n = 0
  for _, e in ipairs(entries or {}) do n = n + count_to(e.to) end
  return n
end

--- The exit code a send report earns.
function M.code_for(report)
  if report.ok then return exit.OK end
  if (report.accepted or 0) > 0 then return exit.PARTIAL end
  local first = report.failed and report.failed[1]
  if first then return exit.for_error(first.error) end
  return exit.NETWORK
end

-- Phase 1: the command line itself. Returns nil when it is usable, else
-- the usage exit code and message.
local function check_usage(ctx, positional, o)
  local channel, path = positional[1], positional[2]
  if not channel or not path then return exit.USAGE, "send needs CHANNEL and FILE (and --ids FILE|-)" end
  if #positional > 2 then return exit.USAGE, "send takes CHANNEL and FILE, got " .. #positional .. " arguments" end
  if not CHANNELS[channel] then
    return exit.USAGE, "CHANNEL must be push, webpush, email or sms, got '" .. channel .. "'"
  end
  if not o.ids then
    -- Without --ids only a payload with its own `to` can be sent; anything
    -- else (a message file, a file that does not load) is a usage mistake.
    local loaded = require("clevertap.cli.campaigns").load(path, ctx.vars)
    if not (loaded and #loaded == 1 and loaded[1].payload.to ~= nil) then
      return exit.USAGE, "send needs --ids FILE (one identity per line, - for stdin), or a 'to' in the message file"
    end
  end
  local default_type = o.type or "Identity"
  if not ids.is_type(default_type) then
    return exit.USAGE, "--type must be one of " .. table.concat(ids.TYPES, ", ") .. ", got '" .. default_type .. "'"
  end
  if o.type and o["type-column"] then
    return exit.USAGE, "--type and --type-column contradict each other: one type per run, or a column naming it"
  end
  if o.format and not ids.FORMATS[o.format] then
    return exit.USAGE, "--format must be lines, csv, tsv or jsonl, got '" .. o.format .. "'"
  end
  if not o.ids then
    for _, flag in ipairs({ "column", "type-column", "format", "keep-duplicates", "skip-invalid" }) do
      if o[flag] then return exit.USAGE, "--" .. flag .. " needs --ids" end
    end
  end
  local _, perr = progress.mode(ctx, o)
  if perr then return exit.USAGE, perr end
  if o["confirm-above"] and not o["confirm-above"]:match("^%d+$") then
    return exit.USAGE, "--confirm-above expects a whole number, got '" .. o["confirm-above"] .. "'"
  end
  if o.journal and o["no-journal"] then return exit.USAGE, "--journal and --no-journal contradict each other" end
  if o.grace and not (tonumber(o.grace) and tonumber(o.grace) >= 0) then
    return exit.USAGE, "--grace expects seconds (a number >= 0), got '" .. o.grace .. "'"
  end
  return nil
end

-- Phase 2: the one message, validated as a send payload whose identities
-- come later (checks.check stands in for `to`). Identities come from --ids
-- or (a payload as the reference writes it) from the file's own `to`; not
-- both. Returns the payload, or nil and the exit code.
local function load_message(ctx, path, endpoint, o, result)
  local has_to = false
  local items, code = checks.load_for_sending(ctx, path, endpoint, result, function(payload)
    if payload.to ~= nil then has_to = true end
    return payload
  end)
  if not items then return nil, code end
  if #items ~= 1 then
    return nil, ctx:fail(exit.INVALID, path .. ": send takes one message, the file returned " .. #items, nil, result)
  end
  if has_to and o.ids then
    return nil, ctx:fail(exit.INVALID, path .. ": /to: remove 'to' from the message file; identities come from --ids",
      nil, result)
  end
  return items[1].payload
end

-- Phase 3: the identities. Every line is checked (and counted, for the
-- progress bar) before anything is sent; standard input is copied to a
-- temporary file on the way. Returns the source, or nil and the exit code.
local function identity_source(ctx, payload, o, result)
  local source, serr
  if o.ids then
    source, serr = ids.scan(o.ids, {
      type = o.type or "Identity", column = o.column, type_column = o["type-column"], format = o.format,
      keep_duplicates = o["keep-duplicates"], skip_invalid = o["skip-invalid"],
    })
  else
    local n = count_to(payload.to)
    source = { total = n, read = n, own = true }
  end
  if not source then return nil, ctx:fail(exit.INVALID, serr .. "; nothing was sent", nil, result) end
  local where = o.ids == "-" and "stdin" or o.ids
  if source.invalid and source.invalid > 0 then
    result.invalid_skipped = source.invalid
    result.invalid_samples = json.array(source.invalid_samples)
    ctx:notice("clevertap: %s: skipped %s (--skip-invalid), first: %s", where,
      fmt.plural(source.invalid, "invalid line"), source.invalid_samples[1])
  end
  if source.duplicates and source.duplicates > 0 then
    result.duplicates = source.duplicates
    ctx:notice("clevertap: %s: %s duplicate %s removed (--keep-duplicates sends them)", where,
      fmt.thousands(source.duplicates), source.duplicates == 1 and "identity" or "identities")
  end
  if source.total == 0 then
    if not source.own then ids.close(source) end
    return nil, ctx:fail(exit.INVALID, (o.ids == "-" and "stdin" or o.ids) .. ": no identities; nothing was sent",
      nil, result)
  end
  return source
end

-- The report into the result (JSON output) and its groups.
local function record(result, report, total)
  local failed_n, unknown_n, not_sent_n = sum(report.failed), sum(report.unknown), sum(report.not_sent)
  result.identities = total
  result.accepted = report.accepted
  result.failed = failed_n
  result.unknown = unknown_n
  -- never sent: batches built but not started, and what was never read
  result.not_sent = math.max(not_sent_n, total - (report.accepted or 0) - failed_n - unknown_n)
  result.requests = report.requests
  local groups = json.array()
  local index = {}
  group(report.failed, "failed", groups, index)
  group(report.unknown, "unknown", groups, index)
  result.problems = groups
end

local function files_quote(s)
  if s:match("^[%w%._/%-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The summary for people. A resume's counts are the whole send's (the
-- journal's), its requests only this run's: the line says so.
local function summarize(ctx, path, channel, report, result)
  if ctx.dry_run then return ctx:dry_summary(result) end
  ctx:say("%s: %s %s on %s: %s accepted, %s failed, %s unknown%s, %s%s", path,
    fmt.identities(result.identities), result.interrupted and "to send, interrupted" or "sent", channel,
    fmt.thousands(report.accepted or 0), fmt.thousands(result.failed), fmt.thousands(result.unknown),
    (result.not_sent > 0 or result.interrupted) and (", " .. fmt.thousands(result.not_sent) .. " not sent") or "",
    fmt.plural(report.requests or 0, "request"), result.command == "resume" and " in this run" or "")
  for _, g in ipairs(result.problems) do
    ctx:say("  %s %s: %s", g.outcome, fmt.thousands(g.identities),
      (g.error.kind and (g.error.kind .. ": ") or "") .. tostring(g.error.message))
  end
  if result.failed_ids_file then
    ctx:say("  %s written to %s", fmt.identities(result.failed_ids_written),
      result.failed_ids_file)
  end
  if result.interrupted and result.journal then
    ctx:say("  resume with: %s", result.resume_command)
  elseif result.interrupted then
    ctx:say("  not journaled (--no-journal): it cannot be resumed")
  end
end

-- A plan's open files and temporary copies, dropped when the send does not
-- happen (nothing was sent: no report, --failed-ids left as it was).
local function abandon(plan)
  if plan.source and not plan.source.own then ids.close(plan.source) end
  rest_ids.abort(plan.rest)
  if plan.report_file then plan.report_file:close(); os.remove(plan.report_path) end
  if plan.journal and plan.journal_fresh then
    for _, suffix in ipairs { "", "-wal", "-shm", ".json", ".ids" } do os.remove(plan.journal .. suffix) end
  end
end

-- Phase 1: read the options. The output files are opened first: finding
-- out one cannot be written after the send would lose what it is meant to
-- keep. Returns the plan, or nil and the exit code (and a usage message).
local function read_options(ctx, positional, o, result)
  local ucode, umsg = check_usage(ctx, positional, o)
  if ucode then return nil, ucode, umsg end
  local plan = { channel = positional[1], path = positional[2], o = o }
  plan.endpoint = "send/" .. plan.channel
  result.channel = plan.channel
  plan.grace = tonumber(o.grace) or drive.DEFAULT_GRACE
  if o["failed-ids"] then
    local keep = rest_ids.journal_files(o.journal)
    keep[#keep + 1] = { plan.path, "the message file" }
    keep[#keep + 1] = { o.report, "the --report file" }
    local h, err = rest_ids.open(o["failed-ids"], o.ids, keep)
    if not h then return nil, ctx:fail(exit.FAILURE, err .. "; nothing was sent", nil, result) end
    plan.rest = h
  end
  if o.report then
    local f, ferr = io.open(o.report, "w")
    if not f then
      abandon(plan)
      return nil, ctx:fail(exit.FAILURE, "cannot write --report file: " .. tostring(ferr) .. "; nothing was sent",
        nil, result)
    end
    plan.report_file, plan.report_path = f, o.report
  end
  return plan
end

-- The identities of a payload's own `to`, spooled like an ids file's.
local function spool_own(payload, path)
  local f = assert(io.open(path, "w"))
  local counts, total = {}, 0
  for _, ty in ipairs(ids.TYPES) do
    for _, v in ipairs(type(payload.to) == "table" and payload.to[ty] or {}) do
      f:write(ty, ":", v, "\n")
      counts[ty] = (counts[ty] or 0) + 1
      total = total + 1
    end
  end
  f:close()
  return { path = path, total = total, counts = counts, temp = true, read = 0 }
end

-- Moves a scanned source's copy to `to` (a rename, or a copy across file systems).
local function move_copy(source, to)
  local from = source.path
  if os.rename(from, to) then
    tempfiles.done(from)
    source.path = to
    return true
  end
  local src, dst = io.open(source.path, "rb"), io.open(to, "wb")
  if not (src and dst) then
    if src then src:close() end
    if dst then dst:close() end
    return nil
  end
  while true do
    local chunk = src:read(65536)
    if not chunk then break end
    dst:write(chunk)
  end
  src:close()
  if not dst:close() then return nil end
  os.remove(from)
  tempfiles.done(from)
  source.path = to
  return true
end

-- a file named on the command line, recorded for a resume from any
-- directory ("-" is stdin)
local function absolute(p)
  if p == "-" then return p end
  return state.absolute(p)
end

-- The journal of this send: --journal PATH, else a new one in the account's
-- state directory; none with --no-journal or --dry-run. Its identities are
-- spooled beside it (PATH.ids) and the command's record written (PATH.json)
-- before anything is sent. Returns true, or nil and the exit code.
local function prepare_journal(ctx, plan, payload, result)
  local o = plan.o
  if o["no-journal"] or ctx.dry_run then return true end
  local account = ctx:settings().account_id
  local path = o.journal
  if not path then
    local serr
    path, serr = state.new_send(account, require("clevertap.core").now())
    if not path then
      return nil, ctx:fail(exit.FAILURE, "cannot journal the send: " .. serr
        .. " (--no-journal sends without one); nothing was sent", nil, result)
    end
  end
  local probe = io.open(path, "r")
  if probe then
    local empty = probe:seek("end") == 0
    probe:close()
    local jr = require("clevertap.core").journal_report(path)
    if jr then
      return nil, ctx:fail(exit.INVALID, "journal " .. path .. " exists: `clevertap resume " .. path
        .. "` finishes its send; nothing was sent", nil, result)
    end
    -- an empty file (a process killed as it created the journal) is taken;
    -- any other file is not this command's to overwrite
    if not empty then
      return nil, ctx:fail(exit.INVALID, path .. " exists and is not a send journal: give --journal a new path; "
        .. "nothing was sent", nil, result)
    end
  end
  plan.journal, plan.journal_fresh = path, true
  local moved
  if plan.source.own then
    moved = pcall(function() plan.source = spool_own(payload, path .. ".ids") end)
  else
    moved = move_copy(plan.source, path .. ".ids")
  end
  if not moved then
    return nil, ctx:fail(exit.FAILURE, "cannot journal the send: cannot write " .. path .. ".ids; nothing was sent",
      nil, result)
  end
  local rec = { channel = plan.channel, message_file = absolute(plan.path), account_id = account,
    started_at = os.date("!%Y-%m-%dT%H:%M:%SZ"), total = plan.source.total, counts = plan.source.counts,
    ids = o.ids and absolute(o.ids) or nil }
  if o.ids and o.ids ~= "-" then
    local st = require("clevertap.core").file_stat(o.ids)
    if st then rec.ids_size, rec.ids_mtime, rec.ids_mtime_ns = st.size, st.mtime, st.mtime_ns end
  end
  local ok, werr = state.write_record(path, rec)
  if not ok then
    return nil, ctx:fail(exit.FAILURE, "cannot journal the send: " .. tostring(werr) .. "; nothing was sent", nil,
      result)
  end
  result.journal = path
  return true
end

-- Phase 2: build the source: the message, the identities (every one
-- checked before anything is sent), the client and the journal. Returns
-- true, or nil and the exit code.
local function build_source(ctx, plan, result)
  local o = plan.o
  local payload, code = load_message(ctx, plan.path, plan.endpoint, o, result)
  if not payload then abandon(plan); return nil, code end
  plan.payload = payload
  local core = require "clevertap.core"
  plan.timing = { started_at = os.time(), read_started = core.now() }
  local source, scode = identity_source(ctx, payload, o, result)
  plan.timing.read = core.now() - plan.timing.read_started
  if not source then abandon(plan); return nil, scode end
  plan.source = source
  plan.timing.lines = source.lines
  plan.bar = progress.new(ctx.stderr, progress.mode(ctx, o), source.total)
  local extra = { logger = ctx:logger(plan.bar.mode ~= "off" and plan.bar.event or nil) }
  if o["resend-unknown"] then extra.resend_unknown = true end
  local client, ccode = ctx:client(extra, result)
  if not client then abandon(plan); return nil, ccode end
  plan.client = client
  local ok, jcode = prepare_journal(ctx, plan, payload, result)
  if not ok then abandon(plan); return nil, jcode end
  return true
end

-- Phase 3: the question before a big send to a real account (never
-- without a terminal). Returns nil, or the exit code when declined.
local function confirm_send(ctx, plan, result)
  local confirm = require "clevertap.cli.confirm"
  local o, total = plan.o, plan.source.total
  local above = tonumber(o["confirm-above"]) or confirm.DEFAULT_ABOVE
  if o.yes or ctx.dry_run or total <= above or confirm.is_local(ctx.target_base_url) then return nil end
  local answer = confirm.ask(string.format("clevertap: send %s to %s on %s?", plan.channel,
    fmt.identities(total), ctx.target_base_url or "the account's region"), progress.stderr_is_terminal())
  if answer ~= false then return nil end
  abandon(plan)
  return ctx:fail(exit.DECLINED, "not confirmed; nothing was sent (--yes skips the question)", nil, result)
end

--- Drives a started job to its end (clean stop on signals) and fills the
-- plan's outcome. Shared with `clevertap resume`.
function M.drive(ctx, plan, job)
  local core = require "clevertap.core"
  local started = core.now()
  local report, err, sig = drive.run(job, { grace = plan.grace, notice = function(...) ctx:note(...) end })
  if report then plan.bar.finish(plan.source.total, report.accepted, report.requests) else plan.bar.finish() end
  plan.timing.send, plan.timing.finished_at = core.now() - started, os.time()
  return report, err, sig
end

-- Phase 4: the send. Returns the report (nil when the send did not start),
-- the error, the signal that stopped it.
local function send(ctx, plan, result)
  local message = {}
  for k, v in pairs(plan.payload) do message[k] = v end
  if plan.journal or not plan.source.own then message.to = ids.to(plan.source) end
  local source = plan.source
  signals.check() -- a SIGTERM while it read, sorted or asked: nothing is sent
  -- in the account's index before the journal exists: a process killed
  -- while it starts the send leaves a journal `clevertap sends` still lists
  -- (one that never held a send is skipped there)
  if plan.journal then state.remember(ctx:settings().account_id, plan.journal) end
  local job, err = plan.client:start_send(plan.channel, message, {
    journal = plan.journal,
    on_progress = function(p)
      plan.bar.update(math.min(source.read, source.total), p.accepted, p.requests)
    end,
  })
  if not job then
    plan.bar.finish()
    abandon(plan)
    if plan.journal and type(err) == "table" and err.journal then
      -- the journal itself (not the message) stopped it: docs/cli.md's exit 1,
      -- 3 when the path already holds a send
      local holds = tostring(err.message):find("already holds a send", 1, true)
      if not ctx.json then
        ctx:note("clevertap: cannot journal the send: %s; nothing was sent", tostring(err.message))
        return nil, holds and exit.INVALID or exit.FAILURE
      end
      return nil, ctx:fail(holds and exit.INVALID or exit.FAILURE, "cannot journal the send; nothing was sent", err,
        result)
    end
    return nil, ctx:fail(exit.for_error(err), (plan.journal and "cannot journal the send" or "send failed")
      .. "; nothing was sent", err, result)
  end
  plan.journal_fresh = false -- the journal holds the send from here on
  return M.drive(ctx, plan, job)
end

--- Phase 5: the report, --failed-ids, the summary and the exit code. Shared
-- with `clevertap resume`.
function M.finish(ctx, plan, report, err, sig, result)
  if not report then
    if type(err) == "table" and err.report then report = err.report
    else
      rest_ids.abort(plan.rest)
      if plan.report_file then plan.report_file:close(); os.remove(plan.report_path) end
      return ctx:fail(exit.for_error(err), "send failed", err, result)
    end
  end
  record(result, report, plan.source.total)
  local code = M.code_for(report)
  if sig then
    -- exits 128 + N even when the send completed during the grace: the run was stopped
    result.signal, code = signals.name(sig), 128 + sig
    result.interrupted = report.cancelled == true
    if result.interrupted and plan.journal then
      result.resume_command = "clevertap resume " .. files_quote(plan.journal)
    end
    if not result.interrupted then ctx:note("clevertap: the send completed within the grace period") end
  end
  if plan.journal then
    local jr = require("clevertap.core").journal_report(plan.journal)
    if jr and jr.state == "done" then state.forget_spool(plan.journal) end
    -- a send stopped by an error (the journal's disk full, say) resumes too
    if err and jr and jr.state == "interrupted" and not result.resume_command then
      result.interrupted = true
      result.resume_command = "clevertap resume " .. files_quote(plan.journal)
    end
  end
  if plan.report_file then
    result.file, result.ids_file = plan.path, plan.o.ids
    result.exit_code, result.ok = err and exit.for_error(err) or code, (code == exit.OK and not err)
    local written, werr = require("clevertap.cli.report").write(plan.report_file, plan.report_path,
      require("clevertap.cli.report").document(result, report, plan.timing, ctx.error_table))
    result.file, result.ids_file, result.exit_code, result.ok = nil, nil, nil, nil
    if not written then ctx:note("clevertap: %s", werr) else result.report_file = plan.report_path end
  end
  if plan.rest then
    rest_ids.add_entries(plan.rest, report.failed)
    rest_ids.add_entries(plan.rest, report.unknown)
    rest_ids.add_entries(plan.rest, report.not_sent)
    if result.not_sent > sum(report.not_sent) then
      rest_ids.add_unread(plan.rest, plan.source.path, plan.source.read)
    end
    local n, werr = rest_ids.commit(plan.rest)
    if n then result.failed_ids_file, result.failed_ids_written = plan.o["failed-ids"], n
    else ctx:note("clevertap: %s", werr) end
  end
  summarize(ctx, plan.path, plan.channel, report, result)
  -- a journal's spool stays until its send is done (above); a plain send's copy goes now
  if not plan.journal and not plan.source.own then ids.close(plan.source) end
  if sig then return code end
  if err then
    -- some identities accepted before it stopped: a partial delivery
    return ctx:fail((report.accepted or 0) > 0 and exit.PARTIAL or exit.for_error(err), "send stopped", err, result)
  end
  if code ~= exit.OK and not ctx.json then
    ctx:note("clevertap: %s", code == exit.PARTIAL and "partial delivery" or "nothing was accepted")
  end
  return code
end

function M.run(ctx, positional, o, result)
  local plan, code, msg = read_options(ctx, positional, o, result)
  if not plan then return code, msg end
  local ok, bcode = build_source(ctx, plan, result)
  if not ok then return bcode end
  local declined = confirm_send(ctx, plan, result)
  if declined then return declined end
  local report, err, sig = send(ctx, plan, result)
  if report == nil and type(err) == "number" then return err end
  return M.finish(ctx, plan, report, err, sig, result)
end

return M
