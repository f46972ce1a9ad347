--- The `clevertap` command (bin/clevertap): campaigns as Lua files, checked,
-- previewed and sent from cron or CI. docs/cli.md is the user's guide.
-- main(argv) returns the exit code; nothing here calls os.exit, so the
-- command can be driven in-process.
local args = require "clevertap.cli.args"
local exit = require "clevertap.cli.exit"
local Context = require "clevertap.cli.context"

local M = {}

local COMMANDS = {
  "validate", "estimate", "create", "send", "stop", "result", "list", "trigger", "preview",
}
local command_set = {}
for _, c in ipairs(COMMANDS) do command_set[c] = true end

-- Every option, the commands that take it (nil: all) and whether it has a value.
local OPTIONS = {
  help = {}, version = {},
  json = {}, ["dry-run"] = {},
  ["account-id"] = { value = true }, passcode = { value = true },
  region = { value = true }, ["base-url"] = { value = true },
  timeout = { value = true }, attempts = { value = true },
  endpoint = { value = true, commands = { validate = true, preview = true } },
  strict = { commands = { validate = true } },
  now = { value = true, commands = { validate = true, preview = true } },
  ids = { value = true, commands = { send = true } },
  type = { value = true, commands = { send = true } },
  progress = { commands = { send = true } },
  ["no-progress"] = { commands = { send = true } },
  ["failed-ids"] = { value = true, commands = { send = true } },
  wait = { value = true, commands = { result = true } },
  interval = { value = true, commands = { result = true } },
  ["resend-unknown"] = { commands = { send = true } },
  from = { value = true, commands = { list = true } },
  to = { value = true, commands = { list = true } },
  count = { value = true, commands = { preview = true } },
  timezone = { value = true, commands = { preview = true } },
  ["user-timezone"] = { value = true, commands = { preview = true } },
}
local SHORT = { h = "help" }

M.USAGE = [[
Usage: clevertap COMMAND [OPTIONS] [ARGS]

Commands:
  validate FILE...            check campaign files against the API (no network)
  preview FILE                what the campaign would send, and when (no network)
  estimate FILE               estimated reach of each campaign in FILE
  create FILE                 create each campaign in FILE
  send CHANNEL FILE --ids F   send FILE's message to the identities in F (- = stdin);
                              CHANNEL: push | webpush | email | sms
  trigger FILE                raise each Bulletin in FILE
  stop ID                     stop a scheduled campaign
  result ID [--wait S]        statistics of a completed campaign (--wait: until it completes)
  list --from DATE --to DATE  campaigns created between two dates (YYYYMMDD)

A campaign FILE is a Lua script returning a campaign table or a list of them.

Options for every command:
  --json                      one JSON document on stdout instead of text
  --dry-run                   print the exact requests (passcode redacted); send nothing
  --account-id ID             default: $CLEVERTAP_ACCOUNT_ID
  --passcode CODE             default: $CLEVERTAP_PASSCODE (prefer the variable)
  --region REGION             eu1 (default), in1, sg1, us1, aps3, mec1; default: $CLEVERTAP_REGION
  --base-url URL              overrides the region; default: $CLEVERTAP_BASE_URL
  --timeout SECONDS           per request (default 30)
  --attempts N                tries per request, retries included (default 5)
  -h, --help                  this text; `clevertap COMMAND --help` for one command
  --version                   the library version

]] .. exit.help .. "\n"

M.COMMAND_HELP = {
  validate = [[
Usage: clevertap validate FILE... [--endpoint E] [--strict] [--now EPOCH]

Loads each campaign file and validates every table it returns; prints every
problem with its JSON Pointer. A table with business_event is checked as a
Bulletin (targets/trigger), anything else as a campaign (targets/create);
--endpoint picks another (send/push, send/email, ... for send payloads).
  --strict        warnings fail too (exit 3)
  --now EPOCH     the time "must be in the future" checks compare with]],
  preview = [[
Usage: clevertap preview FILE [--count N] [--timezone TZ] [--user-timezone TZ]
                              [--now EPOCH] [--endpoint E]

Shows, without sending: each campaign's validation, the exact JSON body, and
the concrete send instants of its `when` (DND, cutoff, wrap-around and end
conditions applied).
  --timezone TZ        the account's zone: an IANA name such as Asia/Kolkata
                       or an offset such as +05:30 (default UTC)
  --user-timezone TZ   one user's zone, for delivery_timezone "user"
                       (default: the account's)
  --count N            sends to show per campaign (default 10; dropped
                       slots are shown as well)
  --now EPOCH          the current time for the preview (default: now)]],
  estimate = [[
Usage: clevertap estimate FILE

Asks the API for the estimated reach of each campaign in FILE (estimate_only);
creates nothing.]],
  create = [[
Usage: clevertap create FILE

Creates each campaign in FILE, in order, and prints its id. Every campaign is
validated before the first is sent; the first refusal stops the rest.]],
  send = [[
Usage: clevertap send CHANNEL FILE --ids FILE|- [--type TYPE] [--failed-ids OUT]

Sends the message FILE returns (without `to`) on CHANNEL (push, webpush, email,
sms) to every identity in the ids file, in batches of 1000, streaming the file.
One identity per line: `value` typed by --type, or `Type:value`. Without --ids,
a payload with its own `to` is sent to those identities.
  --type TYPE        Identity (default), Email, GPID, FBID or objectId
  --failed-ids OUT   write identities that failed or whose outcome is unknown
                     to OUT, one `Type:value` per line (ready for --ids)
  --resend-unknown   re-send a batch whose outcome is unknown (the connection
                     was lost after sending): its users may get the message twice
  --progress         progress bar even when stderr is not a terminal
  --no-progress      no progress output]],
  trigger = [[
Usage: clevertap trigger FILE

Raises each Bulletin (business event) that FILE returns (targets/trigger).]],
  stop = [[
Usage: clevertap stop ID

Stops the scheduled campaign with id ID.]],
  result = [[
Usage: clevertap result ID [--wait SECONDS] [--interval SECONDS]

Prints the statistics of campaign ID; exits 7 while it has not completed.
  --wait SECONDS      keep asking until it completes, for at most SECONDS
  --interval SECONDS  time between two asks (default 10)]],
  list = [[
Usage: clevertap list --from YYYYMMDD [--to YYYYMMDD]

Lists the campaigns created between the two dates (--to defaults to today).]],
}

local function usage_error(ctx, message, command)
  local hint = command and ("clevertap " .. command .. " --help") or "clevertap --help"
  if ctx.json then
    ctx:print_json({ ok = false, exit_code = exit.USAGE, error = { kind = "usage", message = message } })
  else
    ctx:note("clevertap: %s (see %s)", message, hint)
  end
  return exit.USAGE
end

local current  -- the running command's context, for redacting internal errors

local function run(argv)
  local parsed, perr = args.parse(argv, OPTIONS, SHORT)
  local ctx = Context.new(parsed and parsed.options or {})
  current = ctx
  if not parsed then
    -- --json may not have been parsed: look for it so the error is machine readable.
    for _, a in ipairs(argv) do if a == "--json" then ctx.json = true end end
    return usage_error(ctx, perr)
  end
  local o = parsed.options
  local command = table.remove(parsed.positional, 1)

  if o.version then
    local ok, clevertap = pcall(require, "clevertap")
    ctx.stdout:write("clevertap ", ok and tostring(clevertap.version) or "(module not found)", "\n")
    return exit.OK
  end
  if o.help and (command == nil or not command_set[command]) then
    ctx.stdout:write(M.USAGE)
    return exit.OK
  end
  if command == "help" then
    local topic = parsed.positional[1]
    ctx.stdout:write((topic and M.COMMAND_HELP[topic] and (M.COMMAND_HELP[topic] .. "\n")) or M.USAGE)
    return exit.OK
  end
  if command == nil then
    return usage_error(ctx, "no command given")
  end
  if not command_set[command] then
    return usage_error(ctx, "unknown command '" .. command .. "'")
  end
  if o.help then
    ctx.stdout:write(M.COMMAND_HELP[command], "\n\n", exit.help, "\n")
    return exit.OK
  end
  for name in pairs(o) do
    local def = OPTIONS[name]
    if def.commands and not def.commands[command] then
      return usage_error(ctx, "option --" .. name .. " does not apply to '" .. command .. "'", command)
    end
  end

  local impl = require("clevertap.cli.cmd_" .. command)
  local result = { command = command }
  local code, message = impl.run(ctx, parsed.positional, o, result)
  if code == exit.USAGE and message then
    return usage_error(ctx, message, command)
  end
  if ctx.json then
    result.ok = (code == exit.OK)
    result.exit_code = code
    ctx:print_json(result)
  end
  return code
end

--- Run the command line `argv` (an array of strings); returns the exit code.
function M.main(argv)
  local list = {}
  for i = 1, #(argv or {}) do list[i] = argv[i] end
  current = nil
  local ok, code = xpcall(run, debug.traceback, list)
  if not ok then
    local text = tostring(code)
    if current then text = current:redact(text) end
    if text:find("module 'clevertap.core' not found", 1, true) then
      io.stderr:write("clevertap: the C module clevertap.core is not built or not on LUA_CPATH ",
        "(run make; from a checkout, BUILD selects the build directory)\n")
    end
    io.stderr:write("clevertap: internal error: ", text, "\n")
    if current and current.json then
      current:print_json({ ok = false, exit_code = exit.FAILURE,
        error = { kind = "failure", message = (text:match("^[^\n]*")) } })
    end
    return exit.FAILURE
  end
  return code
end

return M
