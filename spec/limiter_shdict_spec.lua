-- The shdict limiter inside nginx: four workers sending for one account
-- (nginx.conf has `lua_shared_dict clevertap_limits`, so it is the default)
-- keep to the account's limits together.
local sandbox = require "support.sandbox"
local files = require "support.files"
local cjson = require "cjson"
local socket = require "socket"
local http = require "socket.http"

local ln = require "support.limiter_nginx"

local times, max_per_second = ln.times, ln.max_per_second

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

describe("shdict limiter inside nginx", function()
  local dir, port
  before_each(function()
    sandbox.reset()
    dir, port = files.temp_dir(), free_port()
  end)
  after_each(function()
    ln.stop(dir)
    files.remove_dir(dir)
  end)

  it("four workers share 1000 sends a second and 3 targets/* in flight", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 50 },
      { path = "/1/targets/list.json", fault = "latency", ms = 100 } }
    ln.start(dir, port, { CT_N = 1000, CT_LISTS = 6 })
    local results = ln.results(dir, port, 4)
    for w = 0, 3 do
      local r = results["w" .. w]
      assert.same({}, r.errors or { r.error })
      assert.equal(1000, r.accepted)
      assert.equal(6, r.lists)
      -- the default concurrency is the account's, shared: each worker runs its share of light threads
      assert.equal(math.ceil(require("clevertap.core").default_concurrency / 4), r.threads)
    end
    assert.is_nil(sandbox.stats().by_status["429"], "the sandbox answered 429")
    local sends = times("/1/send/push.json")
    assert.equal(4000, #sends)
    assert.is_true(max_per_second(sends) <= 1000, "a sliding second saw " .. max_per_second(sends))
    local rate = (#sends - 1) / (sends[#sends] - sends[1])
    assert.is_true(rate >= 900, ("aggregate %.0f requests/s"):format(rate))
  end)

  it("a worker killed with -9 frees its targets/* slots within the lease", function()
    sandbox.configure { targets_concurrency = 0 } -- the limiter alone keeps 3 in flight
    sandbox.faults { { path = "/1/targets/list.json", fault = "latency", ms = 20000, count = 3 } }
    ln.start(dir, port, { CT_N = 0, CT_LISTS = 3, CT_LEASE = 1 })
    local t0 = socket.gettime()
    while #sandbox.requests { path = "/1/targets/list.json" } < 3 do
      assert(socket.gettime() - t0 < 10, "no list requests")
      socket.sleep(0.02)
    end
    socket.sleep(0.3)
    local body, code = http.request("http://127.0.0.1:" .. port .. "/held")
    assert(body, tostring(code) .. (files.read(dir .. "/error.log") or ""))
    local held = cjson.decode(body)
    local pid, total = nil, 0
    for p, n in pairs(held) do
      total = total + n
      if not pid or n > held[pid] then pid = p end
    end
    assert.equal(3, total, cjson.encode(held))
    -- the worker holding most of them goes; its slots come back to the others
    assert.equal(3, #sandbox.requests { path = "/1/targets/list.json" }) -- the others wait
    os.execute("kill -9 " .. pid)
    local tk = socket.gettime()
    while #sandbox.requests { path = "/1/targets/list.json" } < 4 do
      assert(socket.gettime() - tk < 5, "the slots did not come back")
      socket.sleep(0.02)
    end
    local t = times("/1/targets/list.json")
    local regained = t[4] - tk
    assert.is_true(regained > 0.3 and regained <= 1.6, ("slots regained %.2f s after the kill"):format(regained))
  end)
end)
