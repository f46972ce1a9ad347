-- The identities reader behind `clevertap send --ids`: line syntax, typed
-- prefixes, checking before sending, and streaming (memory does not grow
-- with the file).
local ids = require "clevertap.cli.ids"
local files = require "support.files"

local function drain(source)
  local out = {}
  local to = ids.to(source)
  for _, ty in ipairs(ids.TYPES) do
    if to[ty] then
      for v in to[ty] do out[#out + 1] = ty .. ":" .. v end
    end
  end
  return out
end

describe("clevertap send identities", function()
  it("parses bare lines with the default type and Type:value lines with theirs", function()
    assert.same({ "Identity", "user-1" }, { ids.parse_line("user-1", "Identity") })
    assert.same({ "Email", "a@b.c" }, { ids.parse_line("a@b.c", "Email") })
    assert.same({ "Email", "a@b.c" }, { ids.parse_line("Email:a@b.c", "Identity") })
    assert.same({ "objectId", "_x-1" }, { ids.parse_line("  objectId: _x-1 \r", "Identity") })
    assert.same({ "FBID", "1020" }, { ids.parse_line("FBID:1020", "Identity") })
    assert.same({ "GPID", "19" }, { ids.parse_line("GPID:19", "Identity") })
    -- only the five type names are prefixes; anything else is a value
    assert.same({ "Identity", "Phone:+15551234" }, { ids.parse_line("Phone:+15551234", "Identity") })
    assert.same({ "Identity", "email:x@y" }, { ids.parse_line("email:x@y", "Identity") })
    assert.same({ "Identity", "Email:x@y" }, { ids.parse_line("Identity:Email:x@y", "Email") })
    assert.is_nil(ids.parse_line("   \r", "Identity"))
    assert.same({ false, "empty Email identity" }, { ids.parse_line("Email:  ", "Identity") })
  end)

  it("checks and counts a file, then yields every identity once per type", function()
    local path = files.temp_file("a\nEmail:x@y\n\nb\r\nFBID:1\nobjectId:o\n")
    local source = assert(ids.scan(path, "Identity"))
    assert.equal(5, source.total)
    assert.same({ Identity = 2, Email = 1, FBID = 1, objectId = 1 }, source.counts)
    assert.same({ "FBID:1", "Email:x@y", "Identity:a", "Identity:b", "objectId:o" }, drain(source))
    assert.equal(5, source.read)
    ids.close(source)
    assert.is_not_nil(io.open(path, "r"), "a user's file is never removed")
    os.remove(path)
  end)

  it("names the file and line of the first bad line", function()
    local path = files.temp_file("a\nb\nGPID:\n")
    local source, err = ids.scan(path, "Identity")
    assert.is_nil(source)
    assert.equal(path .. ":3: empty GPID identity", err)
    os.remove(path)
    local missing, merr = ids.scan("/nonexistent/ids.txt", "Identity")
    assert.is_nil(missing)
    assert.matches("cannot read identities: /nonexistent/ids.txt", merr, 1, true)
  end)

  it("streams: memory stays flat however many lines the file has", function()
    local n = 300000
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    for i = 1, n do f:write("user-", i, "-", string.rep("x", 20), "\n") end
    f:close()
    collectgarbage()
    local base = collectgarbage("count")
    local source = assert(ids.scan(path, "Identity"))
    local next_id = ids.to(source).Identity
    local count, peak = 0, 0
    for _ in next_id do
      count = count + 1
      if count % 50000 == 0 then
        collectgarbage()
        peak = math.max(peak, collectgarbage("count") - base)
      end
    end
    os.remove(path)
    local copy = source.path
    ids.close(source)
    assert.is_nil(io.open(copy, "r"), "the temporary copy is removed")
    assert.equal(n, count)
    -- 300,000 identities held at once would take well over 10 MB.
    assert.is_true(peak < 512, string.format("live memory grew by %.0f KB", peak))
  end)
end)
