--- The Redis limiter inside nginx: an account's limits shared with every
-- process and host using that Redis (C clients on hiredis, Lua processes,
-- other nginx), through cosockets (lua-resty-redis), never a blocking
-- socket. Internal; see docs/limits.md.
--
-- The keys and the script are the C limiter's own (core.limiter_script(),
-- the text in csrc/limit/ct_limit_redis.c): one EVALSHA a step renews the
-- leases due, gives back released ones, records 429 hold-offs, registers
-- this member and its limits (the strictest wins) and tries one acquire, on
-- Redis's clock. The cosocket transport asks it before each request, as it
-- asks the shdict limiter (names_for, acquire, release, backoff).
--
-- In one worker the requests waiting for the same limits queue behind one
-- poller (a semaphore), so a worker polls the store once per grant or wait
-- however many requests it has waiting, and workers take turns at random.
-- luacheck: read globals ngx
local core = require "clevertap.core"

local M = {}

local RETRY_STORE = 0.5   -- fail_mode closed: how often the store is tried again (s)
local RECONNECT = 1       -- fail_mode local: how often the store is tried again (s)
local RELEASE_DELAY = 0.005 -- a release waits this long for an acquire to carry it
local CONNECT_TIMEOUT_MS, COMMAND_TIMEOUT_MS = 300, 1000
local POOL_IDLE_MS, POOL_SIZE = 60000, 32

local SCRIPT, SPAN = core.limiter_script()

local redis_mod
local function driver()
  if not redis_mod then
    -- lua-resty-redis is resty.redis upstream, nginx.redis in Debian's lua-nginx-redis
    local ok, mod = pcall(require, "resty.redis")
    if not ok then ok, mod = pcall(require, "nginx.redis") end
    if not ok then return nil, "limiter: redis:// inside nginx needs lua-resty-redis (Debian lua-nginx-redis)" end
    redis_mod = mod
  end
  return redis_mod
end

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end
local SHA

local hostname
local function host_name()
  if not hostname then
    local f = io.open("/proc/sys/kernel/hostname")
    hostname = f and f:read("*l") or "nginx"
    if f then f:close() end
  end
  return hostname
end

local function now()
  ngx.update_time()
  return ngx.now()
end

local max, min, floor, random = math.max, math.min, math.floor, math.random

--- redis://[user:pass@]host:port[/db] -> parts | nil, err (never the password)
function M.parse_url(url)
  local rest = url:match("^redis://(.*)$")
  if not rest then return nil, "limiter: not a redis URL" end
  local u = {}
  local cred, hostpart = rest:match("^(.*)@([^@]*)$")
  if cred then
    local user, pass = cred:match("^([^:]*):(.*)$")
    if user then
      u.user, u.pass = user ~= "" and user or nil, pass
    else
      u.pass = cred
    end
    rest = hostpart
  end
  local hp, db = rest:match("^([^/]*)/?(.*)$")
  local host, port = hp:match("^([^:]*):?(.*)$")
  if host == "" then return nil, "limiter: a redis URL needs a host (redis://[user:pass@]host:port[/db])" end
  u.host, u.port, u.db = host, 6379, 0
  if port ~= "" then
    u.port = tonumber(port:match("^%d+$") or "")
    if not u.port or u.port < 1 or u.port > 65535 then
      return nil, "limiter: bad port in the redis URL for host " .. host
    end
  end
  if db ~= "" then
    u.db = tonumber(db:match("^%d+$") or "")
    if not u.db or u.db > 100000 then
      return nil, ("limiter: bad database number in the redis URL for %s:%d"):format(host, u.port)
    end
  end
  return u
end

local L = {}
L.__index = L

--- url, account, limits as the shdict limiter takes them
-- ({ name = { kind = "bucket", rate =, burst =, pace = } | { kind = "sem", max = } }),
-- opts: lease (s), fail_mode ("closed" | "local"), members (expected), logger (level, msg).
function M.new(url, account, limits, opts)
  opts = opts or {}
  local drv, derr = driver()
  if not drv then return nil, derr end
  local u, err = M.parse_url(url)
  if not u then return nil, err end
  SHA = SHA or hex(ngx.sha1_bin(SCRIPT))
  local self = setmetatable({ u = u, account = account, lease = opts.lease or 10,
    fail_local = opts.fail_mode == "local", expected = opts.members or 1, logger = opts.logger,
    defs = {}, index = {}, held = {}, released = {}, backoffs = {}, nheld = 0, next_lease = 0,
    members = 1, warned = {}, gates = {}, fb = {}, down = false, retry_at = 0 }, L)
  -- the pool holds connections already authenticated and on the right db:
  -- its name says which, without the password itself
  self.pool = ("clevertap:%s:%d:%d:%s"):format(u.host, u.port, u.db,
    u.pass and ngx.md5((u.user or "") .. ":" .. u.pass) or "-")
  self.member = ("%s:%d:%08x"):format(host_name():sub(1, 24), ngx.worker.pid(), random(0, 0x7fffffff))
  -- the C limiter's order does not matter: keys are by name, masks by this call's order
  local names = {}
  for name in pairs(limits) do names[#names + 1] = name end
  table.sort(names)
  local p = "clevertap:{" .. account .. "}:"
  self.keys = { p .. "cfg", p .. "members" }
  for i, name in ipairs(names) do
    local l = limits[name]
    self.defs[i] = { name = name, kind = l.kind, value = l.kind == "sem" and l.max or l.rate,
      burst = l.kind == "sem" and 1 or max(1, l.burst or 1), pace = l.pace or 1 }
    self.index[name] = i
    local k = #self.keys
    self.keys[k + 1], self.keys[k + 2], self.keys[k + 3] = p .. name, p .. name .. ":window", p .. name .. ":hold"
  end
  return self
end

M.names_for = require("clevertap.limit.shdict").names_for
L.names_for = M.names_for

function L:log(warn, msg)
  ngx.log(warn and ngx.WARN or ngx.NOTICE, "clevertap ", msg)
  if self.logger then pcall(self.logger, warn and "warn" or "info", msg) end
end

local function connect(self)
  local red, err = redis_mod:new()
  if not red then return nil, err end
  red:set_timeout(CONNECT_TIMEOUT_MS)
  local u = self.u
  local ok, cerr = red:connect(u.host, u.port, { pool = self.pool })
  if not ok then return nil, cerr end
  red:set_timeout(COMMAND_TIMEOUT_MS)
  if (red:get_reused_times() or 0) == 0 then
    if u.pass then
      local res
      if u.user then res = red:auth(u.user, u.pass) else res = red:auth(u.pass) end
      -- Redis's answer is not shown: nothing of the credentials goes out
      if not res then red:close(); return nil, "authentication failed" end
    end
    if u.db ~= 0 then
      local res, serr = red:select(u.db)
      if not res then red:close(); return nil, "SELECT: " .. tostring(serr) end
    end
  end
  return red
end

-- The store failed: one clear line, then the fail mode decides. Leases are
-- forgotten: the store expires them.
function L:store_down(why)
  self.held, self.nheld, self.released = {}, 0, {}
  if not self.down then
    self:log(true, ("limiter: the Redis store at %s:%d is unusable (%s); fail_mode %s: %s"):format(
      self.u.host, self.u.port, tostring(why), self.fail_local and "local" or "closed",
      self.fail_local and "this process keeps its share of the account's limits "
        .. "(local limits divided by the members seen) until it answers"
        or "no request starts until it answers"))
  end
  self.down = true
  self.retry_at = now() + (self.fail_local and RECONNECT or RETRY_STORE)
end

local function lease_list(self, t)
  local parts = {}
  for id, l in pairs(self.held) do
    if t - l.renewed >= self.lease / 3 then
      parts[#parts + 1] = self.member .. "-" .. id .. "/" .. l.mask
      l.renewed = t
    end
  end
  return table.concat(parts, ",")
end

--- One step (the C limiter's, argument for argument): renewals, releases,
-- hold-offs, and an acquire of want (indexes) when given. nil, err = the
-- store failed; else granted (bool), wait (ms), full (bool).
function L:step(want, id)
  local t = now()
  local red, err = connect(self)
  if not red then self:store_down(err); return nil, err end
  local released = table.concat(self.released, ",")
  self.released = {}
  local boff = {}
  for i, ms in pairs(self.backoffs) do boff[#boff + 1] = (i - 1) .. "/" .. ms end
  self.backoffs = {}
  local lease_id, limits = "", ""
  if want then
    lease_id = self.member .. "-" .. id
    local idx = {}
    for _, i in ipairs(want) do idx[#idx + 1] = i - 1 end
    limits = table.concat(idx, ",")
  end
  local args = { #self.keys }
  for _, k in ipairs(self.keys) do args[#args + 1] = k end
  local n = #args
  args[n + 1], args[n + 2], args[n + 3], args[n + 4] = floor(self.lease * 1000), self.member, lease_id, limits
  args[n + 5], args[n + 6], args[n + 7], args[n + 8] = lease_list(self, t), released, table.concat(boff, ","), SPAN
  for _, d in ipairs(self.defs) do
    n = #args
    args[n + 1], args[n + 2] = d.name, d.kind == "sem" and "s" or "b"
    args[n + 3], args[n + 4], args[n + 5] = ("%.6f"):format(d.value), ("%.6f"):format(d.burst), ("%.6f"):format(d.pace)
  end
  local unpack = table.unpack or unpack -- luacheck: ignore 143
  local res, rerr = red:evalsha(SHA, unpack(args))
  if not res and tostring(rerr):find("^NOSCRIPT") then
    -- the store restarted or flushed its scripts: send it whole once
    res, rerr = red:eval(SCRIPT, unpack(args))
  end
  if type(res) ~= "table" or #res < 5 then
    red:close()
    self:store_down(rerr or "unexpected answer")
    return nil, rerr
  end
  red:set_keepalive(POOL_IDLE_MS, POOL_SIZE)
  if self.down then
    self:log(false, ("limiter: the Redis store at %s:%d answers again; shared limits apply"):format(
      self.u.host, self.u.port))
  end
  self.down = false
  self.members = max(1, tonumber(res[3]) or 1)
  local diffs = type(res[4]) == "string" and res[4] or ""
  for name, v in diffs:gmatch("([^,=]+)=([^,]+)") do
    local i = self.index[name]
    if i and not self.warned[name] then
      self.warned[name] = true
      self:log(true, ("limiter: another member of account %s set %s to %s (this one: %g); the strictest value "
        .. "applies to every member"):format(self.account, name, v, self.defs[i].value))
    end
  end
  return res[1] == 1, tonumber(res[2]) or 0, res[5] == 1
end

-- Releases and hold-offs not carried by an acquire within RELEASE_DELAY go
-- in a step of their own; leases held are renewed every third of a lease.
function L:schedule_flush()
  if self.flushing then return end
  self.flushing = true
  local ok = ngx.timer.at(RELEASE_DELAY, function(premature)
    self.flushing = false
    if premature or self.down then return end
    if self.released[1] or next(self.backoffs) then self:step() end
  end)
  if not ok then self.flushing = false end
end

function L:schedule_renewal()
  if self.renewing then return end
  self.renewing = true
  local function renew(premature)
    if premature or self.nheld == 0 then self.renewing = false; return end
    if not self.down then self:step() end
    if self.nheld == 0 or not ngx.timer.at(self.lease / 3, renew) then self.renewing = false end
  end
  if not ngx.timer.at(self.lease / 3, renew) then self.renewing = false end
end

-- fail_mode local: this worker's share of the account's limits, the
-- limits divided by the members last seen (at least the expected count)
function L:fallback_try(names, t)
  local share = max(self.members, self.expected)
  local wait = 0
  for _, name in ipairs(names) do
    local i = self.index[name]
    if i then
      local d = self.defs[i]
      local f = self.fb[name]
      if not f then
        f = { tokens = max(1, d.burst / share), ts = t, inflight = 0 }
        self.fb[name] = f
      end
      if d.kind == "sem" then
        if f.inflight >= max(1, floor(d.value / share)) then wait = max(wait, 0.005 + random() * 0.01) end
      else
        local rate = d.value * d.pace / share
        f.tokens = min(max(1, d.burst / share), f.tokens + (t - f.ts) * rate)
        f.ts = t
        if f.tokens < 1 then wait = max(wait, (1 - f.tokens) / rate) end
      end
    end
  end
  if wait > 0 then return wait end
  for _, name in ipairs(names) do
    local f, i = self.fb[name], self.index[name]
    if i then
      if self.defs[i].kind == "sem" then f.inflight = f.inflight + 1 else f.tokens = f.tokens - 1 end
    end
  end
  return 0
end

--- One try at every limit of names at once: 0, token = taken; else seconds to wait.
function L:try(names)
  local t = now()
  if self.down and t < self.retry_at then
    if not self.fail_local then return self.retry_at - t end
    local w = self:fallback_try(names, t)
    return w, w == 0 and { fallback = names } or nil
  end
  local want, sems = {}, 0
  for _, name in ipairs(names) do
    local i = self.index[name]
    if i then
      want[#want + 1] = i
      if self.defs[i].kind == "sem" then sems = sems + 2 ^ (i - 1) end
    end
  end
  if not want[1] then return 0, {} end
  self.next_lease = self.next_lease + 1
  local id = self.next_lease
  local granted, wait, full = self:step(want, id)
  if granted == nil then
    if self.fail_local then return self:try(names) end
    return self.retry_at - now()
  end
  if granted then
    if sems > 0 then
      self.held[id] = { mask = floor(sems), renewed = t }
      self.nheld = self.nheld + 1
      self:schedule_renewal()
    end
    return 0, { lease = sems > 0 and id or nil }
  end
  -- members told to wait the same time would all come back at once:
  -- jitter spreads them, so the ceiling is shared roughly evenly
  if full then return (5 + random(0, 10)) / 1000 end
  return (wait + random(0, 2)) / 1000
end

-- The poller of names in this worker: one light thread at a time asks the
-- store, the others wait their turn in order.
function L:gate(key)
  local g = self.gates[key]
  if g == nil then
    local ok, semaphore = pcall(require, "ngx.semaphore")
    g = ok and semaphore.new(1) or false
    self.gates[key] = g
  end
  return g or nil
end

--- Waits (ngx.sleep) until names may start, then takes them; the token goes back to release.
function L:acquire(names)
  local key = table.concat(names, ",")
  local g = self:gate(key)
  if g then
    -- a long wait (the store down in fail_mode closed) keeps its turn
    while not g:wait(60) do end
  end
  local ok, w, token = pcall(function()
    while true do
      local wait, tok = self:try(names)
      if wait <= 0 then return 0, tok end
      ngx.sleep(max(wait, 0.001))
    end
  end)
  if g then g:post(1) end
  if not ok then error(w, 0) end
  return token
end

--- The request of names ended: its semaphore slots go back.
function L:release(_, token)
  if not token then return end
  if token.fallback then
    for _, name in ipairs(token.fallback) do
      local f = self.fb[name]
      if f and f.inflight > 0 then f.inflight = f.inflight - 1 end
    end
    return
  end
  local l = token.lease and self.held[token.lease]
  if not l then return end -- forgotten when the store went away: it expires there
  self.held[token.lease] = nil
  self.nheld = self.nheld - 1
  self.released[#self.released + 1] = self.member .. "-" .. token.lease .. "/" .. l.mask
  self:schedule_flush()
end

--- A 429: every member holds off names for seconds.
function L:backoff(names, seconds)
  for _, name in ipairs(names) do
    local i = self.index[name]
    if i then self.backoffs[i] = max(self.backoffs[i] or 0, floor(seconds * 1000)) end
  end
  self:schedule_flush()
end

return M
