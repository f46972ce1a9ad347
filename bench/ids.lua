--- The identities file of `clevertap send --ids`: scanned, checked and
-- de-duplicated (clevertap.cli.ids), or, for the baseline, read into a Lua
-- table set (the obvious way). Prints "lines distinct".
--   lua bench/ids.lua cli|table FILE
local mode, path = arg[1], arg[2]
local distinct = 0
local lines = 0
if mode == "cli" then
  local ids = require "clevertap.cli.ids"
  local s = assert(ids.scan(path, {}))
  for _ in ids.to(s).Identity do distinct = distinct + 1 end
  lines = s.total + s.duplicates
  ids.close(s)
else
  local seen = {}
  for line in io.lines(path) do
    lines = lines + 1
    if not seen[line] then seen[line] = true; distinct = distinct + 1 end
  end
end
io.write(lines, " ", distinct, "\n")
