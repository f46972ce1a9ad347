-- send: batching of any number of identities, validation before sending,
-- iterators, and the report's accounting.
local sandbox = require "support.sandbox"
local U = require "support.client_util"

describe("client:send batching", function()
  local client
  before_each(function()
    sandbox.reset()
    client = U.client()
  end)
  after_each(function() client:close() end)

  local function send_n(counts)
    local to = {}
    for ty, n in pairs(counts) do to[ty] = U.ids(n, ty .. "-") end
    local report, err = client:send("push", { to = to, content = U.content })
    return report, err, to
  end

  for _, case in ipairs {
    { { Identity = 1 }, 1 },
    { { Identity = 999 }, 1 },
    { { Identity = 1000 }, 1 },
    { { Identity = 1001 }, 2 },
    { { Identity = 2500 }, 3 },
    { { Identity = 700, Email = 700, FBID = 400, GPID = 300, objectId = 400 }, 3 },
  } do
    local counts, want_requests = case[1], case[2]
    local total = 0
    for _, n in pairs(counts) do total = total + n end
    it(("sends %d identities in %d request(s) of at most 1000, each exactly once"):format(total, want_requests),
      function()
        local report, err, to = send_n(counts)
        assert.is_nil(err)
        assert.is_true(report.ok)
        assert.equal(total, report.accepted)
        assert.equal(want_requests, report.requests)
        assert.same({}, report.failed)
        assert.same({}, report.unknown)
        local seen, nreq = U.identities_sent()
        assert.equal(want_requests, nreq)
        for _, r in ipairs(U.logged("/1/send/push.json")) do
          local n = 0
          for _, list in pairs(r.json.to) do n = n + #list end
          assert.is_true(n <= 1000 and n > 0)
          -- the shared content is in every batch
          assert.same(U.content, r.json.content)
        end
        for ty, list in pairs(to) do
          for _, id in ipairs(list) do assert.equal(1, seen[ty .. ":" .. id]) end
        end
      end)
  end

  it("refuses 0 identities without sending anything", function()
    local report, err = client:send("push", { to = { Identity = {} }, content = U.content })
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.equal("/to", err.errors[1].pointer)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("reports every bad identity with its JSON pointer and sends nothing", function()
    local ids = U.ids(10)
    ids[6] = ""
    ids[8] = 42
    local report, err = client:send("push", { to = { Identity = ids, Email = { "a@b.c", "\255bad" } },
      content = U.content })
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.is_false(err.retryable)
    local pointers = {}
    for _, p in ipairs(err.errors) do pointers[#pointers + 1] = p.pointer end
    table.sort(pointers)
    assert.same({ "/to/Email/1", "/to/Identity/5", "/to/Identity/7" }, pointers)
    assert.matches("to.Email[1]: identity must be valid UTF-8", tostring(err), 1, true)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("refuses unknown identity types and a missing to", function()
    local _, err = client:send("push", { to = { Phone = { "1" } }, content = U.content })
    assert.equal("validation", err.kind)
    assert.equal("/to/Phone", err.errors[1].pointer)
    local _, err2 = client:send("push", { content = U.content })
    assert.equal("/to", err2.errors[1].pointer)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("raises on an unknown channel (misuse)", function()
    assert.has_error(function() client:send("fax", { to = { Identity = { "a" } } }) end)
  end)

  it("takes identities from iterators without holding them", function()
    local n = 0
    local function iter()
      n = n + 1
      if n <= 2345 then return "it-" .. n end
    end
    local report, err = client:send("push", { to = { Identity = iter, Email = { "x@y.z" } }, content = U.content })
    assert.is_nil(err)
    assert.equal(2346, report.accepted)
    assert.equal(3, report.requests)
    local seen = U.identities_sent()
    assert.equal(1, seen["Identity:it-2345"])
    assert.equal(1, seen["Email:x@y.z"])
  end)

  it("reports a bad identity from an iterator in failed and sends the rest", function()
    local list = { "a", "", "c" }
    local i = 0
    local report = assert(client:send("push", {
      to = { Identity = function() i = i + 1; return list[i] end }, content = U.content }))
    assert.equal(2, report.accepted)
    assert.is_false(report.ok)
    assert.equal(1, #report.failed)
    assert.equal("validation", report.failed[1].error.kind)
    assert.equal("/to/Identity/1", report.failed[1].error.pointer)
    assert.same({ Identity = { "" } }, report.failed[1].to)
  end)

  it("stops at an iterator error and returns it with the partial report", function()
    local i = 0
    local report, err = client:send("push", { to = { Identity = function()
      i = i + 1
      if i > 1500 then error("disk on fire") end
      return "u" .. i
    end }, content = U.content })
    assert.is_nil(report)
    assert.matches("disk on fire", err.message)
    -- identities pulled before the error are sent; the rest never were
    assert.equal(1500, err.report.accepted)
  end)

  it("an iterator error on the first identity of a batch keeps the batches before it", function()
    local i = 0
    local report, err = client:send("push", { to = { Identity = function()
      i = i + 1
      if i == 2001 then error("cursor closed") end
      return "r" .. i
    end }, content = U.content })
    assert.is_nil(report)
    assert.matches("identity iterator for Identity raised: .*cursor closed", err.message)
    assert.equal(2000, err.report.accepted)
    assert.equal(2001, i)
  end)

  it("an iterator raising with error(msg, 2) gets its message without the library's loop's position", function()
    local i = 0
    local report, err = client:send("push", { to = { Identity = function()
      i = i + 1
      if i == 3 then error("no more rows", 2) end
      return "q" .. i
    end }, content = U.content })
    assert.is_nil(report)
    assert.equal("no more rows", err.cause)
    assert.matches("identity iterator for Identity raised: no more rows", err.message, 1, true)
    assert.is_nil(err.message:find("clevertap identity iterator:", 1, true), err.message)
    assert.equal(2, err.report.accepted)
  end)

  for _, how in ipairs { "cancel", "hold" } do
    it("a " .. how .. " from inside an iterator reads no other type's identities after it", function()
      local job
      local later = 0
      job = client:start_send("push", { content = U.content, to = {
        Email = function() job[how](job) end, -- then ends: nothing more is read
        Identity = function()
          later = later + 1
          return "late" .. later
        end,
      } })
      for _ = 1, 5 do client:poll(0.01) end
      if how == "hold" then job:cancel() end
      local report = job:result()
      assert.equal(0, later)
      assert.is_true(report.cancelled)
      assert.equal(0, report.accepted)
    end)
  end

  it("a payload reused for the next send with another iterator: each send reads its own", function()
    local function count_to(prefix, n)
      local i = 0
      return function()
        i = i + 1
        if i <= n then return prefix .. i end
      end
    end
    local payload = { to = { Identity = count_to("first", 1500) }, content = U.content }
    local a = client:start_send("push", payload)
    payload.to.Identity = count_to("second", 1200)
    local b = client:start_send("push", payload)
    assert.equal(1500, assert(a:wait(10)).accepted)
    assert.equal(1200, assert(b:wait(10)).accepted)
  end)

  it("an iterator that yields nothing is a validation error", function()
    local report, err = client:send("push", { to = { Identity = function() return nil end }, content = U.content })
    assert.is_nil(report)
    assert.equal("validation", err.kind)
    assert.equal(0, #U.logged("/1/send/push.json"))
  end)

  it("sends on every channel", function()
    for _, ch in ipairs { "webpush", "email", "sms" } do
      local payload = { to = { Email = { "a@b.c" } }, content = { title = "t", body = "b", subject = "s",
        sender_name = "n" } }
      if ch == "sms" then payload.content = { body = "b" } end
      if ch == "email" then payload.content = { subject = "s", body = "b", sender_name = "n" } end
      local report, err = client:send(ch, payload)
      assert.is_nil(err, ch .. ": " .. tostring(err))
      assert.equal(1, report.accepted)
      assert.equal(1, #U.logged("/1/send/" .. ch .. ".json"))
    end
  end)
end)

describe("client:send validation", function()
  it("reports payload and identity problems together, sending nothing", function()
    sandbox.reset()
    local client = U.client()
    local _, err = client:send("push", { to = { Identity = { "ok", "" } }, content = { title = 5 } })
    client:close()
    assert.equal("validation", err.kind)
    local pointers = {}
    for _, p in ipairs(err.errors) do pointers[p.pointer] = true end
    assert.is_true(pointers["/to/Identity/1"])
    assert.is_true(pointers["/content/title"])
    assert.matches("and " .. (#err.errors - 1) .. " more", err.message)
    assert.equal(0, #U.logged("/1/send/push.json"))
    assert.is_nil(tostring(err):find("\n"))
  end)
end)
