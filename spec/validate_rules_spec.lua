-- Validation rules shared by every endpoint (several problems at once, opts.now,
-- unknown keys, pointers), and the small endpoints: targets/stop, targets/result,
-- targets/list, targets/trigger. Rule ids: docs/schema-coverage.md.
local clevertap = require "clevertap"
local fx = require "fixtures.util"
local rules = require "fixtures.rules"
local R = fx.REMOVE

local long_key = string.rep("k", 121)

local CASES = {
  -- targets/stop, targets/result
  { "ID-REQ: stop needs the campaign id", base = "stop", edits = { { "/id", R } }, err = "/id", says = { "missing" } },
  { "ID-TYPE: stop id is an integer, not a string", base = "stop", edits = { { "/id", "1457432766" } },
    err = "/id", says = { "integer", '"1457432766"' } },
  { "ID-TYPE: stop id is a whole number", base = "stop", edits = { { "/id", 14.5 } }, err = "/id",
    field = "campaign id" },
  { "ID-MIN: stop id is positive", base = "stop", edits = { { "/id", 0 } }, err = "/id" },
  { "ID-REQ: result needs the campaign id", base = "result", edits = { { "/id", R } }, err = "/id" },
  { "ID-TYPE: result id is an integer", base = "result", edits = { { "/id", true } }, err = "/id",
    field = "campaign id" },
  { "UNKNOWN: an unknown member is a warning with a suggestion", base = "result",
    edits = { { "/ids", 1 } }, warn = "/ids", says = { "did you mean", '"id"' } },

  -- targets/list
  { "LIST-REQ: list needs from", base = "list", edits = { { "/from", R } }, err = "/from" },
  { "LIST-REQ: list needs to", base = "list", edits = { { "/to", R } }, err = "/to" },
  { "LIST-DATE: from is a YYYYMMDD integer, not a string", base = "list", edits = { { "/from", "20250101" } },
    err = "/from" },
  { "LIST-DATE: to must be a day that exists", base = "list", edits = { { "/to", 20250230 } }, err = "/to",
    field = "YYYYMMDD", says = { "20250230" } },
  { "LIST-ORDER: to is not before from", base = "list", edits = { { "/to", 20241231 } }, err = "/to",
    says = { "from", "20241231" } },

  -- targets/trigger (Bulletins)
  { "BUL-REQ: business_event, name, c-by, properties and when are required", base = "trigger",
    edits = { { "/business_event", R }, { "/name", R }, { "/c-by", R }, { "/properties", R }, { "/when", R } },
    err = { "/business_event", "/name", "/c-by", "/properties", "/when" }, says = { "missing" } },
  { "BUL-STR: property values are strings only", base = "trigger", edits = { { "/properties/program_id", 234567 } },
    err = "/properties/program_id", says = { "234567" } },
  { "BUL-KEY: property keys are at most 120 characters", base = "trigger",
    edits = { { "/properties/" .. long_key, "x" } },
    err = "/properties/" .. long_key, says = { "key" } },
  { "BUL-VAL: property values are at most 512 bytes", base = "trigger",
    edits = { { "/properties/language", string.rep("\195\169", 257) } },
    err = "/properties/language", says = { "bytes" } },
  { "BUL-VAL: 512 bytes exactly is fine", base = "trigger",
    edits = { { "/properties/language", string.rep("x", 512) } } },
  { "BUL-WHEN: when is \"now\" or a UNIX timestamp", base = "trigger", edits = { { "/when", "tomorrow" } },
    err = "/when", says = { '"tomorrow"' } },
  { "BUL-WHEN: a UNIX timestamp is accepted", base = "trigger", edits = { { "/when", 1724123456 } } },
  { "BUL-WHEN: a UNIX timestamp may be a string (the table types when as string)", base = "trigger",
    edits = { { "/when", "1724123456" } } },
  { "BUL-WHEN: a string timestamp has digits only", base = "trigger", edits = { { "/when", "17241234x6" } },
    err = "/when", says = { "UNIX timestamp", "\"now\"" } },
  { "BUL-WHEN: a negative timestamp is refused", base = "trigger", edits = { { "/when", -5 } }, err = "/when",
    field = "timestamp" },
  { "BUL-PROPS: properties is an object", base = "trigger", edits = { { "/properties", "program_id=1" } },
    err = "/properties" },
  { "POINTER: keys with / and ~ are escaped in pointers", base = "trigger",
    edits = { { "/properties/a~1b~0c", 5 } }, err = "/properties/a~1b~0c" },
  { "BUL-DOC: the reference's \"Business Event Not Found\" sample lacks the required members", base = "trigger",
    edits = { { "/business_event", R }, { "/name", R }, { "/c-by", R }, { "/event", "order_failed" },
              { "/when", 1724123456 }, { "/properties", { order_id = "12345" } } },
    err = { "/business_event", "/name", "/c-by" }, warn = "/event" },
  { "BUL-DOC: the reference's \"when has an incorrect value - null\" sample is refused for its missing when",
    base = "trigger",
    edits = { { "/business_event", R }, { "/name", R }, { "/c-by", R }, { "/when", R }, { "/event", "order_placed" },
              { "/properties", { order_id = "12345" } } },
    err = { "/business_event", "/name", "/c-by", "/when" }, warn = "/event" },
}

describe("validation rules: targets/stop, result, list, trigger", function()
  rules.run(CASES, it, assert)
end)

describe("validation, across endpoints", function()
  it("reports several problems of one payload together", function()
    local p = rules.build{ base = "push" }
    fx.set(p, "/name", R)
    fx.set(p, "/users_limit_overall", 5)
    fx.set(p, "/when/dnd/dnd_info/2/0", "25:00")
    fx.set(p, "/content/title", R)
    fx.set(p, "/devices/1", "blackberry")
    local ok, problems = clevertap.validate("targets/create", p, { now = rules.NOW })
    assert.is_nil(ok)
    for _, ptr in ipairs{ "/name", "/users_limit_overall", "/when/dnd/dnd_info/2/0", "/content/title", "/devices/1" } do
      assert.truthy(rules.find(problems, ptr, "error"), ptr .. " missing in:\n" .. rules.describe_all(problems))
    end
    local text = tostring(problems)
    for _, field in ipairs{ "users_limit_overall", "25:00", "blackberry" } do
      assert.truthy(text:find(field, 1, true), text)
    end
  end)

  it("uses opts.now for the \"in the future\" checks", function()
    local p = rules.build{ base = "push" }
    fx.set(p, "/when", { type = "later", delivery_date_time = { "20300420 13:00" } })
    assert.is_true((clevertap.validate("targets/create", p, { now = fx.utc(2030, 4, 1) })))
    local ok, problems = clevertap.validate("targets/create", p, { now = fx.utc(2030, 5, 1) })
    assert.is_nil(ok)
    assert.truthy(rules.find(problems, "/when/delivery_date_time/0", "error"), rules.describe_all(problems))
  end)

  it("defaults opts.now to the current time", function()
    local p = rules.build{ base = "push" }
    fx.set(p, "/when", "20200420 13:00")
    local ok, problems = clevertap.validate("targets/create", p)
    assert.is_nil(ok)
    assert.truthy(rules.find(problems, "/when", "error"), rules.describe_all(problems))
    local y = tonumber(os.date("!%Y")) + 1
    fx.set(p, "/when", y .. "0420 13:00")
    assert.is_true((clevertap.validate("targets/create", p)))
  end)

  it("has a case for every rule of docs/schema-coverage.md, and a row for every case", function()
    local f = assert(io.open("docs/schema-coverage.md", "rb"))
    local doc = f:read("*a")
    f:close()
    local specs = {}
    local files = { "validate_rules_spec.lua", "validate_rules_create_spec.lua", "validate_rules_send_spec.lua" }
    for _, name in ipairs(files) do
      local sf = assert(io.open("spec/" .. name, "rb"))
      specs[#specs + 1] = sf:read("*a")
      sf:close()
    end
    local spec_text = table.concat(specs, "\n")
    local documented = {}
    for cell in doc:gmatch("\n| ([A-Z][A-Z0-9, -]-) |") do
      for id in cell:gmatch("[A-Z][A-Z0-9-]*") do
        documented[id] = true
        assert.truthy(spec_text:find('"' .. id .. ":", 1, true), "no spec case for " .. id)
      end
    end
    assert.is_true(next(documented) ~= nil)
    for id in spec_text:gmatch('{ "([A-Z][A-Z0-9-]*): ') do
      assert.is_true(documented[id] == true, id .. " is not in docs/schema-coverage.md")
    end
  end)

  it("refuses an unknown endpoint as misuse", function()
    assert.has_error(function() clevertap.validate("targets/delete", {}) end)
    assert.has_error(function() clevertap.validate("send/fax", {}) end)
  end)
end)
