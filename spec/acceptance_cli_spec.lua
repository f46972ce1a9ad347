-- Acceptance: the `clevertap` command as SPEC.md and the issue describe it:
-- every command, exit codes scripts can rely on (0 ok, 2 usage, 3 invalid
-- input, 4 API refusal, 5 partial delivery, 7 not completed), --dry-run,
-- --json, credentials from the environment or flags, the passcode never
-- printed, and the examples/ campaign files.
local cli = require "support.cli"
local files = require "support.files"
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local SECRET = "S3CR3T-PASSCODE-7f1c"

local GOOD = [[
local when = require("clevertap").when
return {
  name = "Acceptance push", target_mode = "push", where = {}, devices = { "android", "ios" },
  content = { title = "Hi!", body = "How are you doing today?" },
  when = when.at("20350420 13:00"),
}
]]
local INVALID = [[
return { name = "Broken", target_mode = "push", where = {}, devices = { "android" },
         content = { title = "t" }, when = "20230230 10:00", users_limit_overall = 99 }
]]
local MESSAGE = [[return { content = { title = "Sale", body = "Half price" } }]]
local BULLETIN = [[
return { business_event = "Program Released", name = "Sa Re Ga Ma episode 12",
         properties = { program_id = "234567" }, ["c-by"] = "a@example.com", when = "now" }
]]

local function has_sandbox()
  local url = os.getenv("CLEVERTAP_SANDBOX_URL")
  return url ~= nil and url ~= ""
end

local function json_of(r)
  local ok, doc = pcall(cjson.decode, r.stdout)
  assert(ok, "stdout is not one JSON document:\n" .. r.stdout .. "\nstderr:\n" .. r.stderr)
  return doc
end

describe("acceptance: clevertap command", function()
  local dir
  local function file(name, text) return files.write(dir .. "/" .. name, text) end
  before_each(function() dir = files.temp_dir() end)
  after_each(function() files.remove_dir(dir) end)

  describe("usage", function()
    it("--help lists every command and exits 0", function()
      local r = cli.run({ "--help" })
      assert.equal(0, r.code)
      for _, c in ipairs { "validate", "estimate", "create", "send", "stop", "result", "list", "trigger",
                           "preview" } do
        assert.matches(c, r.stdout, 1, true)
      end
    end)

    it("exits 2 for an unknown command, an unknown option, missing arguments", function()
      assert.equal(2, cli.run({ "frobnicate" }).code)
      assert.equal(2, cli.run({}).code)
      assert.equal(2, cli.run({ "validate", "--no-such-option", file("c.lua", GOOD) }).code)
      assert.equal(2, cli.run({ "validate" }).code)
      assert.equal(2, cli.run({ "stop", "--dry-run" }).code)
      assert.equal(2, cli.run({ "stop", "not-an-id", "--dry-run" }).code)
      assert.equal(2, cli.run({ "send", "fax", file("m.lua", MESSAGE), "--ids", "-", "--dry-run" }).code)
    end)

    it("exits 2 without credentials for a command that calls the API", function()
      local r = cli.run({ "create", file("c.lua", GOOD) })
      assert.equal(2, r.code)
      assert.matches("CLEVERTAP_ACCOUNT_ID", r.stdout .. r.stderr, 1, true)
    end)
  end)

  describe("validate", function()
    it("exits 0 for a valid campaign file", function()
      local r = cli.run({ "validate", file("c.lua", GOOD) })
      assert.equal(0, r.code, r.stdout .. r.stderr)
    end)

    it("exits 3 and prints every problem with its pointer", function()
      local r = cli.run({ "validate", file("bad.lua", INVALID) })
      assert.equal(3, r.code)
      for _, pointer in ipairs { "/when", "/users_limit_overall", "/content/body" } do
        assert.matches(pointer, r.stdout .. r.stderr, 1, true)
      end
    end)

    it("exits 3 for a file that does not load or raises, naming file and line", function()
      local r = cli.run({ "validate", file("syntax.lua", "return { name = \n") })
      assert.equal(3, r.code)
      assert.matches("syntax.lua", r.stdout .. r.stderr, 1, true)
      local raising = file("raise.lua",
        'local when = require("clevertap").when\n\nreturn { when = when.at("bogus") }\n')
      r = cli.run({ "validate", raising })
      assert.equal(3, r.code)
      assert.matches("raise.lua:3:", r.stdout .. r.stderr, 1, true)
      assert.equal(3, cli.run({ "validate", dir .. "/missing.lua" }).code)
    end)

    it("validates a list of campaigns and Bulletins in one run", function()
      local one = file("one.lua", GOOD)
      local list = file("list.lua", string.format("return { dofile(%q), dofile(%q) }", one, one))
      local r = cli.run({ "validate", list, file("b.lua", BULLETIN) })
      assert.equal(0, r.code, r.stdout .. r.stderr)
    end)

    it("checks every example in examples/ without errors", function()
      local argv = { "validate" }
      local p = assert(io.popen("ls " .. cli.quote(cli.root .. "/examples") .. "/*.lua"))
      for line in p:lines() do argv[#argv + 1] = line end
      p:close()
      assert.is_true(#argv >= 6)
      local r = cli.run(argv)
      assert.equal(0, r.code, r.stdout .. r.stderr)
    end)

    it("prints one JSON document with --json", function()
      local r = cli.run({ "validate", "--json", file("bad.lua", INVALID) })
      assert.equal(3, r.code)
      local doc = json_of(r)
      assert.is_false(doc.ok)
      assert.equal(3, doc.exit_code)
      local c = doc.files[1].campaigns[1]
      assert.is_false(c.valid)
      local pointers = {}
      for _, e in ipairs(c.errors) do
        pointers[e.pointer] = true
        assert.equal("error", e.severity)
      end
      assert.is_true(pointers["/when"])
      local good = json_of(cli.run({ "validate", "--json", file("c.lua", GOOD) }))
      assert.is_true(good.ok)
      assert.equal(0, good.exit_code)
    end)
  end)

  describe("preview", function()
    it("shows the body and the send instants without the network", function()
      -- --now 2035-01-01T00:00:00Z
      local r = cli.run({ "preview", file("c.lua", GOOD), "--timezone", "+05:30", "--now", "2051222400" })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches('"name":"Acceptance push"', r.stdout, 1, true)
      assert.matches("2035-04-20T07:30:00Z", r.stdout, 1, true)
      local doc = json_of(cli.run({ "preview", "--json", file("c.lua", GOOD), "--timezone", "Asia/Kolkata" }))
      assert.is_true(doc.ok)
      assert.equal(1, #doc.campaigns[1].occurrences)
    end)
  end)

  describe("--dry-run", function()
    it("prints the exact request with the passcode redacted and sends nothing", function()
      local r = cli.run({ "create", "--dry-run", file("c.lua", GOOD) },
        { env = { CLEVERTAP_ACCOUNT_ID = "ACC-1", CLEVERTAP_PASSCODE = SECRET, CLEVERTAP_REGION = "in1" } })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("POST https://in1.api.clevertap.com/1/targets/create.json", r.stdout, 1, true)
      assert.matches("X-CleverTap-Account-Id: ACC-1", r.stdout, 1, true)
      assert.matches('"name":"Acceptance push"', r.stdout, 1, true)
      assert.is_nil((r.stdout .. r.stderr):find(SECRET, 1, true))
    end)

    it("uses api.clevertap.com for Europe (the default region) and works without credentials", function()
      local r = cli.run({ "stop", "1457432766", "--dry-run" })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("POST https://api.clevertap.com/1/targets/stop.json", r.stdout, 1, true)
      assert.matches('{"id":1457432766}', r.stdout, 1, true)
    end)

    it("takes credentials and region from flags, never printing the passcode", function()
      local r = cli.run({ "list", "--from", "20250101", "--to", "20250131", "--dry-run", "--json",
                          "--account-id", "ACC-2", "--passcode", SECRET, "--region", "sg1" })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.is_nil((r.stdout .. r.stderr):find(SECRET, 1, true))
      local doc = json_of(r)
      assert.is_true(doc.dry_run)
      local req = doc.requests[1]
      assert.equal("POST", req.method)
      assert.equal("https://sg1.api.clevertap.com/1/targets/list.json", req.url)
      assert.same({ from = 20250101, to = 20250131 }, cjson.decode(req.body))
    end)

    it("batches a send from an ids file (1000 per request)", function()
      local path = file("ids.txt", cli.user_ids(2001) .. "\n")
      local doc = json_of(cli.run({ "send", "push", file("m.lua", MESSAGE), "--ids", path, "--dry-run", "--json" }))
      assert.equal(3, #doc.requests)
      local total = 0
      for _, req in ipairs(doc.requests) do
        local body = cjson.decode(req.body)
        assert.is_true(#body.to.Identity <= 1000)
        total = total + #body.to.Identity
        assert.equal("Sale", body.content.title)
      end
      assert.equal(2001, total)
    end)
  end)

  describe("against the API", function()
    local env, state
    before_each(function()
      if not has_sandbox() then return end
      sandbox.reset()
      -- no record of earlier creates: these tests create the same file again
      state = files.temp_dir()
      env = cli.sandbox_env { XDG_STATE_HOME = state }
    end)
    after_each(function() if state then files.remove_dir(state) end end)

    it("create prints the campaign id; estimate the reach; exit 0", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local doc = json_of(cli.run({ "create", "--json", file("c.lua", GOOD) }, { env = env }))
      assert.is_true(doc.ok)
      assert.equal(0, doc.exit_code)
      assert.is_number(doc.campaigns[1].id)
      local text = cli.run({ "create", file("c.lua", GOOD) }, { env = env })
      assert.equal(0, text.code)
      assert.matches("%d%d%d%d%d", text.stdout)
      local est = cli.run({ "estimate", file("c.lua", GOOD) }, { env = env })
      assert.equal(0, est.code, est.stdout .. est.stderr)
    end)

    it("exits 3 and sends nothing for an invalid campaign", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local since = sandbox.last_seq()
      local r = cli.run({ "create", file("bad.lua", INVALID) }, { env = env })
      assert.equal(3, r.code)
      assert.equal(0, #sandbox.requests { since = since })
    end)

    it("exits 4 on an API refusal, without printing the passcode", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local r = cli.run({ "create", file("c.lua", GOOD), "--passcode", SECRET }, { env = env })
      assert.equal(4, r.code)
      assert.is_nil((r.stdout .. r.stderr):find(SECRET, 1, true))
      local j = cli.run({ "stop", "424242", "--json" }, { env = env })
      assert.equal(4, j.code)
      assert.is_false(json_of(j).ok)
    end)

    it("result exits 7 until the campaign completes, then 0; stop exits 0", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local id = json_of(cli.run({ "create", "--json", file("c.lua", GOOD) }, { env = env })).campaigns[1].id
      -- tostring of the decoded id ("1700000001.0" under Lua 5.4) is accepted too
      assert.equal(7, cli.run({ "result", tostring(id) }, { env = env }).code)
      assert.equal(7, cli.run({ "result", string.format("%d", id) }, { env = env }).code)
      sandbox.complete(id)
      assert.equal(0, cli.run({ "result", tostring(id) }, { env = env }).code)
      -- the same file again: --force, or the record answers with the completed one
      local other = json_of(cli.run({ "create", "--json", "--force", file("c.lua", GOOD) }, { env = env }))
        .campaigns[1].id
      assert.are_not.equal(id, other)
      assert.equal(0, cli.run({ "stop", tostring(other) }, { env = env }).code)
    end)

    it("list and trigger exit 0", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      assert.equal(0, cli.run({ "list", "--from", "20250101", "--to", "20250131" }, { env = env }).code)
      local r = cli.run({ "trigger", file("b.lua", BULLETIN) }, { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
    end)

    it("send reads identities from a file or stdin, one per line, typed by flag or prefix", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local path = file("ids.txt", "user-1\nEmail:a@example.com\n\nuser-2\r\n")
      local doc = json_of(cli.run({ "send", "push", file("m.lua", MESSAGE), "--ids", path, "--json" }, { env = env }))
      assert.is_true(doc.ok)
      assert.equal(3, doc.identities)
      assert.equal(3, doc.accepted)
      local piped = cli.run({ "send", "sms", file("s.lua", [[return { content = { body = "Hi" } }]]), "--ids", "-",
                             "--type", "Email" }, { env = env, stdin = "a@example.com\nb@example.com\n" })
      assert.equal(0, piped.code, piped.stdout .. piped.stderr)
    end)

    it("send takes a payload with its own to, as the reference writes it, when --ids is not given", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local path = file("p.lua", [[return { to = { Email = { "a@example.com" }, Identity = { "JohnDoe" } },
        tag_group = "my tag group", respect_frequency_caps = false, content = { body = "Sms body" } }]])
      local doc = json_of(cli.run({ "send", "sms", path, "--json" }, { env = env }))
      assert.is_true(doc.ok)
      assert.equal(2, doc.accepted)
      -- both --ids and a to: which list is meant is unclear
      assert.equal(3, cli.run({ "send", "sms", path, "--ids", file("ids.txt", "x\n") }, { env = env }).code)
    end)

    it("send exits 3 on a bad identities file, sending nothing", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local since = sandbox.last_seq()
      local r = cli.run({ "send", "push", file("m.lua", MESSAGE), "--ids", file("ids.txt", "user-1\nEmail:\n") },
        { env = env })
      assert.equal(3, r.code)
      assert.equal(0, #sandbox.requests { since = since })
    end)

    it("send exits 5 on partial delivery", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      sandbox.faults({ { path = "/1/send/push.json", fault = "drop", count = 1 } })
      local r = cli.run({ "send", "push", file("m.lua", MESSAGE), "--ids", file("ids.txt", cli.user_ids(2500)),
                          "--json" }, { env = env })
      sandbox.clear_faults()
      assert.equal(5, r.code, r.stdout .. r.stderr)
      local doc = json_of(r)
      assert.equal(2500, doc.accepted + doc.failed + doc.unknown)
    end)

    it("runs the examples end to end", function()
      if not has_sandbox() then pending("no sandbox (CLEVERTAP_SANDBOX_URL)") return end
      local ex = cli.root .. "/examples/"
      assert.equal(0, cli.run({ "create", ex .. "price_drop.lua" }, { env = env }).code)
      assert.equal(0, cli.run({ "create", ex .. "weekly_digest.lua" }, { env = env }).code)
      assert.equal(0, cli.run({ "create", ex .. "whatsapp_template.lua" }, { env = env }).code)
      assert.equal(0, cli.run({ "trigger", ex .. "bulletin.lua" }, { env = env }).code)
      local r = cli.run({ "send", "push", ex .. "bulk_send.lua", "--ids", file("ids.txt", cli.user_ids(1500)) },
        { env = env })
      assert.equal(0, r.code, r.stdout .. r.stderr)
    end)
  end)
end)
