--- The request log: one JSON line per request in DIR/requests.jsonl.
-- Each worker appends each line with a single write(2) (O_APPEND keeps lines
-- whole across workers), so a line is in the file before its response leaves
-- and GET /_sandbox/requests sees it from any worker.
local json = require "ctsandbox.json"

local M = {}

local path
local fh

-- Headers whose values are secrets: the value is replaced, the scheme of an
-- Authorization header is kept so tests can tell Basic from Bearer.
local SECRET_HEADERS = {
  ["x-clevertap-passcode"] = true,
  ["authorization"] = true,
  ["proxy-authorization"] = true,
  ["x-api-key"] = true,
  ["api-key"] = true,
  ["apikey"] = true,
  ["x-auth-token"] = true,
  ["cookie"] = true,
}
M.REDACTED = "REDACTED"

local function redact_value(name, v)
  if name == "authorization" or name == "proxy-authorization" then
    local scheme = type(v) == "string" and v:match("^(%S+)%s") or nil
    return scheme and (scheme .. " " .. M.REDACTED) or M.REDACTED
  end
  return M.REDACTED
end

function M.redact_headers(headers, extra)
  local out = {}
  for k, v in pairs(headers) do
    local name = string.lower(k)
    if SECRET_HEADERS[name] or (extra and extra[name]) then
      if type(v) == "table" then
        local list = {}
        for i, one in ipairs(v) do list[i] = redact_value(name, one) end
        out[name] = list
      else
        out[name] = redact_value(name, v)
      end
    else
      out[name] = v
    end
  end
  return out
end

-- Secrets inside form or JSON bodies and query strings (OAuth client
-- credentials, plus the names a provider lists in `secret_params`).
local SECRET_FIELDS = { "client_secret", "password", "refresh_token", "access_token" }

local function escape_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function redact_fields(text, fields)
  for _, f in ipairs(fields) do
    local name = escape_pattern(f)
    text = text:gsub("^(" .. name .. "=)[^&]*", "%1" .. M.REDACTED)
    text = text:gsub("(&" .. name .. "=)[^&]*", "%1" .. M.REDACTED)
    text = text:gsub('("' .. name .. '"%s*:%s*)"[^"]*"', '%1"' .. M.REDACTED .. '"')
  end
  return text
end

local function all_fields(extra)
  if not extra then return SECRET_FIELDS end
  local out = {}
  for i, f in ipairs(SECRET_FIELDS) do out[i] = f end
  for _, f in ipairs(extra) do out[#out + 1] = f end
  return out
end

function M.redact_body(body, extra)
  if not body or body == "" then return body end
  return redact_fields(body, all_fields(extra))
end

function M.redact_query(query, args, extra)
  local fields = all_fields(extra)
  if query and query ~= "" then query = redact_fields(query, fields) end
  if args then
    for _, f in ipairs(fields) do
      if args[f] ~= nil then args[f] = M.REDACTED end
    end
  end
  return query, args
end

-- One write(2) per line on an O_APPEND descriptor: appends from the
-- workers never interleave inside a line (stdio may split a write in two).
local ffi = require "ffi"
ffi.cdef [[
  int open(const char *path, int flags, int mode);
  long write(int fd, const void *buf, unsigned long n);
  int close(int fd);
]]
local O_WRONLY, O_CREAT, O_APPEND, O_CLOEXEC = 1, 64, 1024, 524288

local function write_all(fd, s)
  local buf, left = ffi.cast("const char *", s), #s
  while left > 0 do
    local n = tonumber(ffi.C.write(fd, buf, left))
    if n < 0 then
      if ffi.errno() ~= 4 then return false end -- retry on EINTR only
    else
      buf, left = buf + n, left - n
    end
  end
  return true
end

function M.open(dir)
  path = dir .. "/requests.jsonl"
  if fh then ffi.C.close(fh) end
  fh = ffi.C.open(path, O_WRONLY + O_CREAT + O_APPEND + O_CLOEXEC, 420)
  if fh < 0 then
    fh = nil
    ngx.log(ngx.ERR, "sandbox: cannot open request log ", path, ": errno ", ffi.errno())
  end
end

function M.path() return path end

--- Appends one record; returns its sequence number.
function M.write(rec, body, body_max)
  local seq = ngx.shared.ct_state:incr("log_seq", 1, 0)
  rec.seq = seq
  rec.time = ngx.now()
  if body then
    rec.body_length = #body
    if body_max and body_max >= 0 and #body > body_max then
      rec.body = body:sub(1, body_max)
      rec.body_truncated = true
    else
      rec.body = body
    end
  end
  local line = json.encode(rec)
  if line and fh and not write_all(fh, line .. "\n") then
    ngx.log(ngx.ERR, "sandbox: request log write failed: errno ", ffi.errno())
  end
  return seq
end

function M.truncate()
  local f = io.open(path, "w")
  if f then f:close() end
end

--- Records, oldest first, optionally filtered: path (exact), prefix,
-- since (records with seq > since), since_time (time > since_time), method,
-- last (only the newest N that match).
function M.read(filter)
  local out = json.array()
  local f = io.open(path, "r")
  if not f then return out end
  local since = tonumber(filter.since)
  local since_time = tonumber(filter.since_time)
  -- Cheap pre-filters on the raw line: an unescaped `"seq":` or `"path":"..."`
  -- can only be the record's own key (quotes inside strings are escaped).
  local path_key = filter.path and ('"path":' .. json.encode(filter.path))
  for line in f:lines() do
    local seq = since and tonumber(line:match('"seq":(%d+)'))
    local skip = (seq and seq <= since) or (path_key and not line:find(path_key, 1, true))
    local rec = not skip and json.decode(line) or nil
    if rec
      and (not filter.path or rec.path == filter.path)
      and (not filter.prefix or rec.path:sub(1, #filter.prefix) == filter.prefix)
      and (not filter.method or rec.method == filter.method)
      and (not since or rec.seq > since)
      and (not since_time or rec.time > since_time) then
      out[#out + 1] = rec
    end
  end
  f:close()
  -- Workers append concurrently (seq taken, then the line written), so the
  -- file is only nearly in seq order: "oldest first" and "last" go by seq.
  table.sort(out, function(a, b) return a.seq < b.seq end)
  local last = tonumber(filter.last)
  if last and last >= 0 and #out > last then
    local tail = json.array()
    for i = #out - last + 1, #out do tail[#tail + 1] = out[i] end
    out = tail
  end
  return out
end

return M
