-- Durable sends (docs/journal.md): the SQLite journal of client:send's
-- `journal` option, client:resume, and job:cancel keeping the report.
-- Crash tests run a real sending process (spec/fixtures/journal_child.lua)
-- against the sandbox with latency, kill -9 it once the sandbox logged N
-- requests, resume, and check what the sandbox received.
local sandbox = require "support.sandbox"
local files = require "support.files"
local U = require "support.client_util"
local core = require "clevertap.core"

local PATH = "/1/send/push.json"
local LUA = os.getenv("CT_LUA") or "lua5.4"
local q = files.quote

local function ids(n, prefix) return U.ids(n, prefix or "j-") end

local function sqlite(db, sql)
  local p = assert(io.popen("sqlite3 " .. q(db) .. " " .. q(sql) .. " 2>&1"))
  local out = p:read("a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local function logged_count()
  local st = sandbox.stats()
  return st.by_path and st.by_path[PATH] or 0
end

-- Starts the child in the background; returns its pid and output file.
local function spawn(dir, journal, n, action, source, prefix, conc)
  local out = dir .. "/child-" .. action .. "-" .. tostring(math.random(1e9)) .. ".out"
  local cmd = ("%s spec/fixtures/journal_child.lua %s %s %d %s %s %s %d >%s 2>&1 & echo $!"):format(
    q(LUA), q(sandbox.url()), q(journal), n, action, source, q(prefix or "j-"), conc or 2, q(out))
  local p = assert(io.popen(cmd))
  local pid = tonumber(p:read("l"))
  p:close()
  return pid, out
end

local function wait_for(cond, timeout, what)
  local t0 = core.now()
  while not cond() do
    if core.now() - t0 > (timeout or 20) then error("timed out waiting for " .. what, 2) end
    core.sleep(0.005)
  end
end

-- Requests already written (by a killed process, a closed client) may still
-- reach the sandbox's log, which it writes after a latency fault's delay:
-- waits until the count holds for 0.3 s.
local function settle()
  local last, since = logged_count(), core.now()
  while core.now() - since < 0.3 do
    core.sleep(0.02)
    local c = logged_count()
    if c ~= last then last, since = c, core.now() end
  end
end

-- kill -9 once the sandbox logged `after` send requests; waits until the
-- journal's lock is free (the process is gone).
local function kill_after(pid, after, journal)
  wait_for(function() return logged_count() >= after end, 30, after .. " requests")
  os.execute("kill -9 " .. pid)
  wait_for(function()
    local r = core.journal_report(journal)
    return r and r.state ~= "running"
  end, 10, "the killed process to let go of the journal")
  settle()
end

-- No identity in two requests the sandbox received (every one it logged
-- was answered 200: a valid payload and no fault other than latency), and
-- each identity of the list in exactly one final outcome of the report.
local function check_once(list, report)
  local seen = U.identities_sent(PATH)
  for k, times in pairs(seen) do
    assert(times == 1, k .. " was sent " .. times .. " times")
  end
  local to = { Identity = list }
  local ok, total, counted, where = U.accounted(to, report)
  assert.is_true(ok, ("report accounts for %d of %d identities"):format(counted, total))
  -- accepted identities all reached the sandbox; failed ones are refusals
  local reached = 0
  for _ in pairs(seen) do reached = reached + 1 end
  local unknown_or_not_sent = 0
  for _, v in pairs(where) do if v ~= "failed" then unknown_or_not_sent = unknown_or_not_sent + 1 end end
  assert.is_true(reached >= report.accepted, "every accepted identity reached the sandbox")
  assert.is_true(reached <= report.accepted + unknown_or_not_sent)
  for _, e in ipairs(report.not_sent) do
    for _, id in ipairs(e.to.Identity or {}) do
      assert.is_nil(seen["Identity:" .. id], id .. " is not_sent but the sandbox received it")
    end
  end
end

describe("send journal", function()
  local dir

  before_each(function()
    settle() -- what an earlier test left in flight lands before the reset
    sandbox.reset()
    dir = files.temp_dir()
  end)

  after_each(function()
    sandbox.reset()
    files.remove_dir(dir)
  end)

  it("records the send in SQLite (WAL): channel, message once, account id, batches; never the passcode", function()
    local client = U.client()
    local db = dir .. "/send.db"
    local report = assert(client:send("push", { to = { Identity = ids(2500) }, content = U.content },
      { journal = db }))
    assert.equal(2500, report.accepted)
    assert.equal("wal", sqlite(db, "PRAGMA journal_mode"))
    assert.equal("push", sqlite(db, "SELECT value FROM meta WHERE key = 'channel'"))
    assert.equal(sandbox.account_id, sqlite(db, "SELECT value FROM meta WHERE key = 'account_id'"))
    assert.equal('{"content":{"body":"World","title":"Hello"}}',
      sqlite(db, "SELECT value FROM meta WHERE key = 'message'"))
    assert.equal("accepted|1000|0\naccepted|1000|0\naccepted|500|0",
      sqlite(db, "SELECT state, n, (SELECT count(*) FROM identities WHERE batch = b.id) FROM batches b ORDER BY id"))
    assert.equal("done", sqlite(db, "SELECT value FROM meta WHERE key = 'state'"))
    local r = core.journal_report(db)
    assert.same({ 2500, 0, 0, "done", true }, { r.accepted, r.failed, r.unknown, r.state, r.source_read })
    for _, f in ipairs { db, db .. "-wal" } do
      local bytes = files.read(f) or ""
      assert.is_nil(bytes:find(sandbox.passcode, 1, true), f .. " holds the passcode")
    end
    -- it holds people's identities: readable by its owner only
    local p = io.popen("stat -c %a " .. q(db))
    assert.equal("600", p:read("*l"))
    p:close()
    client:close()
  end)

  it("keeps accepted batches' identities with journal_keep_ids (audit)", function()
    local client = U.client()
    local db = dir .. "/audit.db"
    assert(client:send("push", { to = { Identity = ids(1500) }, content = U.content },
      { journal = db, journal_keep_ids = true }))
    assert.equal("1000|1\n500|1", sqlite(db, "SELECT n, ids LIKE '{\"Identity\":[\"j-%' FROM batches"
      .. " JOIN identities ON batch = id ORDER BY id"))
    client:close()
  end)

  it("refuses a journal it cannot create or write, before sending anything", function()
    local client = U.client()
    local bad = {
      dir .. "/no/such/dir/send.db",
      "/proc/self/send.db",          -- not writable, even for root
    }
    local file = files.write(dir .. "/a-file", "x")
    bad[#bad + 1] = file .. "/send.db" -- its "directory" is a file
    for _, path in ipairs(bad) do
      local report, err = client:send("push", { to = { Identity = ids(10) }, content = U.content },
        { journal = path })
      assert.is_nil(report)
      assert.equal("validation", err.kind)
      assert.matches("journal", err.message, 1, true)
      assert.equal(path, err.journal)
    end
    -- a read-only directory, as an unprivileged user when the suite runs as root
    local ro = dir .. "/ro"
    os.execute("mkdir " .. q(ro) .. " && chmod 555 " .. q(ro) .. " && chmod 755 " .. q(dir))
    local script = files.write(dir .. "/ro.lua", ([[
      local clevertap = require "clevertap"
      local c = assert(clevertap.new { account_id = %q, passcode = %q, base_url = %q })
      local r, err = c:send("push", { to = { Identity = { "a" } }, content = { title = "t", body = "b" } },
        { journal = %q })
      print(r == nil and err.kind .. ": " .. err.message or "SENT")
    ]]):format(sandbox.account_id, sandbox.passcode, sandbox.url(), ro .. "/send.db"))
    os.execute("chmod 644 " .. q(script))
    local as = ""
    local pu = io.popen("id -u")
    if pu:read("l") == "0" then as = "setpriv --reuid=65534 --regid=65534 --clear-groups " end
    pu:close()
    local p = io.popen(as .. q(LUA) .. " " .. q(script) .. " 2>&1")
    local out = p:read("a")
    p:close()
    assert.matches("^validation: journal .*send%.db: cannot create it: Permission denied", out)
    assert.equal(0, logged_count())
    client:close()
  end)

  it("refuses a path that already holds a send, or a file that is not a journal", function()
    local client = U.client()
    local text = files.write(dir .. "/notes.txt", ("not a database\n"):rep(100))
    for _, call in ipairs {
      function()
        return client:send("push", { to = { Identity = ids(5) }, content = U.content }, { journal = text })
      end,
      function() return client:resume(text) end,
    } do
      local r, err = call()
      assert.is_nil(r)
      assert.matches("not a send journal", err.message, 1, true)
    end
    assert.equal(("not a database\n"):rep(100), files.read(text))
    local db = dir .. "/once.db"
    assert(client:send("push", { to = { Identity = ids(5) }, content = U.content }, { journal = db }))
    local report, err = client:send("push", { to = { Identity = ids(5) }, content = U.content }, { journal = db })
    assert.is_nil(report)
    assert.matches("already holds a send", err.message, 1, true)
    client:close()
  end)

  it("a killed sending process is resumed: accepted batches never re-sent, in-flight ones unknown", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 60 } }
    local n = 24000
    local list = ids(n)
    for _, after in ipairs { 1, 6, 15 } do
      sandbox.reset()
      sandbox.faults { { path = PATH, fault = "latency", ms = 60 } }
      local db = ("%s/kill-%d.db"):format(dir, after)
      local pid = spawn(dir, db, n, "send", "array")
      kill_after(pid, after, db)
      local before = core.journal_report(db)
      assert.is_true(before.in_flight + before.accepted > 0)
      assert.is_true(before.accepted < n, "killed before the end")
      local client = U.client { concurrency = 4 }
      local report = assert(client:resume(db, { to = { Identity = list } }))
      client:close()
      -- what was in flight at the kill is unknown, never re-sent
      assert.equal(before.in_flight + before.unknown, report.unknown and (function()
        local c = 0
        for _, e in ipairs(report.unknown) do c = c + e.count end
        return c
      end)())
      assert.equal(0, #report.failed)
      assert.equal(0, #report.not_sent)
      check_once(list, report)
      assert.equal("done", core.journal_report(db).state)
      -- resumed again: nothing left to send
      local again = U.client()
      local r2 = assert(again:resume(db, { to = { Identity = list } }))
      again:close()
      assert.equal(0, r2.requests)
      assert.equal(report.accepted, r2.accepted)
    end
  end)

  it("a journal from a crashed resume is resumed again", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 60 } }
    local n = 20000
    local list = ids(n)
    local db = dir .. "/twice.db"
    kill_after(spawn(dir, db, n, "send", "array"), 3, db)
    local pid = spawn(dir, db, n, "resume", "array")
    kill_after(pid, logged_count() + 5, db)
    assert.is_true(core.journal_report(db).accepted < n)
    local client = U.client { concurrency = 4 }
    local report = assert(client:resume(db, { to = { Identity = list } }))
    client:close()
    check_once(list, report)
  end)

  it("resumes an iterator source: the consumed prefix is read again and skipped", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 60 } }
    local n = 21000
    local db = dir .. "/iter.db"
    kill_after(spawn(dir, db, n, "send", "iterator"), 4, db)
    local function iterator(prefix)
      local i = 0
      return function()
        i = i + 1
        if i <= n then return (prefix or "j-") .. i end
      end
    end
    local client = U.client { concurrency = 4 }
    -- a different sequence is refused, nothing sent
    local sent = logged_count()
    local r0, err = client:resume(db, { to = { Identity = iterator("other-") } })
    assert.is_nil(r0)
    assert.matches("not the journal's", err.message, 1, true)
    assert.equal(sent, logged_count())
    local report = assert(client:resume(db, { to = { Identity = iterator() } }))
    client:close()
    check_once(ids(n), report)
  end)

  it("a bad identity from an iterator is failed once across runs, at the same pointer", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 100 } }
    local db = dir .. "/bad.db"
    local function iterator()
      local i = 0
      return function()
        i = i + 1
        if i == 10 or i == 2500 then return "" end
        if i <= 5000 then return "b-" .. i end
      end
    end
    local client = U.client { concurrency = 1 }
    local job = assert(client:start_send("push", { to = { Identity = iterator() }, content = U.content },
      { journal = db }))
    local t0 = core.now()
    while job:progress().batches_done < 1 and core.now() - t0 < 5 do client:poll(0.01) end
    client:close() -- the batch in flight is unknown, the iterator's rest unread
    local first = job:result()
    assert.equal(1, #first.failed)
    sandbox.clear_faults()
    local again = U.client()
    local report = assert(again:resume(db, { to = { Identity = iterator() } }))
    again:close()
    local pointers, counted = {}, report.accepted
    for _, f in ipairs(report.failed) do
      pointers[#pointers + 1] = f.error.pointer
      counted = counted + f.count
    end
    for _, u in ipairs(report.unknown) do counted = counted + u.count end
    table.sort(pointers)
    assert.same({ "/to/Identity/2499", "/to/Identity/9" }, pointers)
    assert.equal(5000, counted)
    for k, times in pairs(U.identities_sent(PATH)) do assert(times == 1, k) end
  end)

  it("refuses a different list from a Lua table, and a missing one", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 60 } }
    local n = 20000
    local db = dir .. "/table.db"
    kill_after(spawn(dir, db, n, "send", "array"), 2, db)
    local client = U.client()
    local sent = logged_count()
    local changed = ids(n)
    changed[10] = "someone-else"
    for _, to in ipairs { { Identity = changed }, { Identity = ids(n - 1) }, { Email = ids(n) } } do
      local r, err = client:resume(db, { to = to })
      assert.is_nil(r)
      assert.equal("validation", err.kind)
      assert.matches("not the journal's", err.message, 1, true)
    end
    local r, err = client:resume(db)
    assert.is_nil(r)
    assert.matches("give them again", err.message, 1, true)
    assert.equal(sent, logged_count())
    -- still resumable with the right list
    local report = assert(client:resume(db, { to = { Identity = ids(n) } }))
    client:close()
    check_once(ids(n), report)
  end)

  it("two processes cannot drive one journal", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 300 } }
    local n = 20000
    local db = dir .. "/busy.db"
    local pid, out = spawn(dir, db, n, "send", "array", nil, 1)
    wait_for(function() return logged_count() >= 1 end, 10, "the first request")
    local client = U.client()
    local r, err = client:resume(db, { to = { Identity = ids(n) } })
    assert.is_nil(r)
    assert.matches("in use by another process", err.message, 1, true)
    assert.equal("running", core.journal_report(db).state)
    os.execute("kill -9 " .. pid)
    wait_for(function() return core.journal_report(db).state ~= "running" end, 10, "the lock")
    assert.is_nil(files.read(out):find("REPORT", 1, true))
    -- a resumer holds it too: a second one in another process is refused
    local rpid, rout = spawn(dir, db, n, "resume", "array", nil, 1)
    wait_for(function() return core.journal_report(db).state == "running" end, 10, "the resumer")
    r, err = client:resume(db, { to = { Identity = ids(n) } })
    assert.is_nil(r)
    assert.matches("in use by another process", err.message, 1, true)
    os.execute("kill -9 " .. rpid)
    wait_for(function() return core.journal_report(db).state ~= "running" end, 10, "the lock")
    assert.is_nil(files.read(rout):find("REPORT", 1, true))
    client:close()
  end)

  it("a journal that cannot be written any more stops the send before the batch it could not record", function()
    -- the file size limit makes the journal's writes fail (EFBIG) part-way:
    -- 40 batches write 1.3 MB or more, the limit is 1500 blocks of 512 bytes
    local n = 40000
    local db = dir .. "/full.db"
    local out = dir .. "/full.out"
    os.execute(("sh -c 'trap \"\" XFSZ; ulimit -f 1500; exec \"$0\" \"$@\"' %s spec/fixtures/journal_child.lua"
      .. " %s %s %d send array j- 2 >%s 2>&1"):format(q(LUA), q(sandbox.url()), q(db), n, q(out)))
    assert.matches("^ERR clevertap network error: the journal could not record the batch", files.read(out))
    -- every request the sandbox received is recorded in the journal
    local recorded = tonumber(sqlite(db, "SELECT count(*) FROM batches WHERE state IN ('in_flight', 'accepted')"))
    assert.is_true(recorded > 0 and recorded < 40, recorded .. " batches recorded")
    assert.equal(recorded, logged_count())
    assert.equal("interrupted", core.journal_report(db).state)
    local client = U.client { concurrency = 4 }
    local report = assert(client:resume(db, { to = { Identity = ids(n) } }))
    client:close()
    check_once(ids(n), report)
  end)

  it("resend_unknown sends the batches that were in flight again", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 100 } }
    local n = 20000
    local db = dir .. "/resend.db"
    kill_after(spawn(dir, db, n, "send", "array", nil, 4), 4, db)
    local before = core.journal_report(db)
    assert.is_true(before.in_flight > 0)
    local client = U.client { concurrency = 4 }
    local report = assert(client:resume(db, { to = { Identity = ids(n) }, resend_unknown = true }))
    client:close()
    assert.equal(n, report.accepted)
    assert.is_true(report.ok)
  end)
end)

describe("job:cancel", function()
  before_each(function()
    settle()
    sandbox.reset()
  end)
  after_each(function() sandbox.reset() end)

  for _, journaled in ipairs { false, true } do
    it("keeps the report: not_sent, unknown in flight, cancelled = true" .. (journaled and " (journal)" or ""),
      function()
        sandbox.faults { { path = PATH, fault = "latency", ms = 200 } }
        local dir = files.temp_dir()
        local client = U.client { concurrency = 2 }
        local list = ids(10000)
        local job = assert(client:start_send("push", { to = { Identity = list }, content = U.content },
          journaled and { journal = dir .. "/cancel.db" } or nil))
        local t0 = core.now()
        -- two done and the next two in flight: those two are unknown at the cancel
        while (job:progress().batches_done < 2 or job:progress().in_flight < 2) and core.now() - t0 < 10 do
          client:poll(0.02)
        end
        job:cancel()
        assert.is_true(job:is_done())
        local report, err = job:result()
        assert.is_nil(err)
        assert.is_true(report.cancelled)
        assert.is_false(report.ok)
        assert.is_true(report.accepted >= 2000)
        assert.is_true(#report.not_sent > 0)
        -- the two in flight at the cancel: unknown
        assert.equal(2, #report.unknown)
        assert.is_true(U.accounted({ Identity = list }, report))
        while client:pending() > 0 and core.now() - t0 < 10 do client:poll(0.05) end
        local seen = U.identities_sent(PATH)
        for _, e in ipairs(report.not_sent) do
          for _, id in ipairs(e.to.Identity) do assert.is_nil(seen["Identity:" .. id]) end
        end
        if journaled then
          local db = dir .. "/cancel.db"
          local jr = core.journal_report(db)
          assert.equal("interrupted", jr.state)
          assert.equal(report.accepted, jr.accepted)
          -- the rest is sent by a resume, the unknown batches are not
          local r2 = assert(client:resume(db, { to = { Identity = list } }))
          assert.is_true(U.accounted({ Identity = list }, r2))
          assert.equal(2, #r2.unknown)
          assert.equal(10000 - 2000, r2.accepted)
          for k, times in pairs(U.identities_sent(PATH)) do assert(times == 1, k) end
        end
        client:close()
        files.remove_dir(dir)
      end)
  end

  it("from inside the send's own iterator: the job ends with its report when the iterator returns", function()
    local client = U.client()
    local job
    local i = 0
    job = client:start_send("push", { to = { Identity = function()
      i = i + 1
      if i == 1500 then job:cancel() end
      return "c" .. i
    end }, content = U.content })
    local t0 = core.now()
    while not job:is_done() and core.now() - t0 < 5 do client:poll(0.05) end
    local report = assert(job:result())
    assert.is_true(report.cancelled)
    -- the first batch was accepted or in flight at the cancel (unknown)
    assert.equal(1000, report.accepted + (report.unknown[1] and report.unknown[1].count or 0))
    assert.equal(1, #report.not_sent)
    assert.equal(500, report.not_sent[1].count)
    assert.equal(1500, i) -- not called again after the cancel
    client:close()
  end)

  it("a hold from inside the send's own iterator stops reading it there; the cancel after keeps the report",
    function()
      local client = U.client()
      local job
      local i = 0
      job = client:start_send("push", { to = { Identity = function()
        i = i + 1
        if i == 1700 then job:hold() end
        return "h" .. i
      end }, content = U.content })
      local t0 = core.now()
      while job:progress().in_flight + job:progress().batches_done < 1 and core.now() - t0 < 5 do
        client:poll(0.05)
      end
      while job:progress().in_flight > 0 and core.now() - t0 < 5 do client:poll(0.05) end
      assert.equal(1700, i) -- the iterator is not called again once held
      job:cancel()
      while not job:is_done() and core.now() - t0 < 5 do client:poll(0.05) end
      local report = assert(job:result())
      assert.is_true(report.cancelled)
      assert.equal(1000, report.accepted)
      assert.equal(700, report.not_sent[1].count)
      assert.equal(1700, i)
      client:close()
    end)
end)
