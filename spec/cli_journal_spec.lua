-- clevertap send journaled and interrupted, as real processes against the
-- sandbox: kill -9 at random moments and `clevertap resume` after each,
-- SIGINT and SIGTERM (exit codes, partial report, --failed-ids), resume from
-- a file and from stdin, a changed file and a second resumer refused,
-- `clevertap sends`, `clevertap resume` without a path, a read-only state
-- directory. Checked against the sandbox's request log. The sandbox delays
-- every send (a latency fault) and the profile allows 2 requests in flight,
-- so batches are in flight when a signal comes.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local core = require "clevertap.core"
local cjson = require "cjson"

local PATH = "/1/send/push.json"
local MESSAGE = [[return { tag_group = "spec", content = { title = "Sale", body = "Half price" } }]]
local BATCH = 1000 -- the API's batch size, fixed

local seed = os.time()
math.randomseed(seed)

local function wait_for(cond, timeout, what)
  local t0 = core.now()
  while not cond() do
    if core.now() - t0 > (timeout or 20) then error("timed out waiting for " .. what .. " (seed " .. seed .. ")", 2) end
    core.sleep(0.01)
  end
end

local function logged(since)
  return sandbox.requests { path = PATH, since = since }
end

-- Requests written by a killed process may still reach the log once the
-- latency fault's delay is over: waits until the count holds for 0.4 s.
local function settle(since)
  local last, t = #logged(since), core.now()
  while core.now() - t < 0.4 do
    core.sleep(0.05)
    local c = #logged(since)
    if c ~= last then last, t = c, core.now() end
  end
end

-- identity -> number of logged send requests naming it
local function log_counts(since)
  local counts, n = {}, 0
  for _, r in ipairs(logged(since)) do
    n = n + 1
    for _, v in ipairs(cjson.decode(r.body).to.Identity) do counts[v] = (counts[v] or 0) + 1 end
  end
  return counts, n
end

local function lines_set(text)
  local set, n = {}, 0
  for line in (text or ""):gmatch("[^\n]+") do set[line] = true; n = n + 1 end
  return set, n
end

describe("clevertap send, interrupted and resumed", function()
  local dir, env, msg, since

  -- `clevertap ARGS` in the background; returns a handle with pid, and
  -- wait() giving the exit code (137 after kill -9), stdout, stderr.
  local function spawn(argv, opts)
    opts = opts or {}
    local tag = tostring(math.random(1e9))
    local out, err, pidf, rcf = dir .. "/" .. tag .. ".out", dir .. "/" .. tag .. ".err", dir .. "/" .. tag .. ".pid",
      dir .. "/" .. tag .. ".rc"
    local inner = cli.command(argv, opts.env or env) .. " >" .. cli.quote(out) .. " 2>" .. cli.quote(err) .. " <"
      .. cli.quote(opts.stdin_file or "/dev/null") .. " & echo $! >" .. cli.quote(pidf) .. "; wait $!; echo $? >"
      .. cli.quote(rcf .. ".tmp") .. "; mv " .. cli.quote(rcf .. ".tmp") .. " " .. cli.quote(rcf)
    assert(os.execute("sh -c " .. cli.quote(inner) .. " >/dev/null 2>&1 &"))
    wait_for(function() return files.read(pidf) ~= nil and files.read(pidf):match("%d+") end, 10, "the pid")
    local h = { pid = tonumber(files.read(pidf):match("%d+")) }
    function h.signal(name) os.execute("kill -" .. name .. " " .. h.pid) end
    function h.wait(timeout)
      wait_for(function() return files.read(rcf) ~= nil end, timeout or 30, "clevertap " .. argv[1] .. " to end")
      return tonumber(files.read(rcf):match("%d+")), files.read(out) or "", files.read(err) or ""
    end
    return h
  end

  -- A send (or resume) stopped by Ctrl-C once its first request reached the
  -- sandbox (one logged after `after`, default `since`): it must exit 130.
  -- Returns its stdout and stderr.
  local function interrupted(argv, opts, after)
    local h = spawn(argv, opts)
    wait_for(function() return #logged(after or since) >= 1 end, 30, "a request")
    h.signal("INT")
    local code, out, err = h.wait()
    assert.equal(130, code, out .. err)
    return out, err
  end

  local function report_json(journal)
    local r = cli.run({ "report", journal, "--json" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    return cjson.decode(r.stdout)
  end

  local function csv_identities(journal, kind)
    local r = cli.run({ "report", journal, "--csv", kind }, { env = env })
    assert.equal(0, r.code, r.stderr)
    local set = {}
    for v in r.stdout:gmatch("\nIdentity,([^,\n]+)") do set[v] = true end
    return set
  end

  local function ids_file(n, name)
    return files.write(dir .. "/" .. (name or "ids.txt"), cli.user_ids(n) .. "\n")
  end

  -- The final check: no identity in two requests the sandbox answered (every
  -- logged one was answered 200: a valid payload, no fault but latency),
  -- every identity in exactly one outcome, and the journal's report agrees
  -- with the log.
  local function check_final(journal, n)
    settle(since)
    local counts, requests = log_counts(since)
    local st = sandbox.stats()
    for status in pairs(st.by_status or {}) do assert.equal("200", status) end
    local in_log = 0
    for v, c in pairs(counts) do
      assert(c == 1, v .. " in " .. c .. " requests the sandbox answered 200 (seed " .. seed .. ")")
      in_log = in_log + 1
    end
    local rep = report_json(journal)
    assert.equal("done", rep.state)
    assert.equal(0, rep.failed)
    assert.equal(0, rep.not_sent)
    assert.equal(n, rep.accepted + rep.unknown, "every identity in one outcome")
    local unknown = csv_identities(journal, "unknown")
    local unknown_logged, unknown_n = 0, 0
    for v in pairs(unknown) do
      unknown_n = unknown_n + 1
      if counts[v] then unknown_logged = unknown_logged + 1 end
    end
    assert.equal(rep.unknown, unknown_n)
    -- accepted = logged and not unknown; an unknown batch may or may not have arrived
    assert.equal(rep.accepted, in_log - unknown_logged)
    for i = 1, n do
      local v = "user-" .. i
      assert(counts[v] or unknown[v], v .. " neither sent nor unknown")
    end
    assert.is_true(rep.requests >= requests, "a logged request the journal does not count")
    return rep, counts
  end

  before_each(function()
    sandbox.reset()
    sandbox.faults { { path = PATH, fault = "latency", ms = 150 } }
    dir = files.temp_dir()
    os.execute("mkdir -p " .. cli.quote(dir .. "/cfg/clevertap"))
    local cfg = files.write(dir .. "/cfg/clevertap/config.lua", ([[
      return { default = "s", profiles = { s = { account_id = "SANDBOX-ACCOUNT-ID", base_url = %q,
        passcode_env = "CLEVERTAP_PASSCODE", limits = { concurrency = 2 } } } }]]):format(sandbox.url()))
    os.execute("chmod 600 " .. cli.quote(cfg))
    env = { CLEVERTAP_PASSCODE = "SANDBOX-PASSCODE", XDG_CONFIG_HOME = dir .. "/cfg", XDG_STATE_HOME = dir .. "/state" }
    msg = files.write(dir .. "/msg.lua", MESSAGE)
    since = sandbox.last_seq()
  end)
  after_each(function()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  it("survives kill -9 at 5 random moments: resumed after each, no identity sent twice", function()
    local n = 16 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/send.db"
    local argv = { "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" }
    for round = 1, 5 do
      local before = #logged(since)
      local h = spawn(argv)
      -- a random moment once batches flow: after 1 to 3 logged requests, plus up to 100 ms
      local after = math.random(1, 3)
      wait_for(function() return #logged(since) >= before + after end, 30,
        "round " .. round .. "'s requests")
      core.sleep(math.random() * 0.1)
      h.signal("9")
      assert.equal(137, (h.wait()), "round " .. round .. " killed while sending (seed " .. seed .. ")")
      wait_for(function() return core.journal_report(journal).state ~= "running" end, 10, "the lock")
      -- batches recorded in flight together (one commit) stay within the
      -- profile's concurrency of 2: at most that many become unknown
      local left = core.journal_report(journal).in_flight
      assert.is_true(left <= 2 * BATCH, "round " .. round .. ": " .. left .. " identities in flight at the kill")
      settle(since)
      assert.equal("interrupted", report_json(journal).state, "round " .. round)
      argv = { "resume", journal }
    end
    local r = cli.run({ "resume", journal }, { env = env })
    local rep = check_final(journal, n)
    -- done; batches in flight at a kill stay unknown (a partial delivery, exit 5)
    assert.equal(rep.unknown > 0 and 5 or 0, r.code, r.stdout .. r.stderr)
    assert.is_true(rep.accepted > 0)
  end)

  for _, case in ipairs { { "INT", 130, "interrupted" }, { "TERM", 143, "terminated" } } do
    it("SIG" .. case[1] .. ": lets requests in flight land, exits " .. case[2] .. ", prints the partial report, "
      .. "the resume command and writes --failed-ids with the never-sent identities", function()
      local n = 12 * BATCH
      local ids = ids_file(n)
      local failed_ids = dir .. "/rest.txt"
      local h = spawn { "send", "push", msg, "--ids", ids, "--failed-ids", failed_ids, "--grace", "5", "--no-progress" }
      wait_for(function() return #logged(since) >= 2 end, 30, "two requests")
      h.signal(case[1])
      local code, out, err = h.wait()
      assert.equal(case[2], code, out .. err)
      assert.matches(case[3] .. ": no new batch starts", err, 1, true)
      assert.matches("to send, interrupted", out, 1, true)
      local journal = out:match("resume with: clevertap resume (%S+)")
      assert.is_string(journal, out)
      assert.matches("^" .. dir .. "/state/clevertap/SANDBOX%-ACCOUNT%-ID/sends/", journal)
      settle(since)
      local counts = log_counts(since)
      local rep = report_json(journal)
      assert.equal("interrupted", rep.state)
      assert.equal(0, rep.unknown, "the grace let the requests in flight land")
      assert.is_true(rep.not_sent > 0)
      local sent = 0
      for _ in pairs(counts) do sent = sent + 1 end
      assert.equal(sent, rep.accepted)
      local plain = out:gsub(",", "")
      assert.matches(("%d accepted"):format(sent), plain, 1, true)
      assert.matches(("%d not sent"):format(n - sent), plain, 1, true)
      -- --failed-ids: exactly the identities the sandbox never got, ready for --ids
      local rest, rest_n = lines_set(files.read(failed_ids))
      assert.equal(n - sent, rest_n)
      for i = 1, n do
        local v = "user-" .. i
        assert(not (counts[v] and rest["Identity:" .. v]), v .. " sent and in --failed-ids")
        assert(counts[v] or rest["Identity:" .. v], v .. " neither sent nor in --failed-ids")
      end
      local r = cli.run({ "resume", journal }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      check_final(journal, n)
    end)
  end

  it("a second SIGINT stops at once: the journal stays consistent and resumes", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 1500 } }
    local n = 8 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/twice.db"
    local h = spawn { "send", "push", msg, "--ids", ids, "--journal", journal, "--grace", "30", "--no-progress" }
    wait_for(function()
      local jr = core.journal_report(journal)
      return jr and jr.in_flight > 0
    end, 30, "batches in flight")
    h.signal("INT")
    core.sleep(0.2)
    h.signal("INT")
    local t0 = core.now()
    local code, out, err = h.wait()
    assert.equal(130, code, out .. err)
    assert.is_true(core.now() - t0 < 20, "stopped at once, not after the grace")
    local rep = report_json(journal)
    assert.equal("interrupted", rep.state)
    assert.equal(0, rep.failed)
    assert.is_true(rep.unknown > 0, "what was in flight is unknown")
    assert.equal(n, rep.accepted + rep.unknown + rep.not_sent)
    sandbox.faults { { path = PATH, fault = "latency", ms = 50 } }
    -- --progress with -q is a usage error before anything is sent; --no-progress is taken
    local bad = cli.run({ "resume", journal, "--progress", "-q" }, { env = env })
    assert.equal(2, bad.code, bad.stdout .. bad.stderr)
    assert.matches("contradict", bad.stderr, 1, true)
    local r = cli.run({ "resume", journal, "--no-progress" }, { env = env })
    -- done, with the unknown ones still unknown: a partial delivery
    assert.equal(5, r.code, r.stdout .. r.stderr)
    assert.matches("unknown", r.stdout, 1, true)
    check_final(journal, n)
  end)

  it("resume --dry-run prints what it would send and leaves the journal and its spool as they were", function()
    local n = 8 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/dry.db"
    interrupted({ "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" })
    settle(since)
    local before, count = report_json(journal), #logged(since)
    assert.equal("interrupted", before.state)
    assert.is_true(before.not_sent > 0)
    local dry = cli.run({ "resume", journal, "--dry-run" }, { env = env })
    assert.equal(0, dry.code, dry.stdout .. dry.stderr)
    assert.matches("nothing sent", dry.stdout .. dry.stderr, 1, true)
    assert.equal(count, #logged(since), "a dry run sent a request")
    assert.same(before, report_json(journal))
    assert.is_string(files.read(journal .. ".ids"), "the spool is still there")
    local r = cli.run({ "resume", journal }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    check_final(journal, n)
  end)

  for _, case in ipairs { { "INT", 130, "interrupted" }, { "TERM", 143, "terminated" } } do
    it("SIG" .. case[1] .. " while the identities are still read exits " .. case[2] .. " cleanly: no traceback, "
      .. "nothing sent, no temporary file", function()
      local fifo = dir .. "/ids.fifo"
      assert(os.execute("mkfifo " .. cli.quote(fifo)))
      local rest = dir .. "/rest.txt"
      -- the command's temporary files go to $TMPDIR: this one, empty at the end
      local tmp = dir .. "/tmp"
      assert(os.execute("mkdir -p " .. cli.quote(tmp)))
      local tenv = {}
      for k, v in pairs(env) do tenv[k] = v end
      tenv.TMPDIR = tmp
      local h = spawn({ "send", "push", msg, "--ids", "-", "--failed-ids", rest, "--no-progress" },
        { stdin_file = fifo, env = tenv })
      local w = assert(io.open(fifo, "w"))
      w:write(cli.user_ids(100), "\n")
      w:flush()
      local function tmp_files()
        local p = io.popen("ls -A " .. cli.quote(tmp))
        local text = p:read("*a")
        p:close()
        return text
      end
      wait_for(function() return tmp_files() ~= "" end, 10, "the copy of the identities in $TMPDIR")
      core.sleep(0.3)
      h.signal(case[1])
      core.sleep(0.2)
      -- the command acts on the signal once its read returns: the read goes
      -- on, so a signal is not mistaken for the end of the identities
      w:write("user-101\n")
      w:close()
      local code, out, err = h.wait()
      assert.equal(case[2], code, out .. err)
      assert.matches("clevertap: " .. case[3] .. "; nothing was sent", err, 1, true)
      assert.is_nil(err:find("traceback", 1, true), err)
      assert.is_nil(err:find("internal error", 1, true), err)
      assert.equal(0, #logged(since))
      local p = io.popen("ls -a " .. cli.quote(dir))
      local listing = p:read("*a")
      p:close()
      assert.is_nil(listing:find("rest.txt", 1, true), listing)
      assert.equal("", tmp_files())
      os.remove(fifo)
    end)
  end

  it("a journal that fills its disk part-way stops the send: partial delivery, how to resume, and the resume "
    .. "finishes it", function()
    sandbox.faults { { path = PATH, fault = "latency", ms = 20 } }
    local n = 30 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/full.db"
    local out, err = dir .. "/full.out", dir .. "/full.err"
    -- 768 kB per file: the spool (about 500 kB) fits, the journal's 30 batches do not
    os.execute("sh -c " .. cli.quote("trap '' XFSZ; ulimit -f 1500; " .. cli.command(
      { "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress", "--keep-duplicates" }, env)
      .. " >" .. cli.quote(out) .. " 2>" .. cli.quote(err) .. "; echo $? >" .. cli.quote(out .. ".rc")))
    local code, stdout, stderr = tonumber(files.read(out .. ".rc")), files.read(out) or "", files.read(err) or ""
    assert.equal(5, code, stdout .. stderr)
    assert.matches("the journal could not record the batch", stdout .. stderr, 1, true)
    assert.matches("resume with: clevertap resume " .. journal, stdout, 1, true)
    assert.equal("interrupted", report_json(journal).state)
    local r = cli.run({ "resume", journal }, { env = env })
    assert.is_true(r.code == 0 or r.code == 5, r.stdout .. r.stderr)
    check_final(journal, n)
  end)

  it("the state directory: XDG_STATE_HOME when absolute, else ~/.local/state", function()
    local state = require "clevertap.cli.state"
    local function env_of(t) return function(k) return t[k] end end
    assert.equal("/x/state/clevertap", state.root(env_of { XDG_STATE_HOME = "/x/state", HOME = "/home/u" }))
    -- relative: ignored, as the XDG base directory specification says
    assert.equal("/home/u/.local/state/clevertap", state.root(env_of { XDG_STATE_HOME = "st", HOME = "/home/u" }))
    assert.equal("/home/u/.local/state/clevertap", state.root(env_of { XDG_STATE_HOME = "", HOME = "/home/u" }))
    local none, err = state.root(env_of {})
    assert.is_nil(none)
    assert.matches("no state directory", err, 1, true)
  end)

  it("report --csv takes failed, unknown or not_sent, and not with --json", function()
    for _, kind in ipairs { "accepted", "planned", "FAILED", "not-sent" } do
      local r = cli.run({ "report", dir .. "/none.db", "--csv", kind }, { env = env })
      assert.equal(2, r.code, r.stdout .. r.stderr)
      assert.matches("--csv expects failed, unknown or not_sent, got '" .. kind .. "'", r.stderr, 1, true)
      assert.equal("", r.stdout)
    end
    local r = cli.run({ "report", dir .. "/none.db", "--csv", "failed", "--json" }, { env = env })
    assert.equal(2, r.code, r.stdout .. r.stderr)
    assert.matches("contradict", r.stdout .. r.stderr, 1, true)
  end)

  it("a resume of a send already done sends nothing and removes the spool a kill left behind", function()
    local ids = ids_file(5, "few.txt")
    local journal = dir .. "/done.db"
    local r = cli.run({ "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.is_nil(io.open(journal .. ".ids", "r"))
    -- as a kill -9 between the journal's done and the spool's removal leaves it
    -- (the spool's lines are Type:value, sorted)
    files.write(journal .. ".ids", (files.read(ids):gsub("([^\n]+)", "Identity:%1")))
    settle(since)
    local count = #logged(since)
    r = cli.run({ "resume", journal }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.equal(count, #logged(since))
    assert.is_nil(io.open(journal .. ".ids", "r"), "the spool is removed")
    assert.equal("done", report_json(journal).state)
    assert.equal(5, report_json(journal).accepted)
  end)

  it("resumes a send read from stdin (spooled in the journal's directory)", function()
    local n = 8 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/stdin.db"
    interrupted({ "send", "push", msg, "--ids", "-", "--journal", journal, "--no-progress" }, { stdin_file = ids })
    assert.equal("interrupted", report_json(journal).state)
    local r = cli.run({ "resume", journal }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    -- the whole send's identities, this run's requests
    assert.matches("[%d,]+ identities sent on push: [%d,]+ accepted.* %d+ requests? in this run",
      r.stdout)
    check_final(journal, n)
  end)

  it("refuses to resume when the ids file changed, and a second resumer", function()
    local n = 10 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/changed.db"
    interrupted({ "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" })
    local original = files.read(ids)
    files.write(ids, original .. "user-extra\n")
    local count = #logged(since)
    local r = cli.run({ "resume", journal }, { env = env })
    assert.are_not.equal(0, r.code)
    assert.matches("changed since the send", r.stderr, 1, true)
    assert.matches("nothing was sent", r.stderr, 1, true)
    assert.equal(count, #logged(since))
    -- the way on it names: the identities not reached, for a new send
    assert.matches("clevertap report " .. journal .. " --csv not_sent", r.stderr, 1, true)
    local rest, left = csv_identities(journal, "not_sent"), 0
    for _ in pairs(rest) do left = left + 1 end
    assert.equal(report_json(journal).not_sent, left)
    assert.is_true(left > 0)
  end)

  it("refuses a second process resuming the same journal", function()
    local n = 8 * BATCH
    local ids = ids_file(n)
    local journal = dir .. "/two.db"
    interrupted({ "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" })
    sandbox.faults { { path = PATH, fault = "latency", ms = 400 } }
    local first = spawn { "resume", journal }
    wait_for(function() return core.journal_report(journal).state == "running" end, 20, "the first resumer")
    local second = cli.run({ "resume", journal }, { env = env })
    assert.are_not.equal(0, second.code)
    assert.matches("nothing was sent", second.stderr, 1, true)
    local code, out, err = first.wait()
    assert.equal(0, code, out .. err)
    check_final(journal, n)
  end)

  it("a relative --journal goes into the account's index by its absolute path, and its id names it", function()
    local n = 6 * BATCH
    local ids = ids_file(n)
    os.execute("mkdir -p " .. cli.quote(dir .. "/work"))
    local p = io.popen("pwd")
    local cwd = p:read("*l")
    p:close()
    local _, depth = cwd:gsub("/[^/]+", "")
    local relative = ("../"):rep(depth) .. dir:sub(2) .. "/work/rel-send.db"
    interrupted({ "send", "push", msg, "--ids", ids, "--journal", relative, "--no-progress" })
    local index = files.read(env.XDG_STATE_HOME .. "/clevertap/SANDBOX-ACCOUNT-ID/sends/index")
    assert.truthy(("\n" .. index):find("\n" .. dir .. "/work/rel-send.db\n", 1, true), index)
    local list = cli.run({ "sends" }, { env = env })
    assert.equal(0, list.code, list.stdout .. list.stderr)
    assert.matches("rel%-send%s.*interrupted", list.stdout)
    local rep = cli.run({ "report", "rel-send", "--json" }, { env = env })
    assert.equal(0, rep.code, rep.stdout .. rep.stderr)
    assert.equal("interrupted", cjson.decode(rep.stdout).state)
    local r = cli.run({ "resume", "rel-send" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    check_final(dir .. "/work/rel-send.db", n)
  end)

  it("--journal naming a file that is not a journal is refused and left alone; an empty one is taken", function()
    local ids = ids_file(5, "few.txt")
    local other = files.write(dir .. "/notes.db", "my notes\n")
    local r = cli.run({ "send", "push", msg, "--ids", ids, "--journal", other, "--no-progress" }, { env = env })
    assert.equal(3, r.code, r.stdout .. r.stderr)
    assert.matches("exists and is not a send journal", r.stderr, 1, true)
    assert.equal("my notes\n", files.read(other))
    assert.equal(0, #logged(since))
    local empty = files.write(dir .. "/empty.db", "")
    r = cli.run({ "send", "push", msg, "--ids", ids, "--journal", empty, "--no-progress" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.equal("done", report_json(empty).state)
  end)

  it("clevertap sends lists the account's sends; resume without a path takes the one interrupted, "
    .. "lists several", function()
    local n = 6 * BATCH
    local ids = ids_file(n)
    -- one done, one interrupted
    local r = cli.run({ "send", "push", msg, "--ids", ids_file(5, "few.txt"), "--no-progress" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    since = sandbox.last_seq()
    local out = interrupted { "send", "push", msg, "--ids", ids, "--no-progress" }
    local journal = out:match("resume with: clevertap resume (%S+)")
    local id = journal:match("([^/]+)%.db$")
    local list = cli.run({ "sends" }, { env = env })
    assert.equal(0, list.code, list.stderr)
    local lines = {}
    for line in list.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(2, #lines, list.stdout)
    assert.matches("%s5 accepted.*done$", lines[1])
    assert.matches("^" .. id:gsub("%-", "%%-") .. "%s.*push.*interrupted$", lines[2])
    -- a second interrupted send: resume without a path lists both and sends nothing
    local since2 = sandbox.last_seq()
    local out2 = interrupted({ "send", "push", msg, "--ids", ids, "--no-progress" }, nil, since2)
    local journal2 = out2:match("resume with: clevertap resume (%S+)")
    settle(since)
    local count = #logged(since)
    local both = cli.run({ "resume" }, { env = env })
    assert.equal(2, both.code, both.stdout .. both.stderr)
    assert.matches("2 interrupted sends", both.stderr, 1, true)
    assert.matches(id, both.stderr, 1, true)
    assert.matches(journal2:match("([^/]+)%.db$"), both.stderr, 1, true)
    assert.equal(count, #logged(since))
    -- the second one finished by id: then `resume` alone takes the first
    assert.equal(0, cli.run({ "resume", journal2:match("([^/]+)%.db$") }, { env = env }).code)
    local one = cli.run({ "resume" }, { env = env })
    assert.equal(0, one.code, one.stdout .. one.stderr)
    assert.equal("done", report_json(journal).state)
    assert.equal("done", report_json(journal2).state)
    -- every identity of both sends once each (the log holds both: 2 x n)
    local counts = log_counts(since)
    for i = 1, n do assert.is_true(counts["user-" .. i] <= 2) end
  end)

  it("a read-only state directory or --journal directory: a clear error before anything is sent", function()
    local ro = dir .. "/ro"
    os.execute("mkdir " .. cli.quote(ro) .. " && chmod 555 " .. cli.quote(ro) .. " && chmod 755 " .. cli.quote(dir))
    local ids = ids_file(10)
    os.execute("chmod 644 " .. cli.quote(ids) .. " " .. cli.quote(msg))
    -- as an unprivileged user when the suite runs as root (root writes anywhere)
    local as = ""
    local pu = io.popen("id -u")
    if pu:read("*l") == "0" then as = "setpriv --reuid=65534 --regid=65534 --clear-groups " end
    pu:close()
    local renv = cli.sandbox_env { XDG_STATE_HOME = ro }
    for _, extra in ipairs { {}, { "--journal", ro .. "/send.db" } } do
      local argv = { "send", "push", msg, "--ids", ids, "--no-progress" }
      for _, a in ipairs(extra) do argv[#argv + 1] = a end
      local out, errf = dir .. "/ro.out", dir .. "/ro.err"
      local p = io.popen(as .. cli.command(argv, renv) .. " >" .. cli.quote(out) .. " 2>" .. cli.quote(errf)
        .. "; echo $?")
      local code = tonumber(p:read("*a"):match("(%d+)"))
      p:close()
      local err = files.read(errf) or ""
      assert.equal(1, code, err)
      assert.matches("cannot journal the send: ", err, 1, true)
      assert.matches("nothing was sent", err, 1, true)
      assert.not_matches("SANDBOX%-PASSCODE", err)
    end
    assert.equal(0, #logged(since))
  end)

  it("a journal SQLite cannot open in WAL mode: exit 1, the reason, nothing sent", function()
    local ids = ids_file(10)
    local journal = dir .. "/nowal.db"
    os.execute("mkdir -p " .. cli.quote(journal .. "-wal")) -- where the WAL file would go
    local r = cli.run({ "send", "push", msg, "--ids", ids, "--journal", journal, "--no-progress" }, { env = env })
    assert.equal(1, r.code, r.stdout .. r.stderr)
    assert.matches("clevertap: cannot journal the send: journal " .. journal, r.stderr, 1, true)
    assert.matches("; nothing was sent", r.stderr, 1, true)
    assert.is_nil(r.stderr:find("validation error", 1, true), r.stderr)
    assert.equal(0, #logged(since))
  end)

  it("a full disk under the state directory: a clear error before anything is sent", function()
    -- A real filesystem with no space left: a 64 KiB tmpfs, filled, mounted
    -- over the state directory in a mount namespace of this command only.
    local full = dir .. "/full"
    os.execute("mkdir -p " .. cli.quote(full))
    local ids = ids_file(10)
    local script = files.write(dir .. "/full.sh", table.concat({
      "mount -t tmpfs -o size=64k tmpfs " .. cli.quote(full) .. " || exit 97",
      "head -c 1048576 /dev/zero >" .. cli.quote(full .. "/fill") .. " 2>/dev/null",
      "exec " .. cli.command({ "send", "push", msg, "--ids", ids, "--no-progress" },
        cli.sandbox_env { XDG_STATE_HOME = full }),
    }, "\n") .. "\n")
    local out, errf = dir .. "/full.out", dir .. "/full.err"
    local p = io.popen("unshare -m sh " .. cli.quote(script) .. " >" .. cli.quote(out) .. " 2>" .. cli.quote(errf)
      .. "; echo $?")
    local code = tonumber(p:read("*a"):match("(%d+)"))
    p:close()
    local err = files.read(errf) or ""
    assert.are_not.equal(97, code, "could not mount a tmpfs: " .. err)
    assert.equal(1, code, err)
    assert.matches("cannot journal the send: ", err, 1, true)
    assert.matches("nothing was sent", err, 1, true)
    assert.equal(0, #logged(since))
  end)
end)
