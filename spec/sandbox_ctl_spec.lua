-- sandbox/ctl: starting and stopping instances of its own (beside the one the
-- test run uses), ports, credentials, config files, failures.
local sandbox = require "support.sandbox"
local files = require "support.files"
local socket = require "socket"
local http = require "socket.http"

-- Runs a shell command; returns exit code and combined output. nginx loads
-- the sandbox's build (SANDBOX_BUILD), which differs from BUILD under sanitizers.
local function sh(cmd)
  local p = io.popen("(BUILD=\"${SANDBOX_BUILD:-$BUILD}\"; export BUILD; " .. cmd .. ") 2>&1; echo \"rc=$?\"")
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, (out:gsub("rc=%d+%s*$", ""))
end

local function tmpdir()
  local rc, out = sh("mktemp -d " .. (os.getenv("TMPDIR") or "/tmp") .. "/ct-ctl-spec.XXXXXX")
  assert.are.equal(0, rc)
  return (out:gsub("%s+$", ""))
end

local read = files.read

local function health(url)
  local body, code = http.request(url:gsub("/1$", "") .. "/_sandbox/health")
  return code, body
end

local function start(dir, args)
  return sh("sandbox/ctl start --dir " .. dir .. " " .. (args or "--port 0"))
end

local function stop(dir) return sh("sandbox/ctl stop --dir " .. dir) end

local function post(url, endpoint, body, account, passcode)
  local chunks = {}
  local _, code = http.request {
    url = url .. "/" .. endpoint .. ".json", method = "POST",
    headers = { ["X-CleverTap-Account-Id"] = account, ["X-CleverTap-Passcode"] = passcode,
      ["Content-Type"] = "application/json", ["Content-Length"] = tostring(#body) },
    source = require("ltn12").source.string(body), sink = require("ltn12").sink.table(chunks),
  }
  return code, table.concat(chunks)
end

describe("sandbox/ctl", function()
  local dirs = {}
  local function newdir()
    local d = tmpdir()
    dirs[#dirs + 1] = d
    return d
  end

  after_each(function()
    for _, d in ipairs(dirs) do
      stop(d)
      sh("rm -rf " .. d)
    end
    dirs = {}
  end)

  it("starts on a free port, writes DIR/url once it answers, and stops", function()
    local dir = newdir()
    local rc, out = start(dir)
    assert.are.equal(0, rc, out)
    local url = read(dir .. "/url"):gsub("%s+$", "")
    assert.is_truthy(url:match("^http://127%.0%.0%.1:%d+/1$"), url)
    assert.are.equal(200, (health(url)))
    assert.is_truthy(read(dir .. "/requests.jsonl"))
    assert.are.equal(0, (sh("sandbox/ctl status --dir " .. dir)))
    rc, out = stop(dir)
    assert.are.equal(0, rc, out)
    assert.is_nil(read(dir .. "/url"))
    local code = health(url)
    assert.are_not.equal(200, code)
    assert.are_not.equal(0, (sh("sandbox/ctl status --dir " .. dir)))
  end)

  it("works in a directory whose name has spaces and sed-special characters", function()
    local dir = newdir() .. "/a b#&c"
    local q = "'" .. dir .. "'"
    local rc, out = sh("sandbox/ctl start --port 0 --dir " .. q)
    assert.are.equal(0, rc, out)
    local url = read(dir .. "/url"):gsub("%s+$", "")
    assert.are.equal(200, (health(url)))
    assert.are.equal(0, (sh("sandbox/ctl stop --dir " .. q)))
    assert.are_not.equal(200, (health(url)))
  end)

  it("works without luasocket, through LuaJIT's FFI", function()
    local dir = newdir()
    local rc, out = sh("CT_SANDBOX_FFI=1 sandbox/ctl start --port 0 --dir " .. dir)
    assert.are.equal(0, rc, out)
    local url = read(dir .. "/url"):gsub("%s+$", "")
    assert.are.equal(200, (health(url)))
    local port = tonumber(url:match(":(%d+)/1$"))
    local other = newdir()
    rc, out = sh("CT_SANDBOX_FFI=1 sandbox/ctl start --port " .. port .. " --dir " .. other)
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("in use", 1, true), out)
  end)

  it("refuses to start twice in one directory; stopping a stopped one is fine", function()
    local dir = newdir()
    assert.are.equal(0, (start(dir)))
    local rc, out = start(dir)
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("already running", 1, true), out)
    assert.are.equal(0, (stop(dir)))
    local rc2, out2 = stop(dir)
    assert.are.equal(0, rc2)
    assert.is_truthy(out2:find("not running", 1, true))
  end)

  it("listens on a given port and fails clearly when it is taken", function()
    local port
    repeat
      local s = socket.bind("127.0.0.1", 0)
      port = select(2, s:getsockname())
      s:close()
    until port
    local a, b = newdir(), newdir()
    local rc, out = start(a, "--port " .. port)
    assert.are.equal(0, rc, out)
    assert.are.equal("http://127.0.0.1:" .. port .. "/1", (read(a .. "/url"):gsub("%s+$", "")))
    rc, out = start(b, "--port " .. port)
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("in use", 1, true), out)
    assert.is_nil(read(b .. "/url"))
  end)

  it("takes the account and passcode from flags", function()
    local dir = newdir()
    assert.are.equal(0, (start(dir, "--port 0 --account 12345 --passcode other-pass")))
    local url = read(dir .. "/url"):gsub("%s+$", "")
    local body = '{"from":20250101,"to":20250131}'
    assert.are.equal(200, (post(url, "targets/list", body, "12345", "other-pass")))
    assert.are.equal(401, (post(url, "targets/list", body, sandbox.account_id, sandbox.passcode)))
  end)

  it("stores a salted hash of the passcode, never the passcode, in config.json", function()
    local secret = "Pass-" .. tostring(os.time()) .. "-wd9"
    local dir = newdir()
    local user = dir .. "/user.json"
    local f = assert(io.open(user, "w"))
    f:write('{"passcode": "' .. secret .. '-file", "create_rate_per_sec": 0}')
    f:close()
    for _, case in ipairs {
      { args = "--port 0 --passcode " .. secret, pass = secret },
      { args = "--port 0 --config " .. user, pass = secret .. "-file" },
    } do
      assert.are.equal(0, (start(dir, case.args)))
      local text = read(dir .. "/config.json")
      assert.is_nil(text:find("Pass-", 1, true), "config.json holds the passcode")
      local conf = require("cjson").decode(text)
      assert.is_nil(conf.passcode)
      local salt, hex = conf.passcode_hash:match("^sha256:(%x+):(%x+)$")
      assert.are.equal(32, #salt)
      assert.are.equal(64, #hex)
      local url = read(dir .. "/url"):gsub("%s+$", "")
      local body = '{"from":20250101,"to":20250131}'
      assert.are.equal(200, (post(url, "targets/list", body, sandbox.account_id, case.pass)))
      assert.are.equal(401, (post(url, "targets/list", body, sandbox.account_id, case.pass .. "x")))
      assert.are.equal(401, (post(url, "targets/list", body, sandbox.account_id, sandbox.passcode)))
      assert.are.equal(401, (post(url, "targets/list", body, sandbox.account_id, "")))
      -- a runtime passcode replaces the stored one
      local root = url:gsub("/1$", "")
      local chunks = {}
      local cbody = '{"passcode":"runtime-pass"}'
      http.request { url = root .. "/_sandbox/config", method = "POST", source = require("ltn12").source.string(cbody),
        headers = { ["Content-Length"] = tostring(#cbody) }, sink = require("ltn12").sink.table(chunks) }
      assert.are.equal(200, (post(url, "targets/list", body, sandbox.account_id, "runtime-pass")))
      assert.are.equal(401, (post(url, "targets/list", body, sandbox.account_id, case.pass)))
      stop(dir)
    end
    -- the same passcode hashes differently in two configs (salted)
    assert.are.equal(0, (start(dir, "--port 0 --passcode " .. secret)))
    local h1 = require("cjson").decode(read(dir .. "/config.json")).passcode_hash
    stop(dir)
    assert.are.equal(0, (start(dir, "--port 0 --passcode " .. secret)))
    local h2 = require("cjson").decode(read(dir .. "/config.json")).passcode_hash
    assert.are_not.equal(h1, h2)
  end)

  it("closes idle keep-alive connections after --keepalive-timeout", function()
    local dir = newdir()
    assert.are.equal(0, (start(dir, "--port 0 --keepalive-timeout 300ms")))
    assert.is_truthy(read(dir .. "/nginx.conf"):find("keepalive_timeout 300ms;", 1, true))
    local url = read(dir .. "/url"):gsub("%s+$", "")
    local port = tonumber(url:match(":(%d+)/"))
    local sock = assert(socket.connect("127.0.0.1", port))
    sock:settimeout(3)
    local t0 = socket.gettime()
    assert(sock:send("GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n"))
    -- the answer has a Content-Length, so "*a" reads on until the server closes
    local got, err, partial = sock:receive("*a")
    local text = got or partial
    assert.is_truthy(text:find('"status":"ok"', 1, true), tostring(err))
    local waited = socket.gettime() - t0
    assert.is_true(waited >= 0.25 and waited < 2, "closed after " .. waited .. " s")
    sock:close()
    local rc, out = start(newdir(), "--port 0 --keepalive-timeout 'x;y'")
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("bad --keepalive-timeout", 1, true), out)
  end)

  it("turns its flags into settings", function()
    local dir = newdir()
    local rc, out = start(dir, "--port 0 --workers 1 --create-rate 0 --complete-after 0.5 "
      .. "--log-body-max 5 --no-validate")
    assert.are.equal(0, rc, out)
    local url = read(dir .. "/url"):gsub("%s+$", "")
    local body = http.request((url:gsub("/1$", "")) .. "/_sandbox/config")
    local conf = require("cjson").decode(body)
    assert.are.equal(0, conf.create_rate_per_sec)
    assert.are.equal(0.5, conf.complete_after)
    assert.are.equal(5, conf.log_body_max)
    assert.is_false(conf.validate)
    assert.are.equal("REDACTED", conf.passcode)
    local conf_text = read(dir .. "/nginx.conf")
    assert.is_truthy(conf_text:find("worker_processes 1;", 1, true))
    assert.is_truthy(conf_text:find("listen 127.0.0.1:", 1, true))
  end)

  it("reads a JSON config file", function()
    local dir = newdir()
    local conf = dir .. "/my.json"
    local f = assert(io.open(conf, "w"))
    f:write('{"business_events": {"Flash Sale": {"properties": [], "targets": 5}}, "create_rate_per_sec": 0}')
    f:close()
    assert.are.equal(0, (start(dir, "--port 0 --config " .. conf)))
    local url = read(dir .. "/url"):gsub("%s+$", "")
    local code, body = post(url, "targets/trigger",
      '{"business_event":"Flash Sale","name":"n","properties":{},"c-by":"me@example.com","when":"now"}',
      sandbox.account_id, sandbox.passcode)
    assert.are.equal(200, code, body)
    assert.is_truthy(body:find('"targets":5', 1, true))
  end)

  it("runs in the foreground until stopped", function()
    local dir = newdir()
    os.execute("sandbox/ctl start --foreground --port 0 --dir " .. dir .. " >" .. dir .. "/fg.out 2>&1 &")
    local deadline = socket.gettime() + 10
    while not read(dir .. "/url") and socket.gettime() < deadline do socket.sleep(0.05) end
    local url = assert(read(dir .. "/url"), read(dir .. "/fg.out")):gsub("%s+$", "")
    assert.are.equal(200, (health(url)))
    assert.are.equal(0, (stop(dir)))
    assert.are_not.equal(200, (health(url)))
  end)

  it("exits non-zero with a clear message when nginx is missing", function()
    local dir = newdir()
    local rc, out = sh("NGINX=/nonexistent/nginx sandbox/ctl start --port 0 --dir " .. dir)
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("nginx", 1, true), out)
    assert.is_nil(read(dir .. "/url"))
  end)

  it("skips validation, saying so, when the module is not built", function()
    local dir = newdir()
    local rc, out = sh("BUILD=" .. dir .. "/no-build sandbox/ctl start --port 0 --dir " .. dir)
    assert.are.equal(0, rc, out)
    assert.is_truthy(out:find("validation is skipped", 1, true), out)
    local url = read(dir .. "/url"):gsub("%s+$", "")
    local _, body = health(url)
    assert.is_truthy(body:find('"validation":false', 1, true), body)
  end)

  it("stops by itself when its directory is deleted", function()
    local dir = newdir()
    assert.are.equal(0, (start(dir)))
    local url = read(dir .. "/url"):gsub("%s+$", "")
    assert.are.equal(200, (health(url)))
    sh("rm -rf " .. dir)
    local deadline = socket.gettime() + 10
    while health(url) == 200 and socket.gettime() < deadline do socket.sleep(0.2) end
    assert.are_not.equal(200, (health(url)))
  end)

  it("rejects unknown options", function()
    local rc, out = sh("sandbox/ctl start --bogus")
    assert.are_not.equal(0, rc)
    assert.is_truthy(out:find("--bogus", 1, true), out)
  end)
end)
