-- The cosocket transport against a server that closes keep-alive
-- connections without saying so (no "Connection: close"), like a proxy or a
-- server dropping idle connections: client and server are nginx with
-- several workers each. A request written on a connection the peer had
-- already closed never reached the server: it must be retried, not left
-- `unknown`. Pooled connections are not kept past a safe idle age.
local files = require("support.files")
local ngxh = require("support.nginx")

local ROOT, BUILD, sh = ngxh.ROOT, ngxh.BUILD, ngxh.sh
local write = files.write
local json = require("cjson")

-- The origin: a CleverTap look-alike speaking HTTP/1.1 itself on the raw
-- connection, so it decides when a connection ends. After each answer it
-- closes the connection with probability CT_CLOSE_P (a seeded generator per
-- connection), else waits for the next request on it. `received` counts
-- requests whose body it read whole: the only ones it could act on.
local ORIGIN = [==[
local M = {}
local P = tonumber(os.getenv("CT_CLOSE_P"))
local BODY = '{"status":"success","message":"Added to queue for processing"}'
local ANSWER = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #BODY .. "\r\n\r\n" .. BODY

local function read_request(sock)
  local line, err = sock:receive("*l")
  if not line then return nil, err end
  local len = 0
  while true do
    local h, herr = sock:receive("*l")
    if not h then return nil, herr end
    if h == "" then break end
    local n = h:lower():match("^content%-length:%s*(%d+)")
    if n then len = tonumber(n) end
  end
  if len > 0 then
    local body, berr = sock:receive(len)
    if not body then return nil, berr end
  end
  return true
end

function M.serve()
  local dict = ngx.shared.origin
  local seed = dict:incr("connections", 1, 0)
  math.randomseed(seed * 7919)
  ngx.req.read_body()
  local sock = assert(ngx.req.socket(true))
  dict:incr("received", 1, 0)
  while true do
    ngx.sleep(0.002)
    sock:send(ANSWER)
    if math.random() < P then
      dict:incr("closed", 1, 0)
      return ngx.exit(444)
    end
    sock:settimeout(10000)
    if not read_request(sock) then return ngx.exit(444) end
    dict:incr("received", 1, 0)
  end
end

function M.conn()
  local body = ngx.var.connection .. " " .. ngx.var.connection_requests
  ngx.header["Content-Length"] = #body
  ngx.print(body)
end

function M.stats()
  local d = ngx.shared.origin
  ngx.print(require("cjson").encode({ received = d:get("received") or 0, closed = d:get("closed") or 0,
    connections = d:get("connections") or 0 }))
end

function M.reset()
  ngx.shared.origin:flush_all()
  ngx.print("{}")
end
return M
]==]

-- The sender: client:send through the default (cosocket) transport.
local SENDER = [==[
local cjson = require("cjson.safe")
local M = {}
local ORIGIN = tonumber(os.getenv("CT_ORIGIN_PORT"))
local CONN = tonumber(os.getenv("CT_CONN_PORT"))

function M.send()
  local clevertap = require("clevertap")
  local n = tonumber(ngx.var.arg_n)
  local client = assert(clevertap.new({ base_url = "http://127.0.0.1:" .. ORIGIN .. "/1", account_id = "ACCOUNT",
    passcode = "PASSCODE", concurrency = tonumber(ngx.var.arg_c), timeout = 5,
    retry = { attempts = 5, base_delay = 0.01, max_delay = 0.05 } }))
  local ids = {}
  for i = 1, n do ids[i] = "user-" .. i end
  local report, err = client:send("push", { to = { Identity = ids }, content = { title = "t", body = "b" } })
  client:close()
  ngx.header["Content-Type"] = "application/json"
  if not report then return ngx.print(cjson.encode({ err = tostring(err) })) end
  local unknown, messages = 0, {}
  for _, u in ipairs(report.unknown) do
    unknown = unknown + #u.to.Identity
    messages[tostring(u.error)] = true
  end
  local list = {}
  for m in pairs(messages) do list[#list + 1] = m end
  ngx.print(cjson.encode({ accepted = report.accepted, failed = #report.failed, unknown = unknown,
    unknown_batches = #report.unknown, requests = report.requests, messages = list, worker = ngx.worker.pid() }))
end

-- Two requests to the origin's /conn with `gap` seconds between them:
-- whether the second reused the first's connection.
function M.idle()
  local t = assert(require("clevertap.transport.ngx").new())
  local url = "http://127.0.0.1:" .. CONN .. "/conn"
  local a = assert(t:request({ url = url, method = "GET" }))
  ngx.sleep(tonumber(ngx.var.arg_gap))
  local b = assert(t:request({ url = url, method = "GET" }))
  ngx.print(cjson.encode({ first = a.body:match("^%d+"), second = b.body:match("^%d+") }))
end
return M
]==]

local function common(dir, workers)
  return {
    assert(ngxh.load_modules()),
    ngxh.user_line(),
    "worker_processes " .. workers .. ";",
    "pid " .. dir .. "/logs/nginx.pid;",
    "error_log " .. dir .. "/logs/error.log info;",
    "events { worker_connections 1024; }",
  }
end

local function http_common(dir)
  return table.concat({
    "  access_log off;",
    "  client_body_temp_path " .. dir .. "/tmp; proxy_temp_path " .. dir .. "/tmp;",
    "  fastcgi_temp_path " .. dir .. "/tmp; uwsgi_temp_path " .. dir .. "/tmp; scgi_temp_path " .. dir .. "/tmp;",
    ('  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;%s/?.lua;/usr/share/lua/5.1/?.lua;;";')
      :format(ROOT, ROOT, dir),
    ('  lua_package_cpath "%s/%s/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;";'):format(ROOT, BUILD),
  }, "\n")
end

local function origin_conf(dir, port, cport, p)
  local c = common(dir, 4)
  c[#c + 1] = "env CT_CLOSE_P=" .. p .. ";"
  c[#c + 1] = "http {\n" .. http_common(dir)
  c[#c + 1] = "  lua_shared_dict origin 1m;"
  -- nginx's own keep-alive timeout stays long: only the origin's
  -- unannounced closes end connections.
  c[#c + 1] = "  keepalive_timeout 75s;"
  c[#c + 1] = "  server {\n    listen 127.0.0.1:" .. port .. " backlog=1024;"
  c[#c + 1] = "    location /1/ { content_by_lua_block { require('origin').serve() } }"
  c[#c + 1] = "    location = /stats { content_by_lua_block { require('origin').stats() } }"
  c[#c + 1] = "    location = /reset { content_by_lua_block { require('origin').reset() } }"
  c[#c + 1] = "    location = / { return 204; }"
  c[#c + 1] = "  }"
  -- An ordinary keep-alive server on its own port (its own pool key) for
  -- the idle-age case.
  c[#c + 1] = "  server {\n    listen 127.0.0.1:" .. cport .. ";"
  c[#c + 1] = "    location = /conn { content_by_lua_block { require('origin').conn() } }"
  c[#c + 1] = "  }\n}"
  return table.concat(c, "\n")
end

local function sender_conf(dir, port, origin_port, conn_port)
  local c = common(dir, 4)
  c[#c + 1] = "env CT_ORIGIN_PORT=" .. origin_port .. ";"
  c[#c + 1] = "env CT_CONN_PORT=" .. conn_port .. ";"
  c[#c + 1] = "http {\n" .. http_common(dir)
  c[#c + 1] = "  server {\n    listen 127.0.0.1:" .. port .. ";"
  c[#c + 1] = "    location = /send { content_by_lua_block { require('sender').send() } }"
  c[#c + 1] = "    location = /idle { content_by_lua_block { require('sender').idle() } }"
  c[#c + 1] = "    location = / { return 204; }"
  c[#c + 1] = "  }\n}"
  return table.concat(c, "\n")
end

describe("ngx transport against a server closing keep-alive connections", function()
  local odir, sdir, origin, sender, oport, cport, sport

  setup(function()
    odir, sdir = ngxh.tmpdir(), ngxh.tmpdir()
    write(odir .. "/origin.lua", ORIGIN)
    write(sdir .. "/sender.lua", SENDER)
    oport, cport, sport = ngxh.free_port(), ngxh.free_port(), ngxh.free_port()
    origin = ngxh.start(odir, origin_conf(odir, oport, cport, 0.3), oport)
    sender = ngxh.start(sdir, sender_conf(sdir, sport, oport, cport), sport)
  end)

  teardown(function()
    if sender then sender.stop() end
    if origin then origin.stop() end
    for _, d in ipairs({ odir, sdir }) do
      if d then sh("rm -rf " .. d) end
    end
  end)

  local function get(port, path, timeout)
    local status, body = ngxh.http(port, "GET", path, nil, timeout or 60)
    assert.are.equal(200, status, (body or "") .. "\n" .. sender.log():sub(-2000) .. origin.log():sub(-2000))
    return json.decode(body)
  end

  it("drops pooled connections the server closed before writing on them: next to no unknowns", function()
    local t = { requests = 0, unknown = 0, unknown_batches = 0, accepted = 0, received = 0, closed = 0, runs = 0 }
    local messages = {}
    -- Sends of 100 batches of 1000 identities on 8 light threads, so pooled
    -- connections are reused all the time.
    for _ = 1, 10 do
      get(oport, "/reset")
      local r = get(sport, "/send?n=100000&c=8")
      assert.is_nil(r.err, r.err)
      local o = get(oport, "/stats")
      t.runs = t.runs + 1
      for _, k in ipairs({ "requests", "unknown", "unknown_batches", "accepted" }) do t[k] = t[k] + r[k] end
      t.received, t.closed = t.received + o.received, t.closed + o.closed
      for _, m in ipairs(r.messages) do messages[#messages + 1] = m end
      assert.are.equal(100000, r.accepted + r.unknown + r.failed * 1000, json.encode(r))
      -- Every request not left unknown reached the server whole.
      assert.is_true(o.received >= r.requests - r.unknown_batches, json.encode({ r, o }))
      assert.is_true(o.received <= r.requests, json.encode({ r, o }))
    end
    local ids = t.runs * 100000
    print(("\n  %d sends of 100 batches: %d requests made, %d received whole by the server,"
      .. " %d connections closed by it unannounced; %d of %d identities unknown (%.2f%%)")
      :format(t.runs, t.requests, t.received, t.closed, t.unknown, ids, 100 * t.unknown / ids))
    assert.is_true(t.closed > 100, "the server closed too few connections to show anything")
    -- What is left is the race no client can see: the server closing at the
    -- very moment the request goes out (before: 3-9% of identities).
    assert.is_true(t.unknown <= ids * 0.01, table.concat(messages, "\n"))
    assert.are.equal(ids, t.accepted + t.unknown)
  end)

  it("does not reuse a pooled connection idle for longer than a safe age (4 s)", function()
    -- nginx's connection numbers at the origin
    local near = get(sport, "/idle?gap=0.5")
    assert.is_string(near.first)
    assert.are.equal(near.first, near.second)
    local far = get(sport, "/idle?gap=4.3")
    assert.is_string(far.first)
    assert.are_not.equal(far.first, far.second)
  end)

end)
