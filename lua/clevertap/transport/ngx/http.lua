-- A small HTTP/1.1 client on nginx cosockets, the ngx transport's only
-- backend (no extra module needed). It does what the CleverTap API needs: one request per call,
-- keep-alive pooling (setkeepalive), TLS with SNI and certificate
-- verification (sslhandshake), content-length, chunked and read-to-close
-- bodies, a connect timeout and a deadline for the whole exchange.
--
-- request(req, o) -> { status, headers (lower-case names), body }
--                 or nil, { kind = "network"|"timeout", message, sent }
-- `sent` is false only when the server cannot have the whole request
-- (connect or TLS failed, or it could not be written whole), so the client
-- may retry it without risking a duplicate send. Nothing is ever re-sent
-- here: once the request is out, a failure is an unknown outcome.
local url_mod = require("clevertap.transport.ngx.url")
local peek = require("clevertap.transport.ngx.peek")

local concat, insert = table.concat, table.insert
local tonumber, lower, find = tonumber, string.lower, string.find

local M = {}

local DEFAULTS = {
  connect_timeout = 10000,   -- ms: TCP connect + TLS handshake
  total_timeout = 30000,     -- ms: the whole exchange, connect included
  -- ms a pooled connection may stay idle. Below the keep-alive timeouts
  -- servers commonly use (Apache and Node.js 5 s, nginx 75 s, cloud load
  -- balancers 60 s): a connection the server drops while idle races with
  -- the request written on it, and the loser is a request that never
  -- arrived. A connection is not reused after this age.
  keepalive_timeout = 4000,
  keepalive_pool = 32,       -- connections kept per host/port/TLS setting
  max_body = 16 * 1024 * 1024,
  ssl_verify = true,
  resolve = nil,             -- { ["host"] = "ip" }: like curl --resolve
}

-- o[k], or its default when not set.
local function opt(o, k)
  local v = o[k]
  if v == nil then return DEFAULTS[k] end
  return v
end

local function err_table(kind, message, sent)
  return { kind = kind, message = message, sent = sent and true or false }
end

-- Cosocket errors are short strings; "timeout" is the one meaning the peer
-- was merely slow.
local function io_err(what, err, sent)
  if err == "timeout" then return err_table("timeout", what .. " timed out", sent) end
  return err_table("network", what .. " failed: " .. tostring(err), sent)
end

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

-- A buffered reader with a deadline. Cosocket read timeouts restart
-- whenever a byte arrives, so a server trickling bytes could hold a plain
-- receive() for ever; reading with receiveany() and re-arming the timeout
-- with what is left of the budget before each read bounds the whole exchange.
local Conn = {}
Conn.__index = Conn

local MAX_LINE = 64 * 1024

function Conn:budget()
  local left = self.deadline - now_ms()
  if left < 1 then return nil end
  self.sock:settimeout(left)
  return true
end

-- Appends the next piece from the socket to the buffer.
function Conn:fill()
  if not self:budget() then return nil, "timeout" end
  local data, err = self.sock:receiveany(65536)
  if not data then return nil, err end
  self.buf = self.buf:sub(self.pos) .. data
  self.pos = 1
  return true
end

-- Same results as tcpsock:receive for "*l" and a byte count: data, or nil,
-- err, partial.
function Conn:receive(pattern)
  if pattern == "*l" then
    while true do
      local i = find(self.buf, "\n", self.pos, true)
      if i then
        local line = self.buf:sub(self.pos, i - 1)
        self.pos = i + 1
        return (line:gsub("\r$", ""))
      end
      if #self.buf - self.pos + 1 > MAX_LINE then return nil, "line too long" end
      local ok, err = self:fill()
      if not ok then return nil, err, self.buf:sub(self.pos) end
    end
  end
  local n = pattern
  local parts, have = {}, 0
  while true do
    local avail = #self.buf - self.pos + 1
    if have + avail >= n then
      local take = n - have
      parts[#parts + 1] = self.buf:sub(self.pos, self.pos + take - 1)
      self.pos = self.pos + take
      return concat(parts)
    end
    -- Move what is buffered out so big bodies are not re-copied per read.
    parts[#parts + 1] = self.buf:sub(self.pos)
    have = have + avail
    self.buf, self.pos = "", 1
    local ok, err = self:fill()
    if not ok then return nil, err, concat(parts) end
  end
end

-- Everything until the peer closes, at most `max` bytes.
function Conn:receive_all(max)
  local parts = { self.buf:sub(self.pos) }
  local have = #parts[1]
  self.buf, self.pos = "", 1
  while true do
    if have > max then return nil, "response body too large" end
    local ok, err = self:fill()
    if not ok then
      if err == "closed" then return concat(parts) end
      return nil, err
    end
    parts[#parts + 1] = self.buf
    have = have + #self.buf
    self.buf = ""
  end
end

local function build_request(u, req)
  local body = req.body or ""
  local method = req.method or "GET"
  local lines = { method, " ", u.path, " HTTP/1.1\r\n", "Host: ", u.host_header, "\r\n" }
  local have = {}
  for name, value in pairs(req.headers or {}) do
    have[lower(name)] = true
    insert(lines, name); insert(lines, ": "); insert(lines, tostring(value)); insert(lines, "\r\n")
  end
  if not have["user-agent"] then insert(lines, "User-Agent: lua-clevertap (ngx)\r\n") end
  if not have["connection"] then insert(lines, "Connection: keep-alive\r\n") end
  if not have["content-length"] and (#body > 0 or method == "POST" or method == "PUT") then
    insert(lines, "Content-Length: " .. #body .. "\r\n")
  end
  insert(lines, "\r\n")
  insert(lines, body)
  return lines
end

-- Status line and headers; interim 1xx responses are skipped.
local function read_head(conn)
  while true do
    local line, err = conn:receive("*l")
    if not line then return nil, err end
    local version, status = line:match("^HTTP/(%d%.%d) (%d%d%d)")
    if not version then return nil, "malformed status line" end
    status = tonumber(status)
    local headers = {}
    while true do
      local h, herr = conn:receive("*l")
      if not h then return nil, herr end
      if h == "" then break end
      local name, value = h:match("^([^:]+):%s*(.-)%s*$")
      if not name then return nil, "malformed header line" end
      name = lower(name)
      -- Repeated headers are joined, as RFC 9110 allows for list values.
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
    if status >= 200 then return { version = version, status = status, headers = headers } end
  end
end

local function read_chunked(conn, max_body)
  local parts, total = {}, 0
  while true do
    local line, err = conn:receive("*l")
    if not line then return nil, err end
    local hex = line:match("^%s*(%x+)")
    if not hex then return nil, "malformed chunk size" end
    local size = tonumber(hex, 16)
    if size == 0 then
      -- Trailers, if any, end with an empty line.
      repeat
        line, err = conn:receive("*l")
        if not line then return nil, err end
      until line == ""
      return concat(parts)
    end
    total = total + size
    if total > max_body then return nil, "response body too large" end
    local data, derr = conn:receive(size)
    if not data then return nil, derr end
    insert(parts, data)
    local crlf, cerr = conn:receive(2)
    if crlf ~= "\r\n" then return nil, cerr or "malformed chunk end" end
  end
end

-- Returns body, reusable (the connection may go back to the pool) or nil, err.
local function read_body(conn, head, method, max_body)
  local h, status = head.headers, head.status
  if method == "HEAD" or status == 204 or status == 304 then return "", true end
  local te = h["transfer-encoding"]
  if te and find(lower(te), "chunked", 1, true) then
    local body, err = read_chunked(conn, max_body)
    if not body then return nil, err end
    return body, true
  end
  local len = h["content-length"]
  if len then
    len = tonumber(len)
    if not len or len < 0 or len % 1 ~= 0 then return nil, "malformed content-length" end
    if len > max_body then return nil, "response body too large" end
    if len == 0 then return "", true end
    local body, err = conn:receive(len)
    if not body then return nil, err end
    return body, true
  end
  -- No length: the body ends when the server closes; no reuse possible.
  local body, err = conn:receive_all(max_body)
  if not body then return nil, err end
  return body, false
end

local function keepalive_allowed(head)
  local conn = lower(head.headers["connection"] or "")
  if head.version == "1.0" then return find(conn, "keep-alive", 1, true) ~= nil end
  return find(conn, "close", 1, true) == nil
end

-- Connects (or takes a pooled connection) and completes TLS when needed.
-- Returns conn or nil, err.
local function connect(u, o, deadline, state)
  local sock, err = ngx.socket.tcp()
  if not sock then return nil, err_table("network", "cannot create a socket: " .. tostring(err), false) end
  state.sock = sock
  local left = deadline - now_ms()
  sock:settimeout(math.max(1, math.min(opt(o, "connect_timeout"), left)))
  local verify = opt(o, "ssl_verify") and true or false
  local resolve = opt(o, "resolve")
  local addr = resolve and resolve[u.host] or u.host
  -- The pool key carries the name and the TLS settings, so a connection
  -- verified for one name is never handed to a request for another.
  local pool = u.scheme .. ":" .. u.host .. ":" .. addr .. ":" .. u.port .. ":" .. tostring(verify)
  local ok
  -- A pooled connection the server has closed (its FIN waiting, unseen by
  -- nginx's pool: see peek.lua) is dropped before anything is written on it
  -- and the next one taken: written, the request's outcome would be unknown
  -- although the server never saw it. Each dead one leaves the pool, so this
  -- ends with a live or a new connection.
  for _ = 1, opt(o, "keepalive_pool") + 1 do
    ok, err = sock:connect(addr, u.port, { pool = pool, pool_size = opt(o, "keepalive_pool") })
    if not ok then return nil, io_err("connecting to " .. u.host .. ":" .. u.port, err, false) end
    if (sock:getreusedtimes() or 0) == 0 or not peek.available() then break end
    -- A server that closes right after answering may not have closed yet
    -- (measured: its FIN lands up to a few ms behind the answer under load);
    -- a millisecond's wait before looking catches most of those, at the
    -- cost of that millisecond on a reused connection only.
    ngx.sleep(0.001)
    if peek.alive(sock) ~= false then break end
    sock:close()
  end
  local reused = (sock:getreusedtimes() or 0) > 0
  if u.scheme == "https" and not reused then
    -- server_name gives SNI and, with verify, the name checked in the
    -- certificate. resty.core before 0.1.27 can raise here instead of
    -- returning an error when a verification failure ends a handshake
    -- (socket.lua "assertion failed!"); nothing was written yet, so that is
    -- a failed handshake, not a request sent. (Asking for no session with
    -- `false` would skip that check and return true: worse.)
    local hok, hres, herr = pcall(sock.sslhandshake, sock, nil, u.host, verify)
    if not hok then ok, err = nil, tostring(hres) else ok, err = hres, herr end
    if not ok then
      sock:close()
      return nil, io_err("TLS handshake with " .. u.host, err, false)
    end
  end
  return setmetatable({ sock = sock, deadline = deadline, buf = "", pos = 1 }, Conn)
end

-- One exchange on a new or pooled connection.
-- state.written turns true once bytes may have gone out; state.sock is the
-- socket to close if anything raises.
local function exchange(u, req, o, deadline, state)
  local conn, cerr = connect(u, o, deadline, state)
  if not conn then return nil, cerr end
  local sock = conn.sock
  if not conn:budget() then
    sock:close()
    return nil, err_table("timeout", "request timed out before it was sent", false)
  end
  local request = build_request(u, req)
  local size = 0
  for i = 1, #request do size = size + #request[i] end
  state.written = true
  local bytes, err = sock:send(request)
  if not bytes or bytes ~= size then
    sock:close()
    -- send() fails when it could not hand over the whole request, and a
    -- server cannot act on a request (a JSON body) it did not get whole.
    return nil, io_err("sending the request",
      err or ("only " .. tostring(bytes) .. " of " .. size .. " bytes written"), false)
  end
  -- From here on the server may have the request: any failure leaves the
  -- outcome unknown, and nothing is re-sent here, even when a pooled
  -- connection turns out dead (the client decides what to do).
  local head
  head, err = read_head(conn)
  if not head then
    sock:close()
    return nil, io_err("reading the response", err, true)
  end
  local body, reusable
  body, reusable = read_body(conn, head, req.method, opt(o, "max_body"))
  if not body then
    sock:close()
    return nil, io_err("reading the response body", reusable, true)
  end
  -- Bytes beyond the response mean the server and we disagree on framing:
  -- such a connection is not reused.
  if reusable and keepalive_allowed(head) and conn.pos > #conn.buf then
    sock:setkeepalive(opt(o, "keepalive_timeout"), opt(o, "keepalive_pool"))
  else
    sock:close()
  end
  return { status = head.status, headers = head.headers, body = body }
end

-- req: { url, method, headers = { name = value }, body }; o: see DEFAULTS.
function M.request(req, o)
  o = o or {}
  local u, perr = url_mod.parse(req.url)
  if not u then return nil, err_table("network", perr, false) end
  -- The client counts a transport that raises as "maybe sent". Whatever
  -- raises here (resty.core, a cosocket API) before the request is handed
  -- to send() cannot have reached the server: say so, so it is retried.
  local state = { written = false }
  local ok, res, err = pcall(exchange, u, req, o, now_ms() + opt(o, "total_timeout"), state)
  if ok then return res, err end
  if state.sock then pcall(state.sock.close, state.sock) end
  return nil, err_table("network", "request to " .. u.host .. ":" .. u.port .. " failed: " .. tostring(res),
    state.written)
end

return M
