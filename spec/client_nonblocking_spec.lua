-- Non-blocking use: start jobs, drive them with poll(timeout) from a host
-- loop, completion and progress callbacks, wait with a timeout, cancel.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local core = require "clevertap.core"

describe("client non-blocking", function()
  local client
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    client = U.client { create_rate = false }
  end)
  after_each(function() client:close() end)

  it("one poll loop drives several jobs at once, each on_done called once", function()
    sandbox.faults { { path = "/1/send/*", fault = "latency", ms = 200 } }
    local done = {}
    local function cb(name) return function(res, err) done[#done + 1] = { name, res, err } end end
    local jobs = {
      client:start_send("push", { to = { Identity = U.ids(3000) }, content = U.content }, { on_done = cb("a") }),
      client:start_send("push", { to = { Email = U.ids(1500, "e") }, content = U.content }, { on_done = cb("b") }),
      client:start("list", { from = 20240101, to = 20240102 }, { on_done = cb("list") }),
    }
    local frames, slow = 0, 0
    while #done < 3 do
      local t = core.now()
      client:poll(0) -- a game frame: never waits
      if core.now() - t > 0.1 then slow = slow + 1 end
      frames = frames + 1
      core.sleep(0.005)
      assert(frames < 5000, "jobs never finished")
    end
    assert.equal(0, slow)
    assert.is_true(frames > 10)
    local by = {}
    for _, d in ipairs(done) do by[d[1]] = d end
    assert.equal(3000, by.a[2].accepted)
    assert.equal(1500, by.b[2].accepted)
    assert.equal("success", by.list[2].status)
    for _, j in ipairs(jobs) do assert.is_true(j:is_done()) end
    assert.equal(0, client:poll(0))
    assert.equal(3, #done)
  end)

  it("reports progress: batches done of total and identities accepted", function()
    local seen = {}
    local job = client:start_send("push", { to = { Identity = U.ids(4500) }, content = U.content },
      { on_progress = function(p) seen[#seen + 1] = p end })
    local report = assert(job:wait(30))
    assert.equal(4500, report.accepted)
    local last = seen[#seen]
    assert.equal(5, last.batches_total)
    assert.equal(5, last.batches_done)
    assert.equal(4500, last.accepted)
    for i = 2, #seen do assert.is_true(seen[i].accepted >= seen[i - 1].accepted) end
  end)

  it("a client-wide on_progress applies to every send", function()
    client:close()
    local n = 0
    client = U.client { on_progress = function() n = n + 1 end }
    assert(client:send("push", { to = { Identity = U.ids(2000) }, content = U.content }))
    assert.is_true(n >= 1)
  end)

  it("wait(timeout) returns a timeout error while running; the job finishes later", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 600, count = 1 } }
    local job = client:start_send("push", { to = { Identity = { "a" } }, content = U.content })
    local res, err = job:wait(0.1)
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_false(job:is_done())
    local report = assert(job:wait(10))
    assert.equal(1, report.accepted)
  end)

  it("an error raised in on_done comes out of poll after every job was handled", function()
    local other = false
    client:start("list", { from = 20240101, to = 20240102 }, { on_done = function() error("boom") end })
    client:start("list", { from = 20240101, to = 20240102 }, { on_done = function() other = true end })
    local ok, err
    local t0 = core.now()
    repeat
      ok, err = pcall(client.poll, client, 0.05)
    until not ok or core.now() - t0 > 10
    assert.is_false(ok)
    assert.matches("boom", tostring(err))
    while client:poll(0.05) > 0 do end
    assert.is_true(other)
  end)

  it("cancel drops queued batches", function()
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 200 } }
    client:close()
    client = U.client { concurrency = 1 }
    local job = client:start_send("push", { to = { Identity = U.ids(10000) }, content = U.content })
    client:poll(0.05)
    job:cancel()
    assert.is_true(job:is_done())
    local t0 = core.now()
    while client:pending() > 0 and core.now() - t0 < 5 do client:poll(0.05) end
    assert.is_true(sandbox.fault_status().rules[1].seen <= 2)
  end)

  it("cancelling a job from inside its own identity iterator is safe", function()
    local job
    local i = 0
    job = client:start_send("push", { to = { Identity = function()
      i = i + 1
      if i == 1500 then job:cancel() end
      return "c" .. i
    end }, content = U.content })
    local t0 = core.now()
    -- the report is built within each poll's small budget: on a loaded
    -- machine it can take more polls than the requests did
    while (not job:is_done() or client:pending() > 0) and core.now() - t0 < 5 do client:poll(0.05) end
    assert.is_true(job:is_done())
    assert.equal(0, client:pending())
    -- the client still works
    assert(client:send("push", { to = { Identity = { "after" } }, content = U.content }))
  end)

  it("poll(0) bounds the requests it starts; later polls start the rest", function()
    -- a frame loop's poll(0) must not build and start every allowed batch at
    -- once (each costs a fraction of a millisecond)
    local c = U.client { concurrency = 64, send_rate = false }
    sandbox.faults { { path = "/1/send/push.json", fault = "latency", ms = 300 } }
    local job = assert(c:start_send("push", { to = { Identity = U.ids(64000) }, content = U.content }))
    c:poll(0)
    local first = c:peak("send/push")
    assert.is_true(first >= 1, "the first poll starts something")
    assert.is_true(first < 64, "the first poll(0) started " .. first .. " of 64 allowed")
    local t0 = core.now()
    while c:peak("send/push") < 64 and core.now() - t0 < 5 do c:poll(0) end
    assert.equal(64, c:peak("send/push"))
    local report = assert(job:wait(60))
    assert.equal(64000, report.accepted)
    c:close()
  end)
end)
