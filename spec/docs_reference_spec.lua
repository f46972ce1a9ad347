--- docs/reference.md covers the public surface: every function found by
-- walking the real module tables (and the methods of real objects), and every
-- function the public C headers declare, has a heading there; every name a
-- heading documents exists. A heading documents the first `name` in
-- backticks: `clevertap.validate(endpoint, payload [, opts])`, `client:send(...)`,
-- `ct_client_new`. A failure lists the names, so the fix is one entry each.
local files = require "support.files"
local cli = require "support.cli"
local clevertap = require "clevertap"

local root = cli.root

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- The façade loads some members on first use; its source names them.
local function facade_names()
  local src = assert(files.read(root .. "/lua/clevertap/init.lua"))
  local names = {}
  for k in pairs(clevertap) do names[k] = true end
  local lazy = src:match("local lazy = (%b{})") or ""
  for k in lazy:gmatch("\n%s*([%a_][%w_]*)%s*=%s*function") do names[k] = true end
  return sorted_keys(names)
end

local function functions_of(t, prefix, sep, into)
  for _, k in ipairs(sorted_keys(t)) do
    if type(k) == "string" and type(t[k]) == "function" and not k:match("^__") and not k:match("^_") then
      into[prefix .. sep .. k] = true
    end
  end
end

local function methods_of(obj)
  local mt = getmetatable(obj)
  local idx = mt and mt.__index
  assert(type(idx) == "table", "object without a method table")
  return idx
end

local function ls(dir)
  local out = {}
  local p = assert(io.popen("ls " .. files.quote(root .. "/" .. dir) .. " 2>/dev/null"))
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

--- The public Lua surface, walked from real values: name -> true.
local function lua_surface()
  local names = {}
  for _, k in ipairs(facade_names()) do
    local v = clevertap[k]
    if type(v) == "function" then names["clevertap." .. k] = true end
  end
  functions_of(clevertap.when, "clevertap.when", ".", names)
  functions_of(clevertap.sms, "clevertap.sms", ".", names)
  for _, f in ipairs(ls("lua/clevertap/sms/presets")) do
    local name = f:match("^(.-)%.lua$")
    -- common.lua holds what the presets share
    if name and name ~= "common" then names["clevertap.sms.presets." .. name] = true end
  end
  local http = require "clevertap.http"
  functions_of(http, "clevertap.http", ".", names)
  functions_of(require "clevertap.error", "clevertap.error", ".", names)
  -- the nginx transport is chosen by users inside OpenResty (docs/embedding.md)
  functions_of(require "clevertap.transport.ngx", "clevertap.transport.ngx", ".", names)

  local client = assert(clevertap.new { account_id = "DOCS-ACCOUNT", passcode = "DOCS-PASSCODE",
    base_url = "http://127.0.0.1:9/1" })
  functions_of(methods_of(client), "client", ":", names)
  -- a job is queued, never polled: no request is made
  local job = assert(client:start("list", { from = 20350101, to = 20350102 }))
  functions_of(methods_of(job), "job", ":", names)
  job:cancel()
  client:close()

  local provider = assert(clevertap.sms.provider { name = "docs", method = "POST",
    url = "https://sms.example.com/send", params = { { "to", "$$To" }, { "text", "$$Body" } } })
  functions_of(methods_of(provider), "provider", ":", names)

  local runner = http.new {}
  functions_of(methods_of(runner), "runner", ":", names)
  local rjob = assert(runner:start({}))
  functions_of(methods_of(rjob), "runner_job", ":", names)
  runner:close()
  return names
end

--- Functions the public headers declare (CT_API ... name(...)): name -> header.
local function c_surface()
  local names = {}
  for _, h in ipairs(ls("include/clevertap")) do
    if h:match("%.h$") then
      local text = assert(files.read(root .. "/include/clevertap/" .. h))
      text = text:gsub("/%*.-%*/", " ")
      for decl in text:gmatch("CT_API([^;{]-%b()%s*);") do
        local name = decl:match("([%a_][%w_]*)%s*%b()%s*$")
        if name then names[name] = h end
      end
    end
  end
  return names
end

local function documented()
  local text = assert(files.read(root .. "/docs/reference.md"), "docs/reference.md is missing")
  local names = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local head = line:match("^#+%s+(.*)$")
    local code = head and head:match("`([^`]+)`")
    local name = code and code:match("^([%a_][%w_%.:]*)")
    if name then names[name] = true end
  end
  return names
end

local function missing(want, have)
  local out = {}
  for _, k in ipairs(sorted_keys(want)) do
    if not have[k] then out[#out + 1] = k end
  end
  return out
end

describe("docs/reference.md", function()
  local docs = documented()

  it("walks a real surface (the check is not empty)", function()
    local lua, c = lua_surface(), c_surface()
    assert.is_true(lua["clevertap.validate"] and lua["client:send"] and lua["job:wait"] and
      lua["clevertap.when.at"] and lua["provider:render"] and lua["runner:run"] or false)
    assert.is_true(c["ct_validate_json"] ~= nil and c["ct_client_poll"] ~= nil)
  end)

  it("has an entry for every public Lua function and method", function()
    local gaps = missing(lua_surface(), docs)
    assert(#gaps == 0, "no entry in docs/reference.md for: " .. table.concat(gaps, ", "))
  end)

  it("has an entry for every function of the public C headers", function()
    local gaps = missing(c_surface(), docs)
    assert(#gaps == 0, "no entry in docs/reference.md for: " .. table.concat(gaps, ", "))
  end)

  it("documents nothing that does not exist", function()
    local lua, c = lua_surface(), c_surface()
    -- a dotted name resolves through require and indexing (modules, fields,
    -- the few clevertap.core entries the docs name); a method must be walked
    local function exists(name)
      if lua[name] or c[name] then return true end
      if name:find(":", 1, true) or name:match("^ct_") then return false end
      local parts = {}
      for part in name:gmatch("[^%.]+") do parts[#parts + 1] = part end
      for i = #parts, 1, -1 do
        local ok, v = pcall(require, table.concat(parts, ".", 1, i))
        if ok then
          for j = i + 1, #parts do
            if type(v) ~= "table" then return false end
            v = v[parts[j]]
          end
          return v ~= nil
        end
      end
      return false
    end
    local stale = {}
    for _, name in ipairs(sorted_keys(docs)) do
      if (name:match("^ct_") or name:match("[:%.]")) and not exists(name) then stale[#stale + 1] = name end
    end
    assert(#stale == 0, "docs/reference.md documents what does not exist: " .. table.concat(stale, ", "))
  end)
end)
