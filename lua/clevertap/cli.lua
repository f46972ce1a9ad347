--- The `clevertap` command (bin/clevertap): campaigns as Lua files, checked,
-- previewed and sent from cron or CI. docs/cli.md is the user's guide.
-- main(argv) returns the exit code; nothing here calls os.exit, so the
-- command can be driven in-process.
local defs = require "clevertap.cli.definitions"
local parser = require "clevertap.cli.parser"
local exit = require "clevertap.cli.exit"
local Context = require "clevertap.cli.context"
local tempfiles = require "clevertap.cli.tempfiles"

local M = {}

--- The overview (`clevertap --help`) and one command's help, generated from
-- cli/definitions.lua.
function M.usage() return parser.help() .. "\n" end
function M.command_help(command) return parser.help(command) .. "\n" end

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
  local parsed, perr, pcommand = parser.parse(argv)
  local ctx = Context.new(parsed and parsed.options or {})
  current = ctx
  if not parsed then
    -- --json may not have been parsed: look for it so the error is machine readable.
    for _, a in ipairs(argv) do if a == "--json" then ctx.json = true end end
    return usage_error(ctx, perr, pcommand)
  end
  local o = parsed.options
  local command = parsed.command

  if o.version then
    local ok, clevertap = pcall(require, "clevertap")
    ctx.stdout:write("clevertap ", ok and tostring(clevertap.version) or "(module not found)", "\n")
    return exit.OK
  end
  if o.help then
    ctx.stdout:write(command and M.command_help(command) or M.usage())
    return exit.OK
  end
  if command == "help" then
    local topic = parsed.positional[1]
    if topic and not defs.by_name[topic] then
      return usage_error(ctx, "unknown command '" .. topic .. "'")
    end
    ctx.stdout:write(topic and M.command_help(topic) or M.usage())
    return exit.OK
  end
  if command == nil then
    return usage_error(ctx, "no command given")
  end
  if o.verbose and o.quiet then
    return usage_error(ctx, "-v and -q contradict each other", command)
  end
  if command == "completion" then
    local shell = parsed.positional[1]
    if #parsed.positional ~= 1 or not (shell == "bash" or shell == "zsh" or shell == "fish") then
      return usage_error(ctx, "completion needs one shell: bash, zsh or fish", command)
    end
    ctx.stdout:write(parser.completion(shell))
    return exit.OK
  end

  local result = { command = command }
  local vars, verr, vkind = require("clevertap.cli.vars").collect(o)
  if not vars then
    if vkind == "usage" then return usage_error(ctx, verr, command) end
    local code = ctx:fail(exit.INVALID, verr, nil, result)
    if ctx.json then result.ok, result.exit_code = false, code; ctx:print_json(result) end
    return code
  end
  ctx.vars = vars

  local impl = require("clevertap.cli.cmd_" .. command)
  if command == "send" or command == "resume" then require("clevertap.cli.signals").trap_early() end
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
  -- a closure: Lua 5.1's xpcall passes no arguments to the function
  local ok, code = xpcall(function() return run(list) end, debug.traceback)
  local signals = package.loaded["clevertap.cli.signals"]
  -- a send or resume stopped before its drive has sent nothing
  local sending = signals and signals.release()
  if not ok then
    tempfiles.remove_all()
    local text = tostring(code)
    if current then text = current:redact(text) end
    -- a signal before the send's own signal handling (reading the identities,
    -- a create in flight): the interpreter's SIGINT handler raised, or
    -- signals.check() for a SIGTERM in send and resume
    local sig = signals and signals.stopped(code)
    if sig or text:match("^[^\n]*interrupted!") then
      local word, name, ecode = "interrupted", "SIGINT", exit.INTERRUPTED
      if sig then word, name, ecode = signals.word(sig), signals.name(sig), 128 + sig end
      io.stderr:write("clevertap: ", word, sending and "; nothing was sent" or "", "\n")
      if current and current.json then
        current:print_json({ ok = false, exit_code = ecode,
          error = { kind = "interrupted", message = word .. " (" .. name .. ")" } })
      end
      return ecode
    end
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
