--- The clevertap(1) man page, written from cli/definitions.lua (the same
-- table the parser and --help come from). `make man` writes man/clevertap.1;
-- a spec fails while the committed page differs from what this renders.
local defs = require "clevertap.cli.definitions"
local exit = require "clevertap.cli.exit"

local M = {}

-- roff: a backslash is an escape, a leading dot or quote starts a request,
-- and "-" must be "\-" to stay a hyphen-minus (copy-pasteable options).
local function esc(s)
  s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
  return (s:gsub("\n([.'])", "\n\\&%1"):gsub("^([.'])", "\\&%1"))
end

local function option_lines(out, list)
  for _, o in ipairs(list) do
    out[#out + 1] = ".TP"
    out[#out + 1] = "\\fB" .. esc(o[1]) .. "\\fR" .. (o[2] and (" \\fI" .. esc(o[2]) .. "\\fR") or "")
    out[#out + 1] = esc(o[3])
  end
end

--- The page as roff text.
function M.render()
  local out = {
    '.TH CLEVERTAP 1 "" "lua-clevertap" "User Commands"',
    ".SH NAME",
    "clevertap \\- " .. esc(defs.summary),
    ".SH SYNOPSIS",
    ".B clevertap",
    ".I COMMAND",
    "[\\fIOPTIONS\\fR] [\\fIARGS\\fR]",
    ".SH DESCRIPTION",
    esc("Campaigns are Lua files returning a campaign table or a list of them; they are checked and "
      .. "previewed without the network, then estimated, created, sent, triggered, stopped and measured "
      .. "with one command each. Options may come before or after the command name."),
    ".SH COMMANDS",
  }
  for _, c in ipairs(defs.commands) do
    out[#out + 1] = ".SS " .. esc("clevertap " .. c.name .. " " .. c.usage)
    out[#out + 1] = esc(c.description)
    if #c.options > 0 then
      out[#out + 1] = ".RS"
      option_lines(out, c.options)
      out[#out + 1] = ".RE"
    end
  end
  out[#out + 1] = ".SH OPTIONS FOR EVERY COMMAND"
  option_lines(out, { { "-h, --help", nil, "the overview, or one command's help after its name" } })
  option_lines(out, defs.common)
  out[#out + 1] = ".SH ENVIRONMENT"
  local env = {}
  for i, e in ipairs(defs.environment) do env[i] = { e[1], nil, e[2] } end
  option_lines(out, env)
  out[#out + 1] = ".SH EXIT STATUS"
  for code, text in exit.help:gmatch("\n  (%d[%d, ]*)  ([^\n]+)") do
    out[#out + 1] = ".TP"
    out[#out + 1] = code
    out[#out + 1] = esc(text)
  end
  out[#out + 1] = ".SH SEE ALSO"
  out[#out + 1] = esc("docs/cli.md in the lua-clevertap sources.")
  return table.concat(out, "\n") .. "\n"
end

return M
