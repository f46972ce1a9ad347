--- provider:send: renders, then runs the requests through clevertap.http
-- (the engine of the CleverTap client: limits, retries, unknown outcomes)
-- and reports every recipient like client:send does.
local answer = require "clevertap.sms.answer"
local oauth = require "clevertap.sms.oauth"
local errors = require "clevertap.sms.errors"
local options = require "clevertap.options"
local runner_mod = require "clevertap.runner"

local M = {}

-- Options of send that are not render options.
local SEND_ONLY = { http = "table", runner = "table", on_progress = "function", dry_run = "boolean",
  logger = "function" }
local RUNNER_OPTION = {
  timeout = true, connect_timeout = true, concurrency = true, rate = true, retry = true,
  verify_tls = true, ca_file = true, transport = true,
}

-- Report entries are per recipient; `count` (1) is read through a shared
-- metatable, like the client report's count of identities per entry, so an
-- entry's own fields stay { to =, error = } (and message_id with $$MessageID).
local ENTRY_MT = { __index = { count = 1 } }
local function entry(to, err, message_id)
  return setmetatable({ to = to, error = err, message_id = message_id }, ENTRY_MT)
end

-- The SPEC's report fields are the report's own; `sent` and `batches` are
-- read through its metatable.
local function report_of(fields, more)
  return setmetatable(fields, { __index = more })
end

local function runner_for(provider, opts)
  if opts.runner then return opts.runner end
  local http = require "clevertap.http"
  return http.new(opts.http or provider.compiled.http or {})
end

-- Phase 1: the caller's options split into render options and send options
-- (runner options given directly, `timeout = 5`, go under `http`). Misuse
-- raises at the caller of provider:send (level 4 from here).
local function split_options(opts, c)
  local ropts, sopts = {}, {}
  local http_top
  for k, v in pairs(opts) do
    if RUNNER_OPTION[k] then
      http_top = http_top or {}
      http_top[k] = v
    elseif SEND_ONLY[k] then
      if type(v) ~= SEND_ONLY[k] then error(options.wrong_type(k, SEND_ONLY[k], v, "send"), 4) end
      sopts[k] = v
    else
      ropts[k] = v
    end
  end
  if http_top then
    local h = {}
    for k, v in pairs(sopts.http or c.http or {}) do h[k] = v end
    for k, v in pairs(http_top) do h[k] = v end
    sopts.http = h
  end
  return ropts, sopts
end

-- A dry run: nothing sent, what would be, per message (encoding, segments, ids).
local function dry_run_report(reqs)
  local messages = {}
  for _, r in ipairs(reqs) do
    for _, m in ipairs(r.messages) do messages[#messages + 1] = m end
  end
  return { ok = true, dry_run = true, accepted = 0, failed = {}, unknown = {}, requests = 0, batches = 0,
    sent = {}, rendered = reqs, messages = messages }
end

-- A token that could not be had: nothing was sent, so err.report accounts
-- for every recipient as failed. (The entries carry a copy of err: err
-- itself holds the report.)
local function token_failure(reqs, err)
  local failed, each = {}, setmetatable({}, getmetatable(err))
  for k, v in pairs(err) do each[k] = v end
  for _, r in ipairs(reqs) do
    for k, to in ipairs(r.to) do
      failed[#failed + 1] = entry(to, each, r.message_ids and r.message_ids[k])
    end
  end
  err.report = report_of({ ok = false, accepted = 0, failed = failed, unknown = {}, requests = 0 },
    { sent = {}, batches = 0 })
  return nil, err
end

-- Phase 3: the rendered requests as the runner's items, with the token.
local function http_requests(reqs, token)
  local list = {}
  for i, r in ipairs(reqs) do
    local headers = {}
    for k, v in pairs(r.headers) do headers[k] = v end
    if token then headers.Authorization = "Bearer " .. token end
    list[i] = { method = r.method, url = r.url, headers = headers, body = r.body, items = r.to, sms_index = i }
  end
  return list
end

-- logger(level, message), as the client's: "warn" for retries and unknown
-- outcomes, "info" for refusals and token refreshes; secrets replaced. A
-- raising logger does not stop the send: its error is kept in
-- `kept.callback_errors`, for the report.
local function logger_for(sopts, c, kept)
  local logger = sopts.logger or c.logger
  return function(level, req, msg)
    if not logger then return end
    local line = errors.redact(req.method .. " " .. req.url .. ": " .. msg, c.secrets)
    local ok, e = pcall(logger, level, line)
    if not ok then runner_mod.keep_error(kept, "logger", e) end
  end
end

-- The report's callback_errors: the runner's (on_progress) then the logger's.
local function attach_callback_errors(out, report, kept)
  local list = report.callback_errors
  for _, e in ipairs(kept.callback_errors or {}) do
    if not list then list = { dropped = 0 } end
    list[#list + 1] = e
  end
  if list and kept.callback_errors then list.dropped = list.dropped + kept.callback_errors.dropped end
  out.callback_errors = list
  return out
end

-- Phase 4: the runner's classify. The provider's answer decides (ids[i]
-- gets the provider's message id); with OAuth2 a 401 gets one fresh token
-- and one more try. `owned` collects runners made here, for closing.
local function classifier(provider, sopts, log, ids, owned)
  local c = provider.compiled
  local oauth2 = c.auth.type == "oauth2"
  local refreshed, token_runner = {}, nil
  return function(res, req)
    local i = req.sms_index
    if oauth2 and res.status == 401 and not refreshed[i] then
      log("info", req, "HTTP 401: the token was refused; one new token, one more try")
      -- The token expired or was revoked. Requests that failed with a token
      -- another request already replaced just take the new one.
      refreshed[i] = true
      local fresh = oauth.cached(provider)
      if not fresh or (req.headers and req.headers.Authorization) == "Bearer " .. fresh then
        oauth.forget(provider)
        -- The run in progress owns the runner: the token comes through another.
        if not token_runner then
          token_runner = require("clevertap.http").new(sopts.http or c.http or {})
          owned[#owned + 1] = token_runner
        end
        local terr
        fresh, terr = oauth.fetch(provider, token_runner)
        if not fresh then return "fail", terr end
      end
      return "retry", { headers = { Authorization = "Bearer " .. fresh }, after = 0 }
    end
    local verdict, detail, id = answer.classify(c, res)
    if verdict == "ok" then
      ids[i] = id or false
    elseif verdict == "retry" then
      log("warn", req, "HTTP " .. res.status .. ": retried")
    end
    return verdict, detail
  end
end

-- Phase 5: the runner's report per recipient, as the client's send report,
-- with refusals and unknown outcomes logged.
local function recipient_report(report, reqs, list, ids, c, log)
  local sent = {}
  local out = report_of({ ok = report.ok, accepted = report.accepted, failed = {}, unknown = {},
    requests = report.requests }, { batches = #reqs, sent = sent })
  local function per_recipient(entries, into)
    for _, e in ipairs(entries) do
      local r = reqs[e.request]
      local e_err = e.error
      if type(e_err) == "table" and e_err.message then e_err.message = errors.redact(e_err.message, c.secrets) end
      for k, to in ipairs(e.items or (r and r.to) or {}) do
        into[#into + 1] = entry(to, e_err, r and r.message_ids and r.message_ids[k])
      end
    end
  end
  per_recipient(report.failed, out.failed)
  per_recipient(report.unknown, out.unknown)
  for _, which in ipairs { "failed", "unknown" } do
    for _, e in ipairs(report[which]) do
      local req = list[e.request]
      if req then
        log(which == "unknown" and "warn" or "info", req, (which == "unknown" and "outcome unknown, not re-sent: "
          or "refused: ") .. tostring(type(e.error) == "table" and e.error.message or e.error))
      end
    end
  end
  for i, r in ipairs(reqs) do
    if ids[i] ~= nil then
      for k, to in ipairs(r.to) do
        sent[#sent + 1] = { to = to, message_id = r.message_ids and r.message_ids[k],
          provider_id = ids[i] or nil }
      end
    end
  end
  return out
end

-- The runner for this send, and the list of runners it made (closed when
-- the send ends; a runner given in the options is the caller's).
local function runners_of(provider, sopts)
  local runner = runner_for(provider, sopts)
  local owned = {}
  if runner ~= sopts.runner then owned[#owned + 1] = runner end
  return runner, owned
end

local function close_all(owned)
  for _, r in ipairs(owned) do r:close() end
end

-- With OAuth2, the bearer token: the cached one or a fresh one (nil, err
-- when it cannot be had). Nil without OAuth2 or without requests.
local function token_for(provider, runner, reqs)
  if provider.compiled.auth.type ~= "oauth2" or #reqs == 0 then return nil end
  local token = oauth.cached(provider)
  if token then return token end
  return oauth.fetch(provider, runner)
end

--- provider:send(opts): options, render, token, run, report.
function M.send(provider, opts)
  if type(opts) ~= "table" then error("send: expects a table, got " .. type(opts), 3) end
  local c = provider.compiled
  local ropts, sopts = split_options(opts, c)

  -- Phase 2, render first: a send that cannot render makes no request,
  -- not even for a token. Misuse is blamed on the caller of provider:send.
  local reqs, err = provider:_render_at(ropts, 3)
  if not reqs then return nil, err end
  if sopts.dry_run then return dry_run_report(reqs) end

  local runner, owned = runners_of(provider, sopts)
  local token, terr = token_for(provider, runner, reqs)
  if terr then
    close_all(owned)
    return token_failure(reqs, terr)
  end

  local kept = {}
  local list, log, ids = http_requests(reqs, token), logger_for(sopts, c, kept), {}
  local report, rerr = runner:run(list, {
    on_progress = sopts.on_progress,
    classify = classifier(provider, sopts, log, ids, owned),
  })
  close_all(owned)
  if not report then return nil, rerr end
  return attach_callback_errors(recipient_report(report, reqs, list, ids, c, log), report, kept)
end

return M
