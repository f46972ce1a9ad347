--- Every command, argument and option of `clevertap`, as data. The parser
-- (cli/parser.lua), `--help`, the shell completions and the man page
-- (cli/man.lua) are all generated from this one table, so they cannot
-- disagree. An option is { flag, VALUE-or-nil, help, choices = {...} };
-- an argument is { name, arity, help, choices = {...} } with arity as
-- argparse spells it (1, "?", "*", "+").
local names = require "clevertap.names"

local M = {}

M.summary = "CleverTap campaigns from the command line: validate, preview, create, send and measure"

-- Options every command takes (before or after the command name).
M.common = {
  { "--json", nil, "one JSON document on stdout instead of text" },
  { "--dry-run", nil, "print the exact requests (passcode redacted); send nothing" },
  { "--account-id", "ID", "default: $CLEVERTAP_ACCOUNT_ID" },
  { "--passcode", "CODE", "default: $CLEVERTAP_PASSCODE (prefer the variable)" },
  { "--region", "REGION", names.regions[1] .. " (default), " .. table.concat(names.regions, ", ", 2)
    .. "; default: $CLEVERTAP_REGION", choices = names.regions },
  { "--base-url", "URL", "overrides the region; default: $CLEVERTAP_BASE_URL" },
  { "--profile", "NAME", "an account from ~/.config/clevertap/config.lua; default: $CLEVERTAP_PROFILE, "
    .. "else the file's default" },
  { "--limiter", "URL", "whose limits: local (this process, the default), redis://[user:pass@]host:port[/db] "
    .. "(the account's, shared with every process using that Redis); default: $CLEVERTAP_LIMITER "
    .. "(prefer the variable when the URL holds a password)" },
  { "--timeout", "SECONDS", "per request (default 30)" },
  { "--attempts", "N", "tries per request, retries included (default 5)" },
  { "-v --verbose", nil, "print each retry, wait and unknown outcome (through the client's logger)" },
  { "-q --quiet", nil, "print only the summary (and errors)" },
  { "--version", nil, "the library version" },
}

local ENDPOINTS = { "targets/create", "targets/trigger", "send/push", "send/webpush", "send/email", "send/sms" }
-- Commands that run campaign files, and so take their variables.
local VAR_OPTIONS = {
  { "--var", "KEY=VALUE", "a variable the campaign file reads as `(...).KEY` (repeatable; a string)",
    repeatable = true },
  { "--vars", "FILE", "variables from a Lua file returning a table, or a JSON object (--var wins)" },
}

local function with_vars(list)
  for _, o in ipairs(VAR_OPTIONS) do list[#list + 1] = o end
  return list
end

local TZ_HELP = "an IANA name such as Asia/Kolkata or an offset such as +05:30"

M.commands = {
  {
    name = "validate", summary = "check campaign files against the API (no network)",
    usage = "FILE... [--endpoint E] [--strict] [--now EPOCH]",
    description = "Loads each campaign file and validates every table it returns; prints every "
      .. "problem with its JSON Pointer. A table with business_event is checked as a Bulletin "
      .. "(targets/trigger), anything else as a campaign (targets/create); --endpoint picks another "
      .. "(send/push, send/email, ... for send payloads).",
    args = { { "file", "+", "campaign files (Lua scripts)" } },
    options = with_vars {
      { "--endpoint", "E", "the endpoint to validate against (default: guessed from the table)",
        choices = ENDPOINTS },
      { "--strict", nil, "warnings fail too (exit 3)" },
      { "--now", "EPOCH", "the time \"must be in the future\" checks compare with" },
    },
  },
  {
    name = "preview", summary = "what the campaign would send, and when (no network)",
    usage = "FILE [--count N] [--timezone TZ] [--user-timezone TZ] [--now EPOCH] [--endpoint E] [--pretty]\n"
      .. "                         [--calendar [--weeks N]]",
    description = "Shows, without sending: each campaign's validation, the exact JSON body, and the "
      .. "concrete send instants of its `when` (DND, cutoff, wrap-around and end conditions applied).",
    args = { { "file", 1, "a campaign file" } },
    options = with_vars {
      { "--count", "N", "sends to show per campaign (default 10; dropped slots are shown as well)" },
      { "--timezone", "TZ", "the account's zone: " .. TZ_HELP .. " (default UTC)" },
      { "--user-timezone", "TZ", "one user's zone, for delivery_timezone \"user\" (default: the account's)" },
      { "--now", "EPOCH", "the current time for the preview (default: now)" },
      { "--endpoint", "E", "the endpoint to validate against (default: guessed from the table)",
        choices = ENDPOINTS },
      { "--pretty", nil, "indent the JSON bodies" },
      { "--calendar", nil, "the schedule's next weeks as a month grid: send days marked, and per weekday the "
        .. "hours with sends, DND and after the cutoff (on the --user-timezone clock if given, else --timezone)" },
      { "--weeks", "N", "weeks the calendar shows, from this week's Sunday (default 5)" },
    },
  },
  {
    name = "estimate", summary = "estimated reach of each campaign in FILE",
    usage = "FILE",
    description = "Asks the API for the estimated reach of each campaign in FILE (estimate_only); creates nothing.",
    args = { { "file", 1, "a campaign file" } },
    options = with_vars {},
  },
  {
    name = "create", summary = "create each campaign in FILE",
    usage = "FILE",
    description = "Creates each campaign in FILE, in order, and prints its id. Every campaign is validated "
      .. "before the first is sent; the first refusal stops the rest. Each create is recorded in the account's "
      .. "state directory: a campaign created before prints `already created: ID` and is not sent again, one "
      .. "whose outcome is unknown is refused (check with clevertap list); --force creates again.",
    args = { { "file", 1, "a campaign file" } },
    options = with_vars {
      { "--force", nil, "create even a campaign recorded as created or unknown" },
    },
  },
  {
    name = "send", summary = "send FILE's message to the identities in --ids (- = stdin)",
    usage = "CHANNEL FILE --ids FILE|- [--type TYPE] [--failed-ids OUT]",
    description = "Sends the message FILE returns (without `to`) on CHANNEL ("
      .. table.concat(names.channels, ", ") .. ") to every identity in the ids file, in batches of 1000. "
      .. "The file holds one identity per line "
      .. "(`value` typed by --type, or `Type:value`), or is CSV, TSV or JSON lines (--column); blank lines "
      .. "and # comments are skipped, duplicates removed. Every line is checked before anything is sent. "
      .. "Without --ids, a payload with its own `to` is sent to those identities.",
    args = {
      { "channel", 1, names.either(names.channels), choices = names.channels },
      { "file", 1, "the message file" },
    },
    options = with_vars {
      { "--ids", "FILE", "the identities, one per line (- for stdin)" },
      { "--type", "TYPE", "Identity (default), Email, GPID, FBID or objectId",
        choices = { "Identity", "Email", "GPID", "FBID", "objectId" } },
      { "--column", "NAME|N", "CSV/TSV: the identity column, by header name or number (default 1); "
        .. "JSON lines: the key (default: the type's name)" },
      { "--type-column", "NAME|N", "a column (JSON lines: a key) naming each identity's type; instead of --type" },
      { "--format", "FORMAT", "lines, csv, tsv or jsonl (default: from the file's extension, else its first line)",
        choices = { "lines", "csv", "tsv", "jsonl" } },
      { "--keep-duplicates", nil, "send a repeated identity as often as it appears (default: once)" },
      { "--skip-invalid", nil, "skip lines that are not valid identities (counted) instead of stopping" },
      { "--report", "FILE", "write what the send did to FILE: JSON (every count, timings, the failed and "
        .. "unknown batches' errors and identities), or with a .csv name one row per identity not accepted" },
      { "--confirm-above", "N", "on a terminal, ask before sending to more than N identities of a real "
        .. "account (not a loopback sandbox); default 10000" },
      { "--yes", nil, "do not ask (see --confirm-above)" },
      { "--failed-ids", "OUT", "write identities that failed or whose outcome is unknown to OUT, one "
        .. "`Type:value` per line (ready for --ids)" },
      { "--resend-unknown", nil, "re-send a batch whose outcome is unknown (the connection was lost after "
        .. "sending): its users may get the message twice" },
      { "--progress", nil, "progress bar even when stderr is not a terminal" },
      { "--no-progress", nil, "no progress output" },
      { "--journal", "PATH", "journal the send in the SQLite file PATH (default: a new one in the account's state "
        .. "directory, $XDG_STATE_HOME/clevertap/ACCOUNT/sends/)" },
      { "--no-journal", nil, "do not journal the send (an interrupted send cannot be resumed then)" },
      { "--grace", "SECONDS", "on SIGINT/SIGTERM, how long requests in flight may take to land before the send "
        .. "stops (default 10; a second signal stops at once)" },
    },
  },
  {
    name = "resume", summary = "finish an interrupted send from its journal",
    usage = "[JOURNAL] [--resend-unknown] [--failed-ids OUT] [--grace SECONDS] [--no-progress]",
    description = "Finishes the send JOURNAL records: accepted batches are never sent again, batches in flight "
      .. "when it stopped are unknown (not sent again unless --resend-unknown), the rest is sent. The identities "
      .. "come from the journal's spool; a file source that changed since is refused. Without JOURNAL: the "
      .. "account's interrupted send when there is one, else the list (and, on a terminal, a question).",
    args = { { "journal", "?", "a journal path or a send id (see clevertap sends)" } },
    options = {
      { "--resend-unknown", nil, "send the batches whose outcome is unknown again: their users may get the "
        .. "message twice" },
      { "--failed-ids", "OUT", "write identities failed, unknown or not sent to OUT (`Type:value` lines)" },
      { "--grace", "SECONDS", "as for send (default 10)" },
      { "--progress", nil, "progress bar even when stderr is not a terminal" },
      { "--no-progress", nil, "no progress output" },
      { "--yes", nil, "without JOURNAL: do not ask" },
    },
  },
  {
    name = "sends", summary = "the account's journaled sends",
    usage = "",
    description = "Lists the sends journaled for the account (id, when, channel, counts, state), oldest first.",
    args = {},
    options = {},
  },
  {
    name = "report", summary = "a journal's report (counts, or one kind of identities as CSV)",
    usage = "JOURNAL [--json] [--csv failed|unknown|not_sent]",
    description = "Prints what the send JOURNAL records, without resuming it: identities accepted, failed, "
      .. "unknown and not sent, requests, its state (running, interrupted, done). --csv KIND prints the "
      .. "identities of one outcome, one row each.",
    args = { { "journal", 1, "a journal path or a send id" } },
    options = {
      { "--csv", "KIND", "failed, unknown or not_sent", choices = { "failed", "unknown", "not_sent" } },
    },
  },
  {
    name = "trigger", summary = "raise each Bulletin in FILE",
    usage = "FILE",
    description = "Raises each Bulletin (business event) that FILE returns (targets/trigger).",
    args = { { "file", 1, "a Bulletin file" } },
    options = with_vars {},
  },
  {
    name = "stop", summary = "stop a scheduled campaign",
    usage = "ID",
    description = "Stops the scheduled campaign with id ID.",
    args = { { "id", 1, "the campaign id (digits)" } },
    options = {},
  },
  {
    name = "result", summary = "statistics of a completed campaign (--wait: until it completes)",
    usage = "ID [--wait SECONDS] [--watch] [--interval SECONDS]",
    description = "Prints the statistics of campaign ID; exits 7 while it has not completed.",
    args = { { "id", 1, "the campaign id (digits)" } },
    options = {
      { "--wait", "SECONDS", "keep asking until it completes, for at most SECONDS" },
      { "--interval", "SECONDS", "time between two asks (default 10)" },
      { "--watch", nil, "keep asking until it completes (no time limit unless --wait), printing each change of "
        .. "status" },
    },
  },
  {
    name = "list", summary = "campaigns created between two dates (YYYYMMDD)",
    usage = "--from YYYYMMDD [--to YYYYMMDD]",
    description = "Lists the campaigns created between the two dates (--to defaults to today), in aligned "
      .. "columns (--json: the API's data).",
    args = {},
    options = {
      { "--from", "YYYYMMDD", "the first day" },
      { "--to", "YYYYMMDD", "the last day (default: today)" },
    },
  },
  {
    name = "help", summary = "the help of one command",
    usage = "[COMMAND]",
    description = "Prints the help of COMMAND, or the overview.",
    args = { { "command", "?", "a command name" } },
    options = {},
  },
  {
    name = "completion", summary = "a shell completion script (bash, zsh or fish)",
    usage = "bash|zsh|fish",
    description = "Prints a completion script for the shell on stdout. Bash: "
      .. "`eval \"$(clevertap completion bash)\"` in ~/.bashrc; zsh: save it as _clevertap on $fpath; "
      .. "fish: `clevertap completion fish > ~/.config/fish/completions/clevertap.fish`.",
    args = { { "shell", 1, "bash, zsh or fish", choices = { "bash", "zsh", "fish" } } },
    options = {},
  },
}

M.by_name = {}
for _, c in ipairs(M.commands) do M.by_name[c.name] = c end

M.environment = {
  { "CLEVERTAP_ACCOUNT_ID", "the account id (--account-id)" },
  { "CLEVERTAP_PASSCODE", "the account passcode (--passcode); never printed" },
  { "CLEVERTAP_REGION", "the region (--region)" },
  { "CLEVERTAP_BASE_URL", "the API's base URL (--base-url), e.g. a local sandbox" },
  { "CLEVERTAP_PROFILE", "the profile (--profile)" },
  { "CLEVERTAP_LIMITER", "the limiter (--limiter), e.g. redis://127.0.0.1:6379/0; its password is never printed" },
  { "XDG_CONFIG_HOME", "where clevertap/config.lua is (default ~/.config)" },
  { "XDG_STATE_HOME", "where clevertap/ keeps journals and creates (default ~/.local/state)" },
}

--- Every option flag -> { takes_value = bool, commands = {name = true} or
-- nil (every command) }: what the argument reordering and the "does not
-- apply" message need.
function M.flags()
  local out = {}
  for _, o in ipairs(M.common) do
    for flag in o[1]:gmatch("%S+") do out[flag] = { takes_value = o[2] ~= nil } end
  end
  out["--help"] = { takes_value = false }
  out["-h"] = out["--help"]
  for _, c in ipairs(M.commands) do
    for _, o in ipairs(c.options) do
      local f = out[o[1]] or { takes_value = o[2] ~= nil, commands = {} }
      out[o[1]] = f
      if f.commands then f.commands[c.name] = true end
    end
  end
  return out
end

return M
