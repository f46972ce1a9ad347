-- The libcurl transport over TLS: certificates verified by default, ca_file,
-- verify_tls = false, a host name mismatch, and HTTP/2 where offered.
local U = require "support.client_util"

local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local function tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/ct-client-tls.XXXXXX"))
  local d = p:read("*l")
  p:close()
  return d
end

local function free_port()
  local socket = require "socket"
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return port
end

describe("client over TLS", function()
  local dir, port, other, nginx_ok
  setup(function()
    dir = tmpdir()
    port = free_port()
    other = free_port()
    local q = " >>" .. dir .. "/openssl.log 2>&1"
    local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    assert(sh(("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 -subj '/CN=ct client CA'%s")
      :format(dir, ec, q)))
    -- the server certificate names 127.0.0.1; `other` names another address
    for _, c in ipairs { { "srv", "IP:127.0.0.1" }, { "other", "IP:127.0.0.2" } } do
      assert(sh(("cd %s && printf 'subjectAltName=%s\\n' > %s.cnf && openssl req %s -keyout %s.key -out %s.csr"
        .. " -subj '/CN=ct' %s && openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        .. " -out %s.pem -days 2 -extfile %s.cnf %s"):format(dir, c[2], c[1], ec, c[1], c[1], q, c[1], c[1], c[1], q)))
    end
    local conf = ([[
worker_processes 1;
daemon on;
pid DIR/nginx.pid;
error_log DIR/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path DIR/body;
  server {
    listen 127.0.0.1:PORT ssl http2;
    ssl_certificate DIR/srv.pem;
    ssl_certificate_key DIR/srv.key;
    location / {
      default_type application/json;
      return 200 '{"status":"success","proto":"$server_protocol","id":1}';
    }
  }
  server {
    listen 127.0.0.1:OTHER ssl;
    ssl_certificate DIR/other.pem;
    ssl_certificate_key DIR/other.key;
    location / { return 200 '{"status":"success"}'; }
  }
}
]]):gsub("DIR", dir):gsub("OTHER", tostring(other)):gsub("PORT", tostring(port))
    local f = assert(io.open(dir .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    nginx_ok = sh(("/usr/sbin/nginx -p %s -c %s/nginx.conf -e %s/error.log"):format(dir, dir, dir))
    require("socket").sleep(0.3)
  end)

  -- the machine is shared: start the server again if it went away
  before_each(function()
    local socket = require "socket"
    local c = socket.tcp()
    c:settimeout(1)
    local ok = c:connect("127.0.0.1", port)
    c:close()
    if not ok then
      nginx_ok = sh(("/usr/sbin/nginx -p %s -c %s/nginx.conf -e %s/error.log"):format(dir, dir, dir))
      socket.sleep(0.3)
    end
  end)

  teardown(function()
    os.execute(("[ -f %s/nginx.pid ] && kill $(cat %s/nginx.pid); sleep 0.2; rm -rf %s"):format(dir, dir, dir))
  end)

  local function client(opts)
    opts.base_url = opts.base_url or ("https://127.0.0.1:%d/1"):format(port)
    opts.retry = { attempts = 2, base_delay = 0.01 }
    return U.client(opts)
  end

  it("verifies the certificate by default: an unknown CA fails before sending", function()
    assert.is_true(nginx_ok)
    local c = client {}
    local report = assert(c:send("push", { to = { Identity = { "a" } }, content = U.content }))
    c:close()
    assert.equal(1, #report.failed)
    assert.equal("network", report.failed[1].error.kind)
    assert.is_true(report.failed[1].error.retryable)
    assert.equal(2, report.requests)
  end)

  it("accepts the server with ca_file, over HTTP/2", function()
    local c = client { ca_file = dir .. "/ca.pem" }
    local res = assert(c:list { from = 20240101, to = 20240102 })
    c:close()
    assert.equal("success", res.status)
    assert.equal("HTTP/2.0", res.proto)
  end)

  it("refuses a certificate for another host even from a trusted CA", function()
    local c = client { ca_file = dir .. "/ca.pem", base_url = ("https://127.0.0.1:%d/1"):format(other) }
    local _, err = c:list { from = 20240101, to = 20240102 }
    c:close()
    assert.equal("network", err.kind)
  end)

  it("verify_tls = false skips verification", function()
    local c = client { verify_tls = false }
    assert(c:list { from = 20240101, to = 20240102 })
    c:close()
  end)
end)
