--- The command line, parsed by argparse (Debian's lua-argparse) from the
-- definitions in cli/definitions.lua.
--
-- Two parsers come from the same table. The "strict" one declares each
-- command's real arguments and choices: --help, the completions and the man
-- page are generated from it. The "loose" one takes any number of
-- positional arguments and no choices, so each command keeps checking its
-- own arguments and values and says precisely what it expected ("create
-- needs exactly one campaign file", "--type must be one of ...").
local argparse = require "argparse"
local unpack = table.unpack or unpack  -- LuaJIT has the 5.1 global
local defs = require "clevertap.cli.definitions"
local exit = require "clevertap.cli.exit"

local M = {}

local EPILOG_ENV
do
  local lines = { "Environment:" }
  for _, e in ipairs(defs.environment) do
    lines[#lines + 1] = string.format("  %-22s %s", e[1], e[2])
  end
  EPILOG_ENV = table.concat(lines, "\n")
end

-- The options table's key: the long name ("-v --verbose" -> "verbose").
local function target(flag)
  local long = flag:match("%-%-(%S+)")
  return long or (flag:gsub("^%-+", ""))
end

local function add_option(p, o, strict)
  local flag, value, help = o[1], o[2], o[3]
  local el
  if value then
    el = p:option(flag, help):argname(value):target(target(flag))
    if o.repeatable then el:count("*") end
    if strict and o.choices then el:choices(o.choices) end
  else
    el = p:flag(flag, help):target(target(flag))
  end
  return el
end

local function add_common(p, strict)
  local list = { p:flag("-h --help", "this text"):target("help") }
  for _, o in ipairs(defs.common) do list[#list + 1] = add_option(p, o, strict) end
  return list
end

local function configure(p)
  p:add_help(false)
  p:help_usage_margin(2)
  p:help_description_margin(30)
  p:help_max_width(100)
end

--- The parser; strict: the real arguments (for help, completion, man).
function M.build(strict)
  local root = argparse("clevertap", defs.summary)
  configure(root)
  root:usage("Usage: clevertap COMMAND [OPTIONS] [ARGS]")
  root:command_target("command")
  root:require_command(false)
  root:group("Options for every command", unpack(add_common(root, strict)))
  root:epilog("A campaign FILE is a Lua script returning a campaign table or a list of them.\n"
    .. "`clevertap COMMAND --help` shows one command's options.\n\n" .. EPILOG_ENV .. "\n\n" .. exit.help)
  root:handle_options(true)
  for _, c in ipairs(defs.commands) do
    local cmd = root:command(c.name, c.summary)
    configure(cmd)
    cmd:summary(c.summary)
    cmd:description(c.description)
    cmd:usage("Usage: clevertap " .. c.name .. " " .. c.usage)
    cmd:epilog(exit.help)
    if strict then
      for _, a in ipairs(c.args) do
        local el = cmd:argument(a[1], a[3]):args(a[2]):argname(a[1]:upper())
        if a.choices then el:choices(a.choices) end
      end
    else
      cmd:argument("arguments"):args("*"):target("positional")
    end
    local own = {}
    for _, o in ipairs(c.options) do own[#own + 1] = add_option(cmd, o, strict) end
    if #own > 0 then cmd:group("Options", unpack(own)) end
    cmd:group("Options for every command", unpack(add_common(cmd, strict)))
  end
  return root
end

local strict_parser, loose_parser
function M.strict()
  strict_parser = strict_parser or M.build(true)
  return strict_parser
end

local function loose()
  loose_parser = loose_parser or M.build(false)
  return loose_parser
end

--- The help text of `command` (nil: the overview).
function M.help(command)
  local p = M.strict()
  if command then
    for _, c in ipairs(p._commands) do
      if c._name == command then return c:get_help() end
    end
  end
  return p:get_help()
end

--- A completion script for `shell` (bash, zsh or fish).
function M.completion(shell)
  return M.strict()["get_" .. shell .. "_complete"](M.strict())
end

-- Options given before the command name belong to it: move them after it,
-- so `clevertap --json --ids f send ...` means what it meant before argparse.
local function reorder(argv, flags)
  local before, i = {}, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" or a:sub(1, 1) ~= "-" or a == "-" then break end
    local name = a:match("^(%-%-[^=]+)=") or a
    local f = flags[name]
    if not f then return argv end  -- an unknown option: argparse names it
    before[#before + 1] = a
    if f.takes_value and not a:find("=", 1, true) then
      i = i + 1
      if argv[i] == nil then return argv end
      before[#before + 1] = argv[i]
    end
    i = i + 1
  end
  local command = argv[i]
  if command == nil or command == "--" or not defs.by_name[command] then return argv end
  local out = { command }
  for _, a in ipairs(before) do out[#out + 1] = a end
  for j = i + 1, #argv do out[#out + 1] = argv[j] end
  return out
end

-- argparse's messages, made to read as one line of ours:
-- "unknown option '--stirct'\nDid you mean '--strict'?" ->
-- "unknown option '--stirct'; did you mean '--strict'?"
local function tidy(message)
  return (message:gsub("\nDid you mean", "; did you mean"))
end

--- Parse argv. Returns { command =, options = {name = value|true},
-- positional = {...} } or nil, message, command (the command whose
-- options were being read, for the hint).
function M.parse(argv)
  local flags = defs.flags()
  local list = reorder(argv, flags)
  local ok, res = loose():pparse(list)
  local command = defs.by_name[list[1] or ""] and list[1] or nil
  if not ok then
    -- An option of another command: say so rather than "unknown".
    local bad = res:match("^unknown option '([^']+)'")
    local name = bad and (bad:match("^(%-%-[^=]+)=") or bad)
    if command and name and flags[name] and flags[name].commands and not flags[name].commands[command] then
      return nil, "option " .. name .. " does not apply to '" .. command .. "'", command
    end
    return nil, tidy(res), command
  end
  local out = { command = res.command, options = {}, positional = res.positional or {} }
  for flag in pairs(flags) do
    local key = flag:match("^%-%-") and target(flag)
    if key and res[key] ~= nil and res[key] ~= false then out.options[key] = res[key] end
  end
  return out
end

return M
