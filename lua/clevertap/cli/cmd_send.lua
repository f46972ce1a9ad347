--- clevertap send CHANNEL FILE --ids FILE|-: one message to any number of
-- identities, streamed from a file so that 10 million lines never sit in
-- memory; the client batches them (1000 per request) and reports on each.
local checks = require "clevertap.cli.checks"
local exit = require "clevertap.cli.exit"
local fmt = require "clevertap.cli.fmt"
local ids = require "clevertap.cli.ids"
local json = require "clevertap.cli.json"
local progress = require "clevertap.cli.progress"

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

local function write_rest(f, report)
  local n = 0
  for _, list in ipairs({ report.failed or {}, report.unknown or {} }) do
    for _, e in ipairs(list) do
      each_identity(e.to, function(ty, v)
        f:write(ty, ":", v, "\n")
        n = n + 1
      end)
    end
  end
  f:close()
  return n
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
  if o.progress and o["no-progress"] then return exit.USAGE, "--progress and --no-progress contradict each other" end
  if o.progress and o.quiet then return exit.USAGE, "--progress and -q contradict each other" end
  if o["confirm-above"] and not o["confirm-above"]:match("^%d+$") then
    return exit.USAGE, "--confirm-above expects a whole number, got '" .. o["confirm-above"] .. "'"
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

local function progress_bar(ctx, o, total)
  local mode = "off"
  if o.progress then mode = "bar"
  elseif not o["no-progress"] and not ctx.json and not ctx.dry_run and not ctx.quiet then
    mode = progress.stderr_is_terminal() and "bar" or "lines"
  end
  return progress.new(ctx.stderr, mode, total)
end

-- Phase 5: the report into the result (JSON output) and its groups.
local function record(result, report, source)
  local failed_n, unknown_n = sum(report.failed), sum(report.unknown)
  result.identities = source.total
  result.accepted = report.accepted
  result.failed = failed_n
  result.unknown = unknown_n
  result.requests = report.requests
  local groups = json.array()
  local index = {}
  group(report.failed, "failed", groups, index)
  group(report.unknown, "unknown", groups, index)
  result.problems = groups
end

-- Phase 6: the summary for people.
local function summarize(ctx, path, channel, report, result)
  if ctx.dry_run then return ctx:dry_summary(result) end
  ctx:say("%s: %s sent on %s: %s accepted, %s failed, %s unknown, %s", path,
    fmt.identities(result.identities), channel,
    fmt.thousands(report.accepted or 0), fmt.thousands(result.failed), fmt.thousands(result.unknown),
    fmt.plural(report.requests or 0, "request"))
  for _, g in ipairs(result.problems) do
    ctx:say("  %s %s: %s", g.outcome, fmt.thousands(g.identities),
      (g.error.kind and (g.error.kind .. ": ") or "") .. tostring(g.error.message))
  end
  if result.failed_ids_file then
    ctx:say("  %s written to %s", fmt.identities(result.failed_ids_written),
      result.failed_ids_file)
  end
end

function M.run(ctx, positional, o, result)
  local ucode, umsg = check_usage(ctx, positional, o)
  if ucode then return ucode, umsg end
  local channel, path = positional[1], positional[2]
  local endpoint = "send/" .. channel
  result.channel = channel

  local payload, code = load_message(ctx, path, endpoint, o, result)
  if not payload then return code end

  -- The file for the rest is opened first: finding out it cannot be
  -- written after the send would lose the list it is meant to keep.
  local rest_file
  if o["failed-ids"] then
    local ferr
    rest_file, ferr = io.open(o["failed-ids"], "w")
    if not rest_file then
      return ctx:fail(exit.FAILURE, "cannot write --failed-ids file: " .. tostring(ferr) .. "; nothing was sent",
        nil, result)
    end
  end

  local report_file
  if o.report then
    local ferr
    report_file, ferr = io.open(o.report, "w")
    if not report_file then
      if rest_file then rest_file:close() end
      return ctx:fail(exit.FAILURE, "cannot write --report file: " .. tostring(ferr) .. "; nothing was sent",
        nil, result)
    end
  end

  -- A run that never reaches the send leaves no report behind.
  local function drop_report()
    if report_file then report_file:close(); os.remove(o.report) end
  end

  local core = require "clevertap.core"
  local timing = { started_at = os.time(), read_started = core.now() }
  local source, scode = identity_source(ctx, payload, o, result)
  timing.read = core.now() - timing.read_started
  if not source then drop_report(); return scode end
  timing.lines = source.lines
  local bar = progress_bar(ctx, o, source.total)

  local extra = { logger = ctx:logger(bar.mode ~= "off" and bar.event or nil) }
  if o["resend-unknown"] then extra.resend_unknown = true end
  local client, ccode = ctx:client(extra, result)
  if not client then
    if not source.own then ids.close(source) end
    drop_report()
    return ccode
  end

  -- The question before a big send to a real account (never without a terminal).
  local confirm = require "clevertap.cli.confirm"
  local above = tonumber(o["confirm-above"]) or confirm.DEFAULT_ABOVE
  if not o.yes and not ctx.dry_run and source.total > above and not confirm.is_local(ctx.target_base_url) then
    local answer = confirm.ask(string.format("clevertap: send %s to %s on %s?", channel,
      fmt.identities(source.total), ctx.target_base_url or "the account's region"), progress.stderr_is_terminal())
    if answer == false then
      if not source.own then ids.close(source) end
      drop_report()
      return ctx:fail(exit.DECLINED, "not confirmed; nothing was sent (--yes skips the question)", nil, result)
    end
  end

  -- Phase 4: the send.
  local send_started = core.now()
  local message = {}
  for k, v in pairs(payload) do message[k] = v end
  if not source.own then message.to = ids.to(source) end
  local report, err = client:send(channel, message, {
    on_progress = function(p)
      bar.update(math.min(source.read, source.total), p.accepted, p.requests)
    end,
  })
  if not source.own then ids.close(source) end
  if report then bar.finish(source.total, report.accepted, report.requests) else bar.finish() end
  if not report then
    if type(err) == "table" and err.report then report = err.report
    else drop_report(); return ctx:fail(exit.for_error(err), "send failed", err, result) end
  end

  timing.send, timing.finished_at = core.now() - send_started, os.time()
  record(result, report, source)
  code = M.code_for(report)
  if report_file then
    result.file, result.ids_file = path, o.ids
    result.exit_code, result.ok = err and exit.for_error(err) or code, (code == exit.OK and not err)
    local written, werr = require("clevertap.cli.report").write(report_file, o.report,
      require("clevertap.cli.report").document(result, report, timing, ctx.error_table))
    result.file, result.ids_file, result.exit_code, result.ok = nil, nil, nil, nil
    if not written then ctx:note("clevertap: %s", werr) else result.report_file = o.report end
  end
  if rest_file then
    local n = write_rest(rest_file, report)
    result.failed_ids_file = o["failed-ids"]
    result.failed_ids_written = n
  end
  summarize(ctx, path, channel, report, result)

  if err then
    return ctx:fail(exit.for_error(err), "send stopped", err, result)
  end
  if code ~= exit.OK and not ctx.json then
    ctx:note("clevertap: %s", code == exit.PARTIAL and "partial delivery" or "nothing was accepted")
  end
  return code
end

return M
