--- Writes the server's config.json: an optional user config file (JSON)
-- overlaid with command-line settings given as key=value (value as JSON when
-- it parses, else a string) or key:=value (always a string).
-- Usage: mkconfig.lua OUT [FILE|-] [key=value | key:=value ...]
local cjson = require "cjson"

local out, file = arg[1], arg[2]
local conf = {}
if file and file ~= "-" then
  local f, err = io.open(file, "r")
  if not f then io.stderr:write("cannot read config ", file, ": ", err, "\n"); os.exit(1) end
  local ok, doc = pcall(cjson.decode, f:read("*a"))
  f:close()
  if not ok or type(doc) ~= "table" then
    io.stderr:write("config ", file, " is not a JSON object\n"); os.exit(1)
  end
  conf = doc
end
for i = 3, #arg do
  local k, raw, v = arg[i]:match("^([%w_]+)(:?)=(.*)$")
  if not k then io.stderr:write("bad setting ", arg[i], "\n"); os.exit(1) end
  local ok, val = pcall(cjson.decode, v)
  if raw == ":" or not ok then val = v end
  conf[k] = val
end
local f = assert(io.open(out, "w"))
f:write(next(conf) and cjson.encode(conf) or "{}", "\n")
f:close()
