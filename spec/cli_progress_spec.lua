-- Progress of `clevertap send`: the redrawn line on a terminal (a pty via
-- script(1)), lines every 10% or 10 s otherwise, -v (every retry through the
-- client's logger, passcode never shown) and -q (only the summary).
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local progress = require "clevertap.cli.progress"

local MESSAGE = [[return { tag_group = "spec", content = { title = "Sale", body = "Half price" } }]]

local function on_terminal(argv, env)
  local inner = cli.command(argv, env)
  local p = io.popen("script -qec " .. cli.quote(inner) .. " /dev/null")
  local out = p:read("*a")
  p:close()
  return out
end

describe("clevertap send progress", function()
  local dir, env, msg
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    env = cli.sandbox_env()
    msg = files.write(dir .. "/msg.lua", MESSAGE)
  end)
  after_each(function()
    sandbox.clear_faults()
    files.remove_dir(dir)
  end)

  it("redraws accepted/total, rates, retries, 429s and the ETA on a terminal", function()
    sandbox.faults({ { path = "/1/send/push.json", fault = "429", count = 2 } }, 1)
    local path = files.write(dir .. "/ids.txt", cli.user_ids(20000))
    local out = on_terminal({ "send", "push", msg, "--ids", path }, env)
    assert.matches("\r[##############################] 100% 20,000/20,000 accepted  ", out, 1, true)
    assert.matches("%d+%.%d req/s  [%d,]+ ids/s  2 retries  2 x 429  ETA done", out)
    -- an earlier draw, before the end, carries an estimate
    assert.matches("accepted  %d+%.%d req/s  [%d,]+ ids/s  %d+ retr[a-z]+  %d x 429  ETA [%d?]", out)
    assert.is_nil(out:find("progress: ", 1, true))
    assert.matches("20,000 identities sent on push: 20,000 accepted", out, 1, true)
  end)

  it("prints a line every 10% when stderr is not a terminal", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(10000))
    local r = cli.run({ "send", "push", msg, "--ids", path }, { env = env })
    assert.equal(0, r.code, r.stderr)
    local pcts = {}
    for pct in r.stderr:gmatch("progress: [%d,]+ of 10,000 identities accepted %((%d+)%%%)") do
      pcts[#pcts + 1] = tonumber(pct)
    end
    assert.is_true(#pcts >= 2 and #pcts <= 11, r.stderr)
    -- one line per 10% step reached, never two in the same step
    for i = 2, #pcts do
      assert.is_true(math.floor(pcts[i] / 10) > math.floor(pcts[i - 1] / 10), r.stderr)
    end
    assert.equal(100, pcts[#pcts])
    assert.matches("10 requests, [%d.]+ requests/s, [%d,]+ identities/s, 0 retries, 0 rate%-limited, "
      .. "done in 0:%d%d\n$", r.stderr)
    assert.is_nil(r.stderr:find("\r", 1, true))
  end)

  it("prints a line every 10 seconds when the 10% steps are slow", function()
    local t = 0
    local buf = {}
    local stream = { write = function(_, ...) for _, s in ipairs({ ... }) do buf[#buf + 1] = s end end,
                     flush = function() end }
    local p = progress.new(stream, "lines", 1000000, function() return t end)
    p.update(1000, 1000, 1)        -- 0.1%: no 10% step yet
    assert.equal(0, #buf)
    t = 10
    p.event("POST http://x/1/send/push.json: HTTP 429: too many requests; retry 1 of 4 in 200 ms")
    assert.equal(1, #buf)
    assert.matches("1,000 of 1,000,000 identities accepted (0%), 1 request, 0.1 requests/s, 100 identities/s, "
      .. "1 retry, 1 rate-limited, ETA 2:46:30", buf[1], 1, true)
    t = 15
    p.update(2000, 2000, 2)
    assert.equal(1, #buf)
    t = 20.5
    p.update(3000, 3000, 3)
    assert.equal(2, #buf)
  end)

  it("prints every retry with -v, without the passcode", function()
    sandbox.faults({ { path = "/1/send/push.json", fault = "429", count = 2 } }, 1)
    local path = files.write(dir .. "/ids.txt", cli.user_ids(1500))
    local r = cli.run({ "send", "push", msg, "--ids", path, "-v", "--no-progress" }, { env = env })
    assert.equal(0, r.code, r.stderr)
    local n = 0
    local retry_line = "clevertap: warn: POST [^\n]*/1/send/push%.json: HTTP 429[^\n]*; retry %d of %d in %d+ ms\n"
    for _ in r.stderr:gmatch(retry_line) do
      n = n + 1
    end
    assert.equal(2, n, r.stderr)
    assert.is_nil(r.stderr:find(env.CLEVERTAP_PASSCODE, 1, true))
  end)

  it("prints only the summary with -q", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(3000) .. "\nuser-1\n")
    local r = cli.run({ "send", "push", msg, "--ids", path, "-q" }, { env = env })
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    assert.matches("3,000 identities sent on push: 3,000 accepted", r.stdout, 1, true)
    local bad = cli.run({ "send", "push", msg, "--ids", path, "-q", "-v" }, { env = env })
    assert.equal(2, bad.code)
    assert.matches("-v and -q contradict each other", bad.stderr, 1, true)
  end)
end)
