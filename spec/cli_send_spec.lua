-- clevertap send: identities streamed from a file or stdin, typed by --type
-- or a prefix, batched by the client; the report, --failed-ids, progress
-- output and exit codes (0, 3, 4, 5), checked against what the sandbox got.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local MESSAGE = [[return { tag_group = "spec", content = { title = "Sale", body = "Half price" } }]]

-- Every identity that arrived in send requests since `since`, by type.
local function arrived(since, channel)
  local by_type, requests = {}, 0
  for _, r in ipairs(sandbox.requests{ path = "/1/send/" .. (channel or "push") .. ".json", since = since }) do
    requests = requests + 1
    local body = cjson.decode(r.body)
    for ty, list in pairs(body.to) do
      by_type[ty] = by_type[ty] or {}
      for _, v in ipairs(list) do by_type[ty][#by_type[ty] + 1] = v end
    end
  end
  return by_type, requests
end

local function lines(path)
  local out = {}
  for l in io.lines(path) do out[#out + 1] = l end
  return out
end

describe("clevertap send", function()
  local dir, env, msg
  before_each(function()
    sandbox.reset()
    dir = files.temp_dir()
    env = cli.sandbox_env()
    msg = files.write(dir .. "/msg.lua", MESSAGE)
  end)
  after_each(function() files.remove_dir(dir) end)

  it("sends to every identity of a file, typed by prefix or --type, in batches of 1000", function()
    local ids = {}
    for i = 1, 2500 do
      if i % 5 == 0 then ids[#ids + 1] = "Identity:user-" .. i
      elseif i % 7 == 0 then ids[#ids + 1] = "objectId:obj-" .. i
      else ids[#ids + 1] = "u" .. i .. "@example.com" end
    end
    local path = files.write(dir .. "/ids.txt", table.concat(ids, "\n") .. "\n")
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path, "--type", "Email" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("2,500 identities sent on push: 2,500 accepted, 0 failed, 0 unknown, 3 requests", r.stdout, 1, true)
    local got, requests = arrived(since)
    assert.equal(3, requests)
    local n_identity, n_object, n_email = 0, 0, 0
    for i = 1, 2500 do
      if i % 5 == 0 then n_identity = n_identity + 1
      elseif i % 7 == 0 then n_object = n_object + 1
      else n_email = n_email + 1 end
    end
    assert.equal(n_identity, #got.Identity)
    assert.equal(n_object, #got.objectId)
    assert.equal(n_email, #got.Email)
    local seen = {}
    for _, v in ipairs(got.Email) do seen[v] = true end
    assert.is_true(seen["u1@example.com"] and seen["u2498@example.com"])
    -- the message itself arrived unchanged with every batch
    local first = sandbox.requests{ path = "/1/send/push.json", since = since }[1]
    local body = cjson.decode(first.body)
    assert.equal("spec", body.tag_group)
    assert.same({ title = "Sale", body = "Half price" }, body.content)
  end)

  it("reads identities from stdin with --ids -, skipping blank lines and CRs", function()
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "sms", msg, "--ids", "-", "--json" },
                      { env = env, stdin = "alice\r\n\r\n  bob  \nEmail:carol@example.com\n\n" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.is_true(doc.ok)
    assert.equal("sms", doc.channel)
    assert.equal(3, doc.identities)
    assert.equal(3, doc.accepted)
    assert.equal(0, doc.failed)
    assert.equal(0, doc.unknown)
    assert.equal(1, doc.requests)
    assert.matches('"problems":[]', r.stdout, 1, true)
    local got = arrived(since, "sms")
    assert.same({ "alice", "bob" }, got.Identity)
    assert.same({ "carol@example.com" }, got.Email)
  end)

  it("checks a whole file before sending: a bad line is exit 3 and nothing is sent", function()
    local path = files.write(dir .. "/ids.txt", "a\nb\nEmail:\nc\n")
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path }, { env = env })
    assert.equal(3, r.code)
    assert.matches(path .. ":3: empty Email identity; nothing was sent", r.stderr, 1, true)
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("checks stdin before sending too: a bad line is exit 3 and nothing is sent", function()
    local input = {}
    for i = 1, 1500 do input[#input + 1] = "user-" .. i end
    input[#input + 1] = "GPID:"
    for i = 1, 10 do input[#input + 1] = "late-" .. i end
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", "-", "--json" },
                      { env = env, stdin = table.concat(input, "\n") .. "\n" })
    assert.equal(3, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.equal("invalid", doc.error.kind)
    assert.matches("stdin:1501: empty GPID identity; nothing was sent", doc.error.message, 1, true)
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("refuses an empty identities file, a message with 'to' and an invalid message (exit 3, nothing sent)", function()
    local since = sandbox.last_seq()
    local empty = files.write(dir .. "/empty.txt", "\n\n")
    local r = cli.run({ "send", "push", msg, "--ids", empty }, { env = env })
    assert.equal(3, r.code)
    assert.matches("no identities; nothing was sent", r.stderr, 1, true)
    local ids = files.write(dir .. "/ids.txt", "a\n")
    local with_to = files.write(dir .. "/to.lua",
      [[return { to = { Identity = { "x" } }, content = { title = "a", body = "b" } }]])
    local t = cli.run({ "send", "push", with_to, "--ids", ids }, { env = env })
    assert.equal(3, t.code)
    assert.matches("/to: remove 'to' from the message file", t.stderr, 1, true)
    local bad = files.write(dir .. "/bad.lua", [[return { content = { title = "no body for email" } }]])
    local b = cli.run({ "send", "email", bad, "--ids", ids }, { env = env })
    assert.equal(3, b.code)
    assert.matches("/content/subject", b.stdout, 1, true)
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("exits 5 on partial delivery and writes the rest to --failed-ids", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(2500))
    -- One request's connection is dropped after the server read it: its
    -- identities have an unknown outcome and must not be re-sent.
    sandbox.faults({ { path = "/1/send/push.json", fault = "drop", count = 1 } })
    local rest = dir .. "/rest.txt"
    local r = cli.run({ "send", "push", msg, "--ids", path, "--json", "--failed-ids", rest }, { env = env })
    assert.equal(5, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.is_false(doc.ok)
    assert.equal(5, doc.exit_code)
    assert.equal(2500, doc.identities)
    assert.equal(0, doc.failed)
    assert.is_true(doc.unknown == 1000 or doc.unknown == 500, tostring(doc.unknown))
    assert.equal(2500, doc.accepted + doc.unknown)
    assert.equal("unknown", doc.problems[1].outcome)
    assert.equal(doc.unknown, doc.problems[1].identities)
    local written = lines(rest)
    assert.equal(doc.unknown, #written)
    assert.equal(doc.unknown, doc.failed_ids_written)
    for _, l in ipairs(written) do assert.matches("^Identity:user%-%d+$", l) end
  end)

  it("re-sends a batch whose outcome is unknown only with --resend-unknown", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(2500))
    sandbox.faults({ { path = "/1/send/push.json", fault = "drop", count = 1 } })
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path, "--json", "--resend-unknown" }, { env = env })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local doc = cjson.decode(r.stdout)
    assert.equal(2500, doc.accepted)
    assert.equal(0, doc.unknown)
    assert.equal(4, doc.requests)
    assert.equal(4, #sandbox.requests{ path = "/1/send/push.json", since = since })
  end)

  it("draws a bar by itself when stderr is a terminal", function()
    local has_script = os.execute("command -v script >/dev/null 2>&1")
    if not (has_script == true or has_script == 0) then
      return pending("util-linux script(1) is needed to run the command on a terminal")
    end
    local path = files.write(dir .. "/ids.txt", cli.user_ids(3000))
    local inner = cli.command({ "send", "push", msg, "--ids", path }, env)
    local p = io.popen("script -qec " .. cli.quote(inner) .. " /dev/null")
    local out = p:read("*a")
    p:close()
    assert.matches("\r[##############################] 100% 3,000/3,000 accepted  ", out, 1, true)
    assert.is_nil(out:find("progress: ", 1, true))
    assert.matches("3,000 identities sent on push: 3,000 accepted", out, 1, true)
  end)

  it("exits 1 before sending when --failed-ids cannot be written", function()
    local path = files.write(dir .. "/ids.txt", "a\n")
    local since = sandbox.last_seq()
    local r = cli.run({ "send", "push", msg, "--ids", path, "--failed-ids", dir .. "/no/such/dir/rest.txt" },
                      { env = env })
    assert.equal(1, r.code, r.stdout .. r.stderr)
    assert.matches("cannot write --failed-ids file: ", r.stderr, 1, true)
    assert.matches("nothing was sent", r.stderr, 1, true)
    assert.equal(0, #sandbox.requests{ since = since })
  end)

  it("refuses a --failed-ids naming the journal, its files, the message, --report or a directory, before sending",
    function()
    local path = files.write(dir .. "/ids.txt", "a\n")
    local since = sandbox.last_seq()
    os.execute("mkdir -p " .. cli.quote(dir .. "/adir"))
    local journal = dir .. "/j.db"
    for _, case in ipairs {
      { dir .. "/./j.db", "the journal's database file" },
      { journal .. ".ids", "the journal's .ids file" },
      { journal .. ".json", "the journal's .json file" },
      { msg, "the message file" },
      { dir .. "/r.json", "the --report file" },
      { dir .. "/adir", "is a directory" },
    } do
      local r = cli.run({ "send", "push", msg, "--ids", path, "--journal", journal, "--report", dir .. "/r.json",
        "--failed-ids", case[1] }, { env = env })
      assert.equal(1, r.code, r.stdout .. r.stderr)
      assert.matches(case[2], r.stderr, 1, true)
      assert.matches("nothing was sent", r.stderr, 1, true)
      assert.is_nil(io.open(journal, "r"), "a journal was created")
    end
    assert.equal(0, #sandbox.requests { since = since })
    assert.matches("return", files.read(msg), 1, true)
  end)

  it("exits 4 when the API refuses every batch, and never prints the passcode", function()
    local path = files.write(dir .. "/ids.txt", "a\nb\nc\n")
    local r = cli.run({ "send", "push", msg, "--ids", path },
                      { env = cli.sandbox_env{ CLEVERTAP_PASSCODE = "NOT-THE-PASSCODE" } })
    assert.equal(4, r.code, r.stdout .. r.stderr)
    assert.matches("0 accepted, 3 failed, 0 unknown", r.stdout, 1, true)
    assert.matches("failed 3: ", r.stdout, 1, true)
    assert.matches("nothing was accepted", r.stderr, 1, true)
    assert.is_nil((r.stdout .. r.stderr):find("NOT-THE-PASSCODE", 1, true))
  end)

  it("prints progress lines when stderr is not a terminal, a bar with --progress, none with --no-progress", function()
    local path = files.write(dir .. "/ids.txt", cli.user_ids(3000))
    local quiet = cli.run({ "send", "push", msg, "--ids", path }, { env = env })
    assert.equal(0, quiet.code, quiet.stderr)
    assert.matches("progress: 3,000 of 3,000 identities accepted (100%), 3 requests, ", quiet.stderr, 1, true)
    assert.is_nil(quiet.stderr:find("\r", 1, true))
    local bar = cli.run({ "send", "push", msg, "--ids", path, "--progress" }, { env = env })
    assert.equal(0, bar.code)
    assert.matches("\r[##############################] 100% 3,000/3,000 accepted", bar.stderr, 1, true)
    local none = cli.run({ "send", "push", msg, "--ids", path, "--no-progress" }, { env = env })
    assert.equal(0, none.code)
    assert.equal("", none.stderr)
  end)
end)
