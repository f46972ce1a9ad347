-- One error vocabulary and one options checker across the library: every
-- `nil, err` is a clevertap.error, problem lists print one way, validation
-- headlines name the first error, misuse raises at the caller's line with
-- the same "unknown option" wording everywhere.
local sandbox = require "support.sandbox"
local U = require "support.client_util"
local errors = require "clevertap.error"
local clevertap = require "clevertap"

local THIS = "errors_options_spec%.lua:"

-- The message a call raises, with the line it raised at.
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected a raise")
  return tostring(err)
end

describe("options: one checker, one wording", function()
  it("clevertap.new raises every misuse of its options at the caller's line", function()
    local cases = {
      { { timeout = -1 }, "option 'timeout' must be > 0" },
      { { send_rate = true }, "rates are a number" },
      { { fail_mode = "open" }, 'option "fail_mode" must be "closed" or "local"' },
      { { retry = { attempts = 0 } }, "retry.attempts must be >= 1" },
      { { retry = { base_delay = -1 } }, "retry.base_delay must be a number >= 0" },
      { { retry = { tries = 1 } }, 'clevertap.new retry: unknown option "tries"' },
      { { transport = "bogus" }, 'transport must be "curl", a function or a table' },
      { { transport = { request = 1 } }, "transport: a function, a table with a request method" },
      { 5, "options must be a table" },
    }
    for _, case in ipairs(cases) do
      local line = debug.getinfo(1, "l").currentline + 1
      local ok, err = pcall(function() local c = clevertap.new(case[1]); return c end)
      assert.is_false(ok)
      assert.matches("^.-" .. THIS .. line .. ": ", tostring(err))
      assert.matches(case[2], tostring(err), 1, true)
    end
  end)

  it("suggests the close name and raises at the caller's line", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() clevertap.new { account_id = "a", passcode = "p", regoin = "in1" } end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': clevertap.new: unknown option "regoin" %(did you mean "region"%?%)', err)
    assert.matches('clevertap.new: option "timeout" must be a number, got string',
      raised(clevertap.new, { account_id = "a", passcode = "p", timeout = "10" }), 1, true)
    assert.matches(
      'clevertap.new retry: unknown option "tries" (known: attempts, base_delay, max_delay, max_total, quota)',
      raised(clevertap.new, { account_id = "a", passcode = "p", retry = { tries = 3 } }), 1, true)
  end)

  it("words the runner's, render's and when's options the same way", function()
    local http = require "clevertap.http"
    assert.matches('clevertap.http.new: unknown option "concurency" (did you mean "concurrency"?)',
      raised(http.new, { concurency = 2 }), 1, true)
    local p = assert(clevertap.sms.provider { url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' })
    assert.matches('render: unknown option "bodyy" (did you mean "body"?)',
      raised(p.render, p, { to = { "+1" }, bodyy = "x" }), 1, true)
    assert.matches('render: to[1]: unknown option "bdy" (did you mean "body"?)',
      raised(p.render, p, { to = { { to = "+1", bdy = "x" } } }), 1, true)
    assert.matches('unknown option "cuttoff" (did you mean "cutoff"?)',
      raised(clevertap.when.later, { "20350420 13:00", cuttoff = 1 }), 1, true)
  end)

  it("raises a render misuse found deep in the recipients at the caller's line", function()
    local p = assert(clevertap.sms.provider { url = "https://x.test/", json = '[{"to":"$$To","b":"$$Body"}]',
      batch = { array = true } })
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() p:render { to = { "+1", { to = "+2", bogus = 1 } }, body = "b" } end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ": render: to%[2%]: unknown option", err)
    line = debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() p:send { to = { "+1" }, body = "b", dry_run = "yes" } end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': send: option "dry_run" must be a boolean, got string', err)
    line = debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() p:send { to = { "+1" }, bodyy = "b", dry_run = true } end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': render: unknown option "bodyy"', err)
  end)

  it("raises a misuse of runner:run and runner:start at the caller's line", function()
    local runner = require("clevertap.http").new {
      transport = function() return { status = 200, headers = {}, body = "" } end,
    }
    for _, method in ipairs { "run", "start" } do
      local line = debug.getinfo(1, "l").currentline + 1
      local ok, err = pcall(function() runner[method](runner, {}, { clasify = function() end }) end)
      assert.is_false(ok)
      assert.matches(THIS .. line .. ': clevertap.http run: unknown option "clasify" %(did you mean "classify"%?%)',
        err)
    end
    runner:close()
  end)
end)

describe("errors: one vocabulary", function()
  local client
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    client = U.client { create_rate = false }
  end)
  after_each(function() client:close() end)

  it("heads a validation error with the first error, never a warning", function()
    -- content.titel is a warning (unknown member); the missing title the error
    local _, err = client:send("push", { to = { Identity = { "u1" } }, content = { titel = "x", body = "b" } })
    assert.equal("validation", err.kind)
    assert.equal("warning", err.errors[1].severity)
    assert.falsy(err.message:find("titel", 1, true), err.message)
    assert.truthy(err.message:find("title", 1, true), err.message)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("prints every problem list one way: the client's, SMS's, when's", function()
    local _, cerr = client:create_campaign { name = "x" }
    local p = assert(clevertap.sms.provider { url = "https://x.test/", json = '{"to":"$$To","b":"$$Body"}' })
    local _, serr = p:render { to = { "+1", { body = "x" } }, body = "b" }
    local _, werr = clevertap.when.preview("tomorrow")
    local _, perr = clevertap.sms.provider { url = "ftp://x" }
    for _, e in ipairs { cerr, serr, werr, perr } do
      assert.is_true(errors.is(e))
      assert.equal("validation", e.kind)
      local text = tostring(e.errors)
      for line in text:gmatch("[^\n]+") do
        assert.truthy(line:match("^error   %S") or line:match("^warning %S"), line)
      end
      assert.truthy(tostring(e):find(e.errors[1].message, 1, true))
    end
  end)

  it("keeps the value an identity iterator raised as err.cause", function()
    local boom = setmetatable({ code = 7 }, { __tostring = function() return "boom" end })
    local _, err = client:send("push", { to = { Identity = function() error(boom) end }, content = U.content })
    assert.is_true(errors.is(err))
    assert.equal(boom, err.cause)
    local _, err2 = client:send("push", { to = { Identity = function() error({ plain = true }) end },
      content = U.content })
    assert.is_true(err2.cause.plain)
    assert.truthy(err2.message:find("err.cause", 1, true))
    -- a value whose __tostring raises: still the cause, that error its text
    local odd = setmetatable({}, { __tostring = function() error("no text for this", 0) end })
    local _, err3 = client:send("push", { to = { Identity = function() error(odd) end }, content = U.content })
    assert.equal(odd, err3.cause)
    assert.matches("identity iterator for Identity raised: no text for this", err3.message)
  end)

  it("keeps what a runner's classify or request iterator raised as err.cause", function()
    local http = require "clevertap.http"
    sandbox.provider("okco", { auth = "none" })
    local url = sandbox.root() .. "/provider/okco/send"
    local runner = http.new { retry = { attempts = 1 } }
    local boom = { why = "classify" }
    local report = assert(runner:run({ { url = url, body = "{}", items = { "a" } } },
      { classify = function() error(boom) end }))
    assert.equal(1, #report.failed)
    assert.equal(boom, report.failed[1].error.cause)
    local sent = false
    local _, err = runner:run(function()
      if sent then error({ why = "source" }) end
      sent = true
      return { url = url, body = "{}", items = { "b" } }
    end)
    runner:close()
    assert.is_true(errors.is(err))
    assert.equal("source", err.cause.why)
    assert.truthy(err.message:find("err.cause", 1, true), err.message)
  end)

  it("says each fact of an API error once", function()
    local _, err = client:stop(987654321)
    assert.equal("api", err.kind)
    assert.equal(400, err.status)
    local line = tostring(err)
    assert.truthy(line:find("Campaign not found", 1, true), line)
    local _, n = line:gsub("400", "")
    assert.equal(2, n, line) -- the code once, the status once
  end)
end)

describe("client misuse", function()
  local client
  before_each(function()
    sandbox.reset()
    sandbox.configure { create_rate_per_sec = 0 }
    client = U.client { create_rate = false }
  end)
  after_each(function() client:close() end)

  it("raises an unknown channel at the caller's line, for send and start_send", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() client:send("pushh", { to = { Identity = { "u" } }, content = U.content }) end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': send: unknown channel "pushh" %(did you mean "push"%?%)', err)
    line = debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() client:start_send("emial", {}) end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': send: unknown channel "emial"', err)
    line = debug.getinfo(1, "l").currentline + 1
    ok, err = pcall(function() client:start("stopp", 1) end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ': start: unknown call "stopp" %(did you mean "stop"%?%)', err)
  end)

  it("raises on a missing payload like clevertap.validate does", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() client:send("push") end)
    assert.is_false(ok)
    assert.matches(THIS .. line .. ": bad argument #2 to 'send' %(payload must be a table, got nil%)", err)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("accepts a campaign id given as a decimal string for stop and result", function()
    local created = assert(client:create_campaign { name = "Spec", when = "now", devices = { "android" },
      where = { event_name = "App Launched", from = 20240101, to = 20240131 }, content = U.content })
    local id = string.format("%d", created.id)
    local _, err = client:result(id)
    assert.equal("not_completed", err.kind)
    assert.equal("success", assert(client:stop(id)).status)
    local logged = U.logged("/1/targets/stop.json")
    assert.equal(1, #logged)
    assert.equal('{"id":' .. id .. "}", logged[1].body)
    -- anything else is still checked: no request for a bad id
    local _, bad = client:stop("12ab")
    assert.equal("validation", bad.kind)
    assert.equal(1, #U.logged("/1/targets/stop.json"))
  end)
end)
