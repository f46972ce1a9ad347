--- The shdict limiter: an account's limits shared by every worker of one
-- nginx, on a lua_shared_dict (`lua_shared_dict clevertap_limits 1m;`). The
-- cosocket transport asks it before each request (waiting with ngx.sleep,
-- never blocking the worker) and tells it when the request ended or was
-- answered 429. Internal; see docs/limits.md.
--
-- The dictionary's operations are atomic one by one; a step that reads and
-- writes several keys takes a short lock (an `add` that expires, so a worker
-- dying inside frees it). The locked steps never yield.
-- luacheck: read globals ngx
local M = {}
M.DEFAULT_DICT = "clevertap_limits"

local L = {}
L.__index = L

local max, min, random = math.max, math.min, math.random

-- Per worker, per dictionary and account: the slots this worker holds, and
-- its renewal timer (one, whatever the number of clients).
local workers = {}

local function now()
  ngx.update_time()
  return ngx.now()
end

--- limits: { name = { kind = "bucket", rate =, burst =, pace = } | { kind = "sem", max = } }
-- opts.lease: seconds a semaphore slot is leased for (renewed while held).
function M.new(dict_name, account, limits, opts)
  local dict = ngx.shared[dict_name]
  if not dict then return nil, "limiter: no lua_shared_dict " .. dict_name .. " in nginx.conf" end
  local lease = opts and opts.lease or 10
  local p = "ct:" .. account .. ":"
  local key = dict_name .. "\0" .. p
  local w = workers[key]
  if not w then
    w = { held = {}, pid = tostring(ngx.worker.pid()) }
    workers[key] = w
    -- slow requests keep their slots: the counts' leases are renewed while held
    local ok, err = ngx.timer.every(lease / 3, function()
      for name, n in pairs(w.held) do
        if n > 0 then dict:expire(p .. "held:" .. name .. ":" .. w.pid, lease) end
      end
    end)
    if not ok then ngx.log(ngx.ERR, "clevertap limiter: no renewal timer: ", err) end
  end
  return setmetatable({ dict = dict, p = p, limits = limits, lease = lease, w = w, warned = {},
    account = account }, L)
end

--- The limits a request URL takes: targets/create also holds a targets slot
-- (names not configured are skipped: send_concurrency only when shared).
function M.names_for(url)
  if url:find("/targets/create.json", 1, true) then return { "create_rate", "targets_concurrency" } end
  if url:find("/targets/", 1, true) then return { "targets_concurrency" } end
  if url:find("/send/", 1, true) then return { "send_rate", "send_concurrency" } end
  return {}
end

-- The strictest value any live worker set (each refreshes its own).
function L:effective(name, l)
  local key = self.p .. "cfg:" .. name
  local mine = l.kind == "sem" and l.max or l.rate
  local stored = self.dict:get(key)
  if not stored or mine < stored then
    self.dict:set(key, mine, self.lease * 10)
    stored = mine
  else
    self.dict:expire(key, self.lease * 10)
  end
  if stored < mine and not self.warned[name] then
    self.warned[name] = true
    ngx.log(ngx.WARN, "clevertap limiter: another member of account ", self.account, " set ", name, " to ",
      stored, " (this one: ", mine, "); the strictest value applies to every member")
  end
  return stored
end

-- Slots held over the workers registered for a semaphore; the list without
-- the workers whose lease ran out.
function L:sem_count(name)
  local n, live = 0, {}
  for pid in (self.dict:get(self.p .. "pids:" .. name) or ""):gmatch("%d+") do
    local c = self.dict:get(self.p .. "held:" .. name .. ":" .. pid)
    if c then
      n = n + c
      live[#live + 1] = pid
    end
  end
  return n, live
end

--- One try at every limit of names at once: 0 = taken, else seconds to wait.
function L:try(names)
  local dict, p, t = self.dict, self.p, now()
  if not dict:add(p .. "lock", true, 0.05) then return 0.001 end
  local wait, state = 0, {}
  for _, name in ipairs(names) do
    local l = self.limits[name]
    if l then
      local hold = dict:get(p .. "hold:" .. name)
      if hold and hold > t then wait = max(wait, hold - t) end
      local eff = self:effective(name, l)
      if l.kind == "sem" then
        local n, live = self:sem_count(name)
        -- a full semaphore frees when someone's request ends: poll, jittered
        if n >= eff then wait = max(wait, 0.005 + random() * 0.01) end
        state[name] = live
      else
        local rate = eff * (l.pace or 1)
        local burst = max(1, l.burst * min(1, eff / l.rate))
        local tokens, ts = dict:get(p .. "tokens:" .. name), dict:get(p .. "ts:" .. name)
        if not tokens or not ts then tokens, ts = burst, t end
        tokens = min(burst, tokens + max(0, t - ts) * rate)
        if tokens < 1 then wait = max(wait, (1 - tokens) / rate + random() * 0.002) end
        state[name] = tokens
      end
    end
  end
  if wait == 0 then
    for _, name in ipairs(names) do
      local l = self.limits[name]
      if l and l.kind == "sem" then
        local key = p .. "held:" .. name .. ":" .. self.w.pid
        dict:set(key, (dict:get(key) or 0) + 1, self.lease)
        local live, me = state[name], false
        for _, pid in ipairs(live) do me = me or pid == self.w.pid end
        if not me then live[#live + 1] = self.w.pid end
        dict:set(p .. "pids:" .. name, table.concat(live, ","), self.lease * 10)
        self.w.held[name] = (self.w.held[name] or 0) + 1
      elseif l then
        dict:set(p .. "tokens:" .. name, state[name] - 1, self.lease * 10)
        dict:set(p .. "ts:" .. name, t, self.lease * 10)
      end
    end
  end
  dict:delete(p .. "lock")
  return wait
end

--- Waits (ngx.sleep) until names may start, then takes them.
function L:acquire(names)
  while true do
    local w = self:try(names)
    if w <= 0 then return end
    ngx.sleep(max(w, 0.001))
  end
end

--- The request of names ended: its semaphore slots go back.
function L:release(names)
  local dict, p = self.dict, self.p
  for _, name in ipairs(names) do
    local l = self.limits[name]
    if l and l.kind == "sem" and (self.w.held[name] or 0) > 0 then
      self.w.held[name] = self.w.held[name] - 1
      -- incr keeps the lease's expiry; a count already expired stays gone
      dict:incr(p .. "held:" .. name .. ":" .. self.w.pid, -1)
    end
  end
end

--- A 429: every worker holds off names for seconds.
function L:backoff(names, seconds)
  local t = now()
  for _, name in ipairs(names) do
    local key = self.p .. "hold:" .. name
    local cur = self.dict:get(key)
    if not cur or cur < t + seconds then self.dict:set(key, t + seconds, seconds + 1) end
  end
end

L.names_for = M.names_for

return M
