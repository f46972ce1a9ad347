--- A tiny DNS responder for specs: UDP on 127.0.0.1, a random port, A
-- records for the names it is given, so nginx's `resolver` can reach a
-- local server by host name (cosockets do not read /etc/hosts).
--
--   local dns = require "support.dns"
--   local server = dns.start(dir, { ["ct.test"] = "127.0.0.1" })
--   server.port          -- for `resolver 127.0.0.1:PORT ipv6=off;`
--   server.queries()     -- names asked so far (one line each in DIR/dns.log)
--   server.stop()
--
-- Run as a script (`lua5.4 spec/support/dns.lua DIR name=ip ...`) it serves
-- until killed, writing its port to DIR/dns.port once it is bound (so the
-- port is never guessed) and each question to DIR/dns.log. Other names get
-- NXDOMAIN; other record types of a known name get an empty answer.
local socket = require "socket"

local M = {}

local function be16(s, i)
  return s:byte(i) * 256 + s:byte(i + 1)
end

local function u16(n)
  return string.char(math.floor(n / 256) % 256, n % 256)
end

-- The question's name (lower case, dotted) and the index just after it.
local function read_name(q, i)
  local labels = {}
  while true do
    local len = q:byte(i)
    if not len then return nil end
    if len == 0 then return table.concat(labels, "."):lower(), i + 1 end
    -- Queries never compress the question; refuse anything odd.
    if len >= 64 then return nil end
    labels[#labels + 1] = q:sub(i + 1, i + len)
    i = i + 1 + len
  end
end

--- The answer to one query packet, or nil for a packet to ignore.
function M.answer(q, names)
  if #q < 12 or be16(q, 5) ~= 1 then return nil end
  local name, i = read_name(q, 13)
  if not name or #q < i + 3 then return nil end
  local qtype, qclass = be16(q, i), be16(q, i + 2)
  local question = q:sub(13, i + 3)
  local ip = names[name]
  local flags = 0x8400 + (q:byte(3) % 2) * 0x0100 -- QR, AA, the query's RD
  if not ip then flags = flags + 3 end          -- NXDOMAIN
  local answers = ""
  local count = 0
  if ip and qtype == 1 and qclass == 1 then
    local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    -- name pointer to the question (offset 12), A, IN, TTL 60 s, 4 bytes
    answers = "\192\12" .. u16(1) .. u16(1) .. "\0\0\0\60" .. u16(4)
      .. string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
    count = 1
  end
  return q:sub(1, 2) .. u16(flags) .. u16(1) .. u16(count) .. u16(0) .. u16(0) .. question .. answers, name
end

local function serve(dir, names)
  local udp = assert(socket.udp())
  assert(udp:setsockname("127.0.0.1", 0))
  local _, port = udp:getsockname()
  local log = assert(io.open(dir .. "/dns.log", "a"))
  log:setvbuf("line")
  local tmp = dir .. "/dns.port.tmp"
  local f = assert(io.open(tmp, "w"))
  f:write(port, "\n")
  f:close()
  assert(os.rename(tmp, dir .. "/dns.port"))
  while true do
    local q, ip, qport = udp:receivefrom()
    if q then
      local reply, name = M.answer(q, names)
      if reply then
        -- logged first: the asker may finish, and the test read the log,
        -- as soon as the answer is out
        log:write(name, "\n")
        udp:sendto(reply, ip, qport)
      end
    end
  end
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- Starts the responder in its own process; returns { port, stop, queries }.
function M.start(dir, names)
  local args = {}
  for name, ip in pairs(names) do args[#args + 1] = name .. "=" .. ip end
  os.remove(dir .. "/dns.port")
  local cmd = ("lua5.4 spec/support/dns.lua %s %s >%s/dns.out 2>&1 & echo $!"):format(dir, table.concat(args, " "), dir)
  local p = assert(io.popen(cmd))
  local pid = p:read("*l"):match("%d+")
  p:close()
  local port
  local deadline = socket.gettime() + 5
  while not port do
    port = tonumber((read(dir .. "/dns.port") or ""):match("%d+"))
    if not port then
      if socket.gettime() > deadline then
        os.execute("kill " .. pid)
        error("the DNS responder did not start: " .. (read(dir .. "/dns.out") or ""))
      end
      socket.sleep(0.02)
    end
  end
  local h = { port = port, pid = pid }
  function h.stop() os.execute("kill " .. pid .. " 2>/dev/null") end
  function h.queries()
    local list = {}
    for line in (read(dir .. "/dns.log") or ""):gmatch("[^\n]+") do list[#list + 1] = line end
    return list
  end
  return h
end

if ... ~= "support.dns" and arg and arg[0] and arg[0]:match("dns%.lua$") then
  local dir = assert(arg[1], "usage: dns.lua DIR name=ip ...")
  local names = {}
  for i = 2, #arg do
    local name, ip = arg[i]:match("^([^=]+)=(.+)$")
    names[name:lower()] = ip
  end
  serve(dir, names)
end

return M
