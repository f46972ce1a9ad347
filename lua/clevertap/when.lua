--- clevertap.when: build the `when` value of targets/create, and preview the
-- send instants a schedule produces. See docs/when.md.
local build = require "clevertap.when.build"
local fail = require "clevertap.when.fail"

local when = {}

--- "now"; with options ({dnd=, campaign_cutoff=, ...}) the {type="now"} object.
when.now = fail.public("now", function(t) return build.now(t) end)

--- One date and time: "YYYYMMDD HH:MM" (a "later" object when options are given).
when.at = fail.public("at", function(v, t) return build.at(v, t) end)

--- {type="later", delivery_date_time={...}} from a list of times plus options.
-- when.later(times, options) is the same as when.later{times..., options...}.
when.later = fail.public("later", function(t, o) return build.later(t, nil, o) end)

--- {type="recurring", ...}: repeat_type "day" or "week".
when.recurring = fail.public("recurring", function(t) return build.recurring(t) end)

--- Recurring by day, every N days (every defaults to 1).
when.daily = fail.public("daily", function(t) return build.recurring(t, nil, "day") end)

--- Recurring by week on the given days, every N weeks (every defaults to 1).
when.weekly = fail.public("weekly", function(t) return build.recurring(t, nil, "week") end)

--- The `dnd` member: {message_state, dnd_timezone, dnd_info}.
when.dnd = fail.public("dnd", function(t) return build.dnd(t) end)

--- Check any `when` value (hand-written API form included) and return it in
-- the builders' exact form; raises like the builders.
when.normalize = fail.public("normalize", build.normalize)

--- The send instants a schedule produces: occurrences, or nil, err (a
-- clevertap.error of kind "validation", like every module's).
function when.preview(w, opts)
  local preview = require "clevertap.when.preview"
  local misuse = preview.misuse(w, opts)
  if misuse then error("clevertap.when.preview: " .. misuse, 2) end
  local occ, why = preview.run(w, opts)
  if occ then return occ end
  local errors = require "clevertap.error"
  return nil, errors.new { kind = "validation", message = why,
    errors = errors.problems { { pointer = "", message = why } } }
end

--- A plain-text table of a preview's occurrences, one line each.
function when.format(occurrences)
  return require("clevertap.when.preview").format(occurrences)
end

return when
