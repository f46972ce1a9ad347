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
-- The passcode is not written: only "sha256:SALT:HEX", the SHA-256 of
-- SALT .. passcode (ctsandbox/secret.lua checks it). openssl reads it from a
-- private temporary file, not from its command line (visible in ps).
local function sha256_hex(s)
  local tmp = os.tmpname() -- mkstemp: mode 0600
  local t = assert(io.open(tmp, "wb"))
  t:write(s)
  t:close()
  local p = io.popen("openssl dgst -sha256 -r < '" .. tmp .. "'")
  local line = p and p:read("*l") or ""
  if p then p:close() end
  os.remove(tmp)
  return line:match("^(%x+)")
end

if type(conf.passcode) == "string" then
  local r = assert(io.open("/dev/urandom", "rb"))
  local salt = r:read(16):gsub(".", function(c) return ("%02x"):format(c:byte()) end)
  r:close()
  local hex = sha256_hex(salt .. conf.passcode)
  if not hex or #hex ~= 64 then io.stderr:write("cannot hash the passcode (is openssl installed?)\n"); os.exit(1) end
  conf.passcode = nil
  conf.passcode_hash = "sha256:" .. salt .. ":" .. hex
end

local f = assert(io.open(out, "w"))
f:write(next(conf) and cjson.encode(conf) or "{}", "\n")
f:close()
