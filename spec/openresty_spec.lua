-- The library inside a real nginx (Debian nginx + libnginx-mod-http-lua):
-- the cosocket transport against local origins (plain, TLS, misbehaving),
-- the phase rule, and the examples/openresty campaign sender pushing 100,000
-- identities through the sandbox while another location keeps answering.
local socket = require("socket")
local files = require("support.files")
local ngxh = require("support.nginx")

local ROOT = ngxh.ROOT
local BUILD = ngxh.BUILD
local sh = ngxh.sh
local read, write = files.read, files.write
local make_certs = ngxh.make_certs

-- Code run inside nginx for the transport tests: origins that behave (and
-- misbehave) in known ways, and /run/<case> endpoints exercising the
-- transport against them, answering JSON.
local CASES = [==[
local cjson = require("cjson.safe")
local transport = require("clevertap.transport.ngx")
local M = {}
local P = tonumber(os.getenv("CT_T_PORT"))

function M.init_worker()
  local ok, err = pcall(function() transport.new():check() end)
  ngx.shared.results:set("init_worker", ok and "no error" or tostring(err))
  local _, rerr = transport.new():request({ url = "http://127.0.0.1:1/", method = "GET" })
  ngx.shared.results:set("init_worker_request", cjson.encode(rerr))
  -- Creating a client is fine here (no I/O); starting a send is not.
  local client, cerr = require("clevertap").new({ base_url = "http://127.0.0.1:1/1", account_id = "A",
    passcode = "P" })
  ngx.shared.results:set("init_worker_new", client and "created" or tostring(cerr))
  if client then
    local sok, serr = pcall(client.start_send, client, "push",
      { to = { Identity = { "a" } }, content = { title = "t", body = "b" } })
    ngx.shared.results:set("init_worker_send", sok and "no error" or tostring(serr))
  end
end

-- Records what the transport says about the current phase.
function M.allowed()
  ngx.ctx[ngx.get_phase()] = transport.phase_problem() or "allowed"
end

function M.allowed_report()
  ngx.ctx.content = transport.phase_problem() or "allowed"
  ngx.timer.at(0, function()
    ngx.shared.results:set("timer", transport.phase_problem() or "allowed")
  end)
  ngx.say(cjson.encode({ rewrite = ngx.ctx.rewrite, access = ngx.ctx.access, content = ngx.ctx.content }))
end

function M.in_phase()
  local ok, err = pcall(function() transport.new():check() end)
  ngx.shared.results:set(ngx.var.uri, ok and "no error" or tostring(err))
end

local raw = {
  close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close body",
  http10 = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nhttp",
  continue = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
  trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-T: 1\r\n\r\n",
  garbage = "NOT HTTP AT ALL\r\n\r\n",
  badlen = "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
  short = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
  big = "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" .. string.rep("x", 2000),
  badchunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  dup = "HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 0\r\n\r\n",
}

function M.origin()
  local what = ngx.var.uri:match("^/origin/(.*)$")
  if what ~= "noread" and what ~= "slowread" then ngx.req.read_body() end
  if what == "echo" then
    ngx.shared.results:incr("echo_seen", 1, 0)
    local h = ngx.req.get_headers()
    ngx.header["Content-Type"] = "application/json"
    local body = cjson.encode({ method = ngx.req.get_method(), host = h.host, len = h["content-length"],
      ua = h["user-agent"], x = h["x-test"], body = ngx.req.get_body_data(), uri = ngx.var.request_uri })
    ngx.header["Content-Length"] = #body
    ngx.print(body)
  elseif what == "chunked" then
    for i = 1, 5 do ngx.print("part", i, ";"); ngx.flush(true) end
  elseif what == "conn" then
    local body = ngx.var.connection .. " " .. ngx.var.connection_requests
    ngx.header["Content-Length"] = #body
    ngx.print(body)
  elseif what == "sleep" then
    ngx.sleep(tonumber(ngx.var.arg_t) or 1)
    ngx.header["Content-Length"] = 5
    ngx.print("slept")
  elseif what == "slowread" then
    -- Takes the body 256 KB every 400 ms.
    local sock = assert(ngx.req.socket())
    while sock:receive(262144) do ngx.sleep(0.4) end
    return ngx.exit(444)
  elseif what == "noread" then
    -- Never reads the request body, so a big upload stalls.
    ngx.sleep(3)
    return ngx.exit(444)
  elseif what == "drop" then
    return ngx.exit(444)
  elseif what == "trickle" then
    ngx.header["Content-Length"] = 20
    for _ = 1, 20 do ngx.print("x"); ngx.flush(true); ngx.sleep(0.1) end
  elseif what == "halfdead" then
    -- Answers once with keep-alive, then reads the next request on that
    -- connection and closes without a reply, like a server going away.
    local n = ngx.shared.results:incr("halfdead", 1, 0)
    local sock = assert(ngx.req.socket(true))
    if n == 1 then
      sock:send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
      repeat local l = sock:receive("*l") until not l or l == ""
      ngx.shared.results:set("halfdead_dropped", true)
    else
      sock:send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfresh")
    end
    return ngx.exit(444)
  elseif raw[what] then
    local sock = assert(ngx.req.socket(true))
    sock:send(raw[what])
    return ngx.exit(444)
  else
    return ngx.exit(404)
  end
end

local function get(path, o, req)
  req = req or {}
  req.url = req.url or ("http://127.0.0.1:" .. P .. "/origin/" .. path)
  req.method = req.method or "GET"
  local t = assert(transport.new({ max_body = o and o.max_body }))
  return t:request(req)
end

local run = {}

function run.echo()
  return get("echo", nil, { method = "POST", body = "payload!", headers = { ["X-Test"] = "v" }, timeout = 5 })
end
function run.chunked() return get("chunked") end
function run.raw() return get(ngx.var.arg_what, { max_body = 1000 }) end
function run.drop() return get("drop") end
function run.refused()
  return get(nil, nil, { url = "http://127.0.0.1:" .. tonumber(ngx.var.arg_port) .. "/" })
end
function run.stalled_upload()
  return get(nil, nil, { url = "http://127.0.0.1:" .. os.getenv("CT_T_SMALL_PORT") .. "/origin/noread",
    method = "POST", body = string.rep("x", 16 * 1024 * 1024), timeout = 0.5 })
end
function run.slow_upload()
  local t0 = ngx.now()
  local res, err = get(nil, nil, { url = "http://127.0.0.1:" .. os.getenv("CT_T_SMALL_PORT") .. "/origin/slowread",
    method = "POST", body = string.rep("x", 4 * 1024 * 1024), timeout = 0.5 })
  ngx.update_time()
  return { res = res, err = err, elapsed = ngx.now() - t0 }
end
function run.timeout() return get("sleep?t=2", nil, { timeout = 0.3 }) end
function run.trickle() return get("trickle", nil, { timeout = 0.5 }) end
function run.keepalive()
  local a = get("conn")
  local b = get("conn")
  return { first = a and a.body, second = b and b.body }
end
function run.stale()
  -- A pooled connection the origin closed (keepalive_timeout 1s) is
  -- replaced transparently rather than reported as an unknown outcome.
  local a = get("conn")
  ngx.sleep(1.5)
  local b, err = get("conn")
  return { first = a and a.body, second = b and b.body, err = err }
end
function run.halfdead()
  local a = get("halfdead")
  local b, err = get("halfdead")
  return { first = a and a.body, second = b and b.body, err = err,
    dropped = ngx.shared.results:get("halfdead_dropped"), connections = ngx.shared.results:get("halfdead") }
end
function run.tls()
  local http = require("clevertap.transport.ngx.http")
  local res, err = http.request({ url = ngx.var.arg_url, method = "GET" },
    { resolve = { ["ct.test"] = "127.0.0.1", ["other.test"] = "127.0.0.1" },
      ssl_verify = ngx.var.arg_verify ~= "0" })
  return res or { err = err }
end
-- The client's verify_tls reaches the handshake (the certificate names
-- ct.test, not 127.0.0.1).
function run.tls_verify_option()
  local t = assert(transport.new())
  local url = "https://127.0.0.1:" .. tonumber(ngx.var.arg_port) .. "/"
  local _, strict = t:request({ url = url, method = "GET", verify_tls = true })
  local lax = t:request({ url = url, method = "GET", verify_tls = false })
  return { strict = strict, lax = lax and lax.status }
end
function run.parallel()
  local t = assert(transport.new({ concurrency = 5 }))
  local start = t:now()
  local threads, results = {}, {}
  for i = 1, 5 do
    threads[i] = t:spawn(function()
      results[i] = t:request({ url = "http://127.0.0.1:" .. P .. "/origin/sleep?t=0.4", method = "GET" })
    end)
  end
  for i = 1, 5 do t:join(threads[i]) end
  local ok = 0
  for i = 1, 5 do if results[i] and results[i].status == 200 then ok = ok + 1 end end
  return { ok = ok, elapsed = t:now() - start }
end
-- Through the resolver (no `resolve` table): what users get with
-- `resolver` in nginx.conf. A raise is reported, not turned into an error.
function run.tls_name()
  local t = assert(transport.new())
  local ok, res, err = pcall(t.request, t, { url = ngx.var.arg_url, method = "GET",
    verify_tls = ngx.var.arg_verify ~= "0", timeout = 5 })
  if not ok then return { raised = tostring(res) } end
  return res or { err = err }
end
-- Two requests in a row on one transport: the connection ids the server saw.
function run.tls_reuse()
  local t = assert(transport.new())
  local a = assert(t:request({ url = ngx.var.arg_url, method = "GET" }))
  local b = assert(t:request({ url = ngx.var.arg_url, method = "GET" }))
  return { first = a.headers["x-conn"], second = b.headers["x-conn"] }
end
-- The same through client:send: a handshake that failed is not an unknown
-- outcome (it is retried, then refused for good).
function run.tls_name_send()
  local clevertap = require("clevertap")
  local client = assert(clevertap.new({ base_url = ngx.var.arg_url .. "1", account_id = "ACCOUNT",
    passcode = "PASSCODE", timeout = 3, retry = { attempts = 2, base_delay = 0.01, max_delay = 0.01 } }))
  local report, err = client:send("push", { to = { Identity = { "a", "b" } }, content = { title = "t", body = "b" } })
  client:close()
  if not report then return { err = tostring(err) } end
  return { accepted = report.accepted, failed = #report.failed, unknown = #report.unknown,
    requests = report.requests, identities = report.failed[1] and #report.failed[1].to.Identity,
    message = report.failed[1] and tostring(report.failed[1].error)
      or report.unknown[1] and tostring(report.unknown[1].error) }
end
-- Headers that are not a table make building the request raise, after the
-- connection is made and before anything is written.
function run.raise_before_write()
  local t = assert(transport.new())
  local before = ngx.shared.results:get("echo_seen") or 0
  local ok, res, err = pcall(t.request, t, { url = "http://127.0.0.1:" .. P .. "/origin/echo", method = "POST",
    body = "x", headers = 42 })
  return { raised = not ok and tostring(res) or nil, res = ok and res or nil, err = ok and err or nil,
    seen = (ngx.shared.results:get("echo_seen") or 0) - before }
end
function run.phase_result()
  return { value = ngx.shared.results:get(ngx.var.arg_key) }
end
-- Misuse raises, at the line calling new (this file).
local function raised(opts)
  local ok, err = pcall(function()
    local t = transport.new(opts) -- not a tail call: the error names this line
    return t
  end)
  return not ok and tostring(err) or nil
end
function run.badoptions()
  return {
    backend = raised({ backend = "resty.http" }),
    cosocket = raised({ backend = "cosocket" }),
    typo = raised({ concurency = 4 }),
    concurrency = raised({ concurrency = 0 }),
    keepalive = raised({ keepalive_timeout = -1 }),
    pool = raised({ keepalive_pool = 1.5 }),
    fine = raised({ concurrency = 4, keepalive_timeout = 1000, keepalive_pool = 8, max_body = 10 }),
    module = (pcall(require, "clevertap.transport.ngx.resty_http")),
  }
end

-- A CleverTap look-alike served by this same (single) worker: a client that
-- blocked the worker (libcurl) could never get its answer.
function M.fake_api()
  ngx.req.read_body()
  ngx.sleep(0.2)
  local body = '{"status":"success","message":"Added to queue for processing"}'
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Length"] = #body
  ngx.print(body)
end

local function client_send(opts)
  local clevertap = require("clevertap")
  opts.base_url = "http://127.0.0.1:" .. P .. "/fake/1"
  opts.account_id, opts.passcode, opts.timeout = "ACCOUNT", "PASSCODE", 3
  local client = assert(clevertap.new(opts))
  local report, err = client:send("push", { to = { Identity = { "a", "b" } }, content = { title = "t", body = "b" } })
  client:close()
  return report, err
end

-- Sending from a phase without cosockets, through the client.
function M.client_in_phase()
  local ok, err = pcall(client_send, { transport = transport.new() })
  ngx.shared.results:set("client:" .. ngx.var.uri, ok and "no error" or tostring(err))
end

function run.auto()
  -- No transport named: inside nginx the client must pick cosockets.
  local report, err = client_send({})
  return { ok = report and report.ok, accepted = report and report.accepted, err = err and tostring(err) }
end

function M.run()
  local name = ngx.var.uri:match("^/run/(.*)$")
  local res, err = run[name]()
  ngx.header["Content-Type"] = "application/json"
  ngx.print(cjson.encode(res or { err = err }))
end

return M
]==]

local function transport_conf(dir, p1, p2, p3, p4, p5, dns_port)
  return table.concat({
    assert(ngxh.load_modules()),
    ngxh.user_line(),
    "worker_processes 1;",
    "pid " .. dir .. "/logs/nginx.pid;",
    "error_log " .. dir .. "/logs/error.log info;",
    "env CT_T_PORT=" .. p1 .. ";",
    "env CT_T_SMALL_PORT=" .. p4 .. ";",
    "events { worker_connections 256; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path " .. dir .. "/tmp; proxy_temp_path " .. dir .. "/tmp;",
    "  fastcgi_temp_path " .. dir .. "/tmp; uwsgi_temp_path " .. dir .. "/tmp; scgi_temp_path " .. dir .. "/tmp;",
    "  keepalive_timeout 1s;",
    ('  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;%s/?.lua;/usr/share/lua/5.1/?.lua;;";')
      :format(ROOT, ROOT, dir),
    ('  lua_package_cpath "%s/%s/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;";'):format(ROOT, BUILD),
    "  lua_ssl_trusted_certificate " .. dir .. "/ca.pem;",
    "  lua_ssl_verify_depth 2;",
    "  resolver 127.0.0.1:" .. dns_port .. " ipv6=off;",
    "  resolver_timeout 2s;",
    "  lua_shared_dict results 1m;",
    "  init_worker_by_lua_block { require('cases').init_worker() }",
    "  server {",
    "    listen 127.0.0.1:" .. p1 .. ";",
    -- A tiny receive buffer: an upload the server does not read stalls at once.
    "    listen 127.0.0.1:" .. p4 .. " rcvbuf=4096;",
    "    location /origin/ { client_max_body_size 0; content_by_lua_block { require('cases').origin() } }",
    "    location /run/ { content_by_lua_block { require('cases').run() } }",
    "    location /fake/ { content_by_lua_block { require('cases').fake_api() } }",
    "    location /allowed {",
    "      rewrite_by_lua_block { require('cases').allowed() }",
    "      access_by_lua_block { require('cases').allowed() }",
    "      content_by_lua_block { require('cases').allowed_report() }",
    "    }",
    "    location /phase/log { return 204; log_by_lua_block { require('cases').in_phase() } }",
    "    location /client/log { return 204; log_by_lua_block { require('cases').client_in_phase() } }",
    "    location /phase/header_filter { return 204; header_filter_by_lua_block { require('cases').in_phase() } }",
    "    location /phase/body_filter { return 200 'x'; body_filter_by_lua_block { require('cases').in_phase() } }",
    "  }",
    "  server {",
    "    listen 127.0.0.1:" .. p2 .. " ssl;",
    "    ssl_certificate " .. dir .. "/srv.pem; ssl_certificate_key " .. dir .. "/srv.key;",
    "    location / {",
    "      content_by_lua_block { ngx.header['X-SNI'] = ngx.var.ssl_server_name or ''",
    "        ngx.header['X-Conn'] = ngx.var.connection; ngx.print('tls ok') }",
    "    }",
    "  }",
    "  server {",
    "    listen 127.0.0.1:" .. p3 .. " ssl;",
    "    ssl_certificate " .. dir .. "/self.pem; ssl_certificate_key " .. dir .. "/self.key;",
    "    location / { return 200 'untrusted'; }",
    "  }",
    "  server {",
    "    listen 127.0.0.1:" .. p5 .. " ssl;",
    "    ssl_certificate " .. dir .. "/wrong.pem; ssl_certificate_key " .. dir .. "/wrong.key;",
    "    location / { return 200 'wrong name'; }",
    "  }",
    "}",
  }, "\n")
end

local json = require("cjson")

describe("ngx transport inside nginx", function()
  local dir, server, dns, p1, p2, p3, p4, p5

  setup(function()
    dir = ngxh.tmpdir()
    make_certs(dir)
    write(dir .. "/cases.lua", CASES)
    dns = require("support.dns").start(dir, { ["ct.test"] = "127.0.0.1" })
    p1, p2, p3, p4, p5 = ngxh.free_port(), ngxh.free_port(), ngxh.free_port(), ngxh.free_port(), ngxh.free_port()
    server = ngxh.start(dir, transport_conf(dir, p1, p2, p3, p4, p5, dns.port), p1)
  end)

  teardown(function()
    if server then server.stop() end
    if dns then dns.stop() end
    if dir then sh("rm -rf " .. dir) end
  end)

  local function run(case, query)
    local status, body = ngxh.http(p1, "GET", "/run/" .. case .. (query and ("?" .. query) or ""))
    assert.are.equal(200, status, (body or "") .. "\n" .. server.log():sub(-3000))
    return json.decode(body)
  end

  it("sends method, Host, headers, Content-Length and body; reads a content-length body", function()
    local r = run("echo")
    assert.are.equal(200, r.status)
    local e = json.decode(r.body)
    assert.are.same({ method = "POST", host = "127.0.0.1:" .. p1, len = "8", x = "v", body = "payload!",
      ua = "lua-clevertap (ngx)", uri = "/origin/echo" }, e)
    assert.are.equal("application/json", r.headers["content-type"])
  end)

  it("reads chunked bodies, with chunk extensions and trailers", function()
    assert.are.equal("part1;part2;part3;part4;part5;", run("chunked").body)
    local r = run("raw", "what=trailers")
    assert.are.equal("hello!", r.body)
  end)

  it("reads close-delimited and HTTP/1.0 bodies, and skips 1xx interim responses", function()
    assert.are.equal("until-close body", run("raw", "what=close").body)
    assert.are.equal("http", run("raw", "what=http10").body)
    local r = run("raw", "what=continue")
    assert.are.equal(201, r.status)
    assert.are.equal("ok", r.body)
  end)

  it("joins repeated headers and lower-cases names", function()
    local r = run("raw", "what=dup")
    assert.are.equal(429, r.status)
    assert.are.equal("2", r.headers["retry-after"])
    assert.are.equal("1, 2", r.headers["x-a"])
  end)

  it("reports malformed, truncated and oversized responses as sent network errors", function()
    for _, what in ipairs({ "garbage", "badlen", "short", "big", "badchunk" }) do
      local r = run("raw", "what=" .. what)
      assert.is_table(r.err, what)
      assert.are.equal("network", r.err.kind, what)
      assert.is_true(r.err.sent, what)
    end
    assert.matches("too large", run("raw", "what=big").err.message)
  end)

  it("reports a connection dropped after the request as sent (outcome unknown)", function()
    local r = run("drop")
    assert.are.equal("network", r.err.kind)
    assert.is_true(r.err.sent)
  end)

  it("reports a refused connection as not sent", function()
    local r = run("refused", "port=" .. ngxh.free_port())
    assert.are.equal("network", r.err.kind)
    assert.is_false(r.err.sent)
    assert.matches("connect", r.err.message)
  end)

  it("times out an upload the server takes slowly within the request's timeout", function()
    local r = run("slow_upload")
    assert.is_table(r.err, json.encode(r))
    assert.are.equal("timeout", r.err.kind)
    assert.is_false(r.err.sent)
    assert.is_true(r.elapsed < 1.5, "took " .. r.elapsed .. " s")
  end)

  it("times out a slow answer and a trickling body within the request's timeout", function()
    local t0 = socket.gettime()
    local r = run("timeout")
    assert.is_table(r.err, json.encode(r))
    assert.are.equal("timeout", r.err.kind)
    assert.is_true(r.err.sent)
    local r2 = run("trickle")
    assert.is_table(r2.err, json.encode(r2))
    assert.are.equal("timeout", r2.err.kind)
    assert.is_true(socket.gettime() - t0 < 1.8)
  end)

  it("reuses pooled connections, and replaces one the server closed while idle", function()
    local r = run("keepalive")
    local c1, n1 = r.first:match("(%d+) (%d+)")
    local c2, n2 = r.second:match("(%d+) (%d+)")
    assert.are.equal(c1, c2)
    assert.are.equal(tonumber(n1) + 1, tonumber(n2))
    local s = run("stale")
    assert.is_string(s.second, json.encode(s.err))
    assert.are_not.equal(s.first:match("%d+"), s.second:match("%d+"))
  end)

  it("never re-sends a request when a pooled connection dies after taking it", function()
    local r = run("halfdead")
    assert.are.equal("first", r.first)
    assert.is_true(r.dropped)
    assert.is_nil(r.second)
    assert.are.equal("network", r.err.kind)
    assert.is_true(r.err.sent)
    assert.are.equal(1, r.connections)
  end)

  it("reports a request that could not be written whole as not sent", function()
    local r = run("stalled_upload")
    assert.are.equal("timeout", r.err.kind, json.encode(r))
    assert.is_false(r.err.sent, json.encode(r))
    assert.matches("sending", r.err.message)
  end)

  it("verifies TLS certificates and the host name, with SNI", function()
    local ok = run("tls", "url=https://ct.test:" .. p2 .. "/")
    assert.are.equal(200, ok.status, json.encode(ok))
    assert.are.equal("tls ok", ok.body)
    assert.are.equal("ct.test", ok.headers["x-sni"])
    local mismatch = run("tls", "url=https://other.test:" .. p2 .. "/")
    assert.are.equal("network", mismatch.err.kind)
    assert.is_false(mismatch.err.sent)
    assert.matches("TLS handshake", mismatch.err.message)
    local untrusted = run("tls", "url=https://ct.test:" .. p3 .. "/")
    assert.is_false(untrusted.err.sent)
    assert.matches("TLS handshake", untrusted.err.message)
    local unverified = run("tls", "verify=0&url=https://other.test:" .. p2 .. "/")
    assert.are.equal(200, unverified.status)
  end)

  describe("reaching a server by host name through nginx's resolver", function()
    it("verifies the certificate and the name", function()
      local ok = run("tls_name", "url=https://ct.test:" .. p2 .. "/")
      assert.are.equal(200, ok.status, json.encode(ok))
      assert.are.equal("tls ok", ok.body)
      assert.are.equal("ct.test", ok.headers["x-sni"])
      local queried = false
      for _, name in ipairs(dns.queries()) do queried = queried or name == "ct.test" end
      assert.is_true(queried, "nginx did not ask the test resolver")
    end)

    it("reuses a pooled TLS connection (the check for closed connections keeps live ones)", function()
      local r = run("tls_reuse", "url=https://ct.test:" .. p2 .. "/")
      assert.is_string(r.first)
      assert.are.equal(r.first, r.second)
    end)

    it("reports a certificate for another name as not sent, without raising", function()
      local r = run("tls_name", "url=https://ct.test:" .. p5 .. "/")
      assert.is_nil(r.raised, r.raised)
      assert.is_table(r.err, json.encode(r))
      assert.are.equal("network", r.err.kind)
      assert.is_false(r.err.sent)
      assert.matches("TLS handshake with ct.test", r.err.message, 1, true)
      assert.are.equal(200, run("tls_name", "verify=0&url=https://ct.test:" .. p5 .. "/").status)
    end)

    it("reports an untrusted certificate as not sent, without raising", function()
      local r = run("tls_name", "url=https://ct.test:" .. p3 .. "/")
      assert.is_nil(r.raised, r.raised)
      assert.is_table(r.err, json.encode(r))
      assert.is_false(r.err.sent)
      assert.matches("TLS handshake with ct.test", r.err.message, 1, true)
    end)

    it("reports a name the resolver does not know as not sent", function()
      local r = run("tls_name", "url=https://nowhere.test:" .. p2 .. "/")
      assert.is_nil(r.raised, r.raised)
      assert.is_false(r.err.sent)
      assert.matches("nowhere.test", r.err.message, 1, true)
    end)

    it("reports a raise before the request was written as not sent", function()
      local r = run("raise_before_write")
      assert.is_nil(r.raised, r.raised)
      assert.are.equal("network", r.err.kind, json.encode(r))
      assert.is_false(r.err.sent)
      assert.are.equal(0, r.seen)
    end)

    it("makes client:send retry a failed handshake and refuse it, not leave it unknown", function()
      for _, port in ipairs({ p5, p3 }) do
        local r = run("tls_name_send", "url=https://ct.test:" .. port .. "/")
        assert.is_nil(r.err, r.err)
        assert.are.equal(0, r.unknown, json.encode(r))
        assert.are.equal(1, r.failed, json.encode(r)) -- one batch of both identities
        assert.are.equal(2, r.requests, json.encode(r))
        assert.are.equal(2, r.identities, json.encode(r))
        assert.matches("TLS handshake", r.message, 1, true)
      end
    end)
  end)

  it("follows the client's verify_tls", function()
    local r = run("tls_verify_option", "port=" .. p2)
    assert.is_false(r.strict.sent)
    assert.matches("TLS handshake", r.strict.message)
    assert.are.equal(200, r.lax)
  end)

  it("runs requests concurrently in light threads", function()
    local r = run("parallel")
    assert.are.equal(5, r.ok)
    assert.is_true(r.elapsed < 1.2, "5 x 0.4 s took " .. r.elapsed .. " s")
  end)

  it("raises on misuse, and on the removed lua-resty-http backend option", function()
    local r = run("badoptions")
    for _, k in ipairs({ "backend", "cosocket" }) do
      assert.matches("cases.lua:%d+: clevertap.transport.ngx.new: option \"backend\" was removed", r[k])
      assert.matches("lua-resty-http", r[k], 1, true)
    end
    assert.matches("cases.lua:%d+: .*unknown option \"concurency\" %(did you mean \"concurrency\"%?%)", r.typo)
    assert.matches("cases.lua:%d+: .*concurrency must be a positive integer", r.concurrency)
    assert.matches("keepalive_timeout must be", r.keepalive, 1, true)
    assert.matches("keepalive_pool must be", r.pool, 1, true)
    assert.is_nil(r.fine)
    assert.is_false(r.module)
  end)

  it("is what clevertap.new uses inside nginx when no transport is named", function()
    local r = run("auto")
    assert.is_nil(r.err)
    assert.is_true(r.ok)
    assert.are.equal(2, r.accepted)
  end)

  it("makes client:send raise the phase error in log_by_lua", function()
    ngxh.http(p1, "GET", "/client/log")
    local got
    for _ = 1, 50 do
      got = run("phase_result", "key=client:/client/log").value
      if got then break end
      socket.sleep(0.02)
    end
    assert.matches("log phase", got)
    assert.matches("ngx.timer.at", got, 1, true)
  end)

  it("lets requests run in the rewrite, access, content and timer phases", function()
    local status, body = ngxh.http(p1, "GET", "/allowed")
    assert.are.equal(200, status)
    assert.are.same({ rewrite = "allowed", access = "allowed", content = "allowed" }, json.decode(body))
    local got
    for _ = 1, 50 do
      got = run("phase_result", "key=timer").value
      if got then break end
      socket.sleep(0.02)
    end
    assert.are.equal("allowed", got)
  end)

  it("raises a clear error in phases without cosockets, pointing to ngx.timer.at", function()
    local v = run("phase_result", "key=init_worker").value
    assert.matches("init_worker phase", v)
    assert.matches("ngx.timer.at", v, 1, true)
    assert.are.equal("created", run("phase_result", "key=init_worker_new").value)
    local send = run("phase_result", "key=init_worker_send").value
    assert.matches("init_worker phase", send)
    assert.matches("ngx.timer.at", send, 1, true)
    local rerr = json.decode(run("phase_result", "key=init_worker_request").value)
    assert.is_false(rerr.sent)
    assert.matches("ngx.timer.at", rerr.message, 1, true)
    for _, phase in ipairs({ "log", "header_filter", "body_filter" }) do
      ngxh.http(p1, "GET", "/phase/" .. phase)
      local got
      for _ = 1, 50 do
        got = run("phase_result", "key=/phase/" .. phase).value
        if got then break end
        socket.sleep(0.02)
      end
      assert.matches(phase .. " phase", got)
      assert.matches("ngx.timer.at", got, 1, true)
    end
  end)
end)


describe("examples/openresty", function()
  local sandbox = require("support.sandbox")
  local dir, port

  local function example(cmd, ...)
    local env = cmd == "start" and ("BUILD=%s CLEVERTAP_BASE_URL=%s CLEVERTAP_ACCOUNT_ID=%s CLEVERTAP_PASSCODE=%s")
      :format(BUILD, sandbox.url(), sandbox.account_id, sandbox.passcode) or ""
    return sh("env -u LD_PRELOAD " .. env .. " examples/openresty/run.sh " .. cmd .. " " .. table.concat({ ... }, " ")
      .. " >>" .. dir .. "/run.out 2>&1")
  end

  setup(function()
    dir = ngxh.tmpdir()
    port = ngxh.free_port()
    sandbox.reset()
    assert(example("start", dir, port), read(dir .. "/run.out"))
    local deadline = socket.gettime() + 10
    while not ngxh.http(port, "GET", "/ping", nil, 1) do
      assert(socket.gettime() < deadline, "example did not answer:\n" .. (read(dir .. "/error.log") or ""))
      socket.sleep(0.05)
    end
  end)

  teardown(function()
    if dir then
      example("stop", dir)
      sh("rm -rf " .. dir)
    end
    pcall(sandbox.reset)
  end)

  it("sends to 100,000 identities while another location keeps answering quickly", function()
    -- Each batch takes 150 ms at the sandbox, so the send lasts long
    -- enough for many probes; a blocked worker would hold them all.
    sandbox.faults({ { path = "/1/send/push.json", fault = "latency", ms = 150 } })
    -- Short log lines: 100 bodies of 40 KB would only slow the sandbox down.
    sandbox.configure({ log_body_max = 256 })
    local c = assert(socket.tcp())
    c:settimeout(120)
    assert(c:connect("127.0.0.1", port))
    local t0 = socket.gettime()
    c:send("POST /campaign/send?n=100000&source=stream HTTP/1.1\r\nHost: x\r\n"
      .. "Content-Length: 0\r\nConnection: close\r\n\r\n")
    local probes, worst, lat = 0, 0, {}
    while true do
      local readable = socket.select({ c }, nil, 0)
      if readable[1] then break end
      assert(socket.gettime() - t0 < 90, "send did not finish in 90 s")
      local p0 = socket.gettime()
      local status, body = ngxh.http(port, "GET", "/ping", nil, 10)
      local took = socket.gettime() - p0
      assert.are.equal(200, status)
      assert.are.equal("pong\n", body)
      probes = probes + 1
      lat[probes] = took
      if took > worst then worst = took end
      socket.sleep(0.02)
    end
    local raw = c:receive("*a")
    c:close()
    local elapsed = socket.gettime() - t0
    local summary = json.decode(raw:match("\r\n\r\n(.*)$"):match("{.*}"))
    table.sort(lat)
    print(("\n  100,000 identities in %.2f s (%d requests); %d /ping probes during the send:"
      .. " median %.1f ms, p90 %.1f ms, worst %.1f ms")
      :format(elapsed, summary.requests or -1, probes, (lat[math.ceil(probes / 2)] or 0) * 1000,
        (lat[math.ceil(probes * 0.9)] or 0) * 1000, worst * 1000))
    assert.are.equal(100000, summary.accepted + summary.failed + summary.unknown, raw)
    assert.are.equal(100000, summary.accepted, raw)
    assert.is_true(summary.ok)
    -- What the sandbox saw: the latency rule matched every request.
    assert.are.equal(100, sandbox.fault_status().rules[1].seen)
    assert.is_true(elapsed > 1, "the send was too quick to show anything: " .. elapsed)
    -- One batch at a time would take 100 x 150 ms = 15 s.
    assert.is_true(elapsed < 5, ("batches were not sent concurrently: %.1f s"):format(elapsed))
    assert.is_true(probes >= 10, "only " .. probes .. " probes")
    assert.is_true(worst < 0.3, ("a /ping took %.0f ms during the send"):format(worst * 1000))
  end)

  it("sends from a timer and reports through the status location", function()
    sandbox.clear_faults()
    local status, body = ngxh.http(port, "POST", "/campaign/start?n=2500")
    assert.are.equal(200, status)
    local job = json.decode(body).job
    local res
    local deadline = socket.gettime() + 30
    repeat
      socket.sleep(0.05)
      local st, text = ngxh.http(port, "GET", ("/campaign/status?job=%d"):format(job))
      assert.are.equal(200, st, text)
      res = json.decode(text)
    until res.done or socket.gettime() > deadline
    assert.is_true(res.done, (read(dir .. "/error.log") or ""):sub(-3000))
    assert.are.equal(2500, res.result.accepted)
    assert.are.equal(3, res.result.requests)
  end)

  it("accounts for retried, refused and lost batches in the report", function()
    sandbox.faults({
      { path = "/1/send/push.json", fault = "500-89", count = 1 },               -- retried, then accepted
      { path = "/1/send/push.json", fault = "non-json", status = 400, count = 1 }, -- failed for good
      { path = "/1/send/push.json", fault = "drop", count = 1 },                 -- lost after processing
    })
    local status, body = ngxh.http(port, "POST", "/campaign/send?n=4000")
    assert.are.equal(200, status)
    local r = json.decode(body)
    assert.are.equal(2000, r.accepted, body)
    assert.are.equal(1000, r.failed, body)
    assert.are.equal(1000, r.unknown, body)
    assert.are.equal(5, r.requests, body) -- the lost batch is not re-sent
    assert.is_false(r.ok)
  end)

  it("rejects a bad identity count", function()
    local status = ngxh.http(port, "POST", "/campaign/send?n=0")
    assert.are.equal(400, status)
  end)

  it("logged no error or warning while doing all that", function()
    local problems = {}
    for line in (read(dir .. "/error.log") or ""):gmatch("[^\n]+") do
      if line:find("%[warn%]") or line:find("%[error%]") or line:find("%[alert%]") or line:find("%[crit%]") then
        problems[#problems + 1] = line
      end
    end
    assert.are.same({}, problems)
  end)
end)

describe("clevertap.transport.ngx.url", function()
  local url = require("clevertap.transport.ngx.url")

  it("splits absolute http(s) URLs, with default and explicit ports", function()
    assert.are.same({ scheme = "https", host = "in1.api.clevertap.com", port = 443, path = "/1/send/push.json",
      host_header = "in1.api.clevertap.com" }, url.parse("https://in1.api.clevertap.com/1/send/push.json"))
    assert.are.same({ scheme = "http", host = "127.0.0.1", port = 8080, path = "/1/x?a=1",
      host_header = "127.0.0.1:8080" }, url.parse("HTTP://127.0.0.1:8080/1/x?a=1#frag"))
    assert.are.same({ scheme = "http", host = "::1", port = 80, path = "/?q", host_header = "[::1]" },
      url.parse("http://[::1]:80?q"))
    assert.are.equal("/", url.parse("https://h").path)
  end)

  it("refuses what it cannot use", function()
    for _, bad in ipairs({ "ftp://h/", "h/path", "http:///x", "http://h:0/", "http://h:99999/", "http://u:p@h/" }) do
      local u, err = url.parse(bad)
      assert.is_nil(u, bad)
      assert.is_string(err, bad)
    end
    assert.is_nil((url.parse(42)))
  end)
end)
