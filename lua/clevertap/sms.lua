--- clevertap.sms: any HTTP SMS provider as a Lua table (a template, as in
-- CleverTap's "Other (Generic)" provider), rendered into the exact requests
-- the provider expects and sent through the same request engine as the
-- CleverTap client. See docs/sms.md.
local template = require "clevertap.sms.template"
local render = require "clevertap.sms.render"
local segments = require "clevertap.sms.segments"
local escape = require "clevertap.sms.escape"
local base = require "clevertap.error"
local errors = require "clevertap.sms.errors"

local sms = { MAX_BATCH = template.MAX_BATCH }

local Provider = {}
Provider.__index = Provider
Provider.__tostring = function(p) return "clevertap.sms provider (" .. p.name .. ")" end

--- provider, err = sms.provider(template_table)
function sms.provider(def)
  local c, problems, secrets = template.compile(def)
  if not c then
    for _, p in ipairs(problems) do p.message = errors.redact(p.message, secrets) end
    return nil, base.validation(problems, "invalid SMS provider template")
  end
  return setmetatable({ name = c.name, compiled = c, token = nil }, Provider)
end

-- Renders, raising misuse at `level` (as error() counts from the caller of
-- render_at), returning nil, err for what is wrong in the data.
local function render_at(self, opts, level)
  local ok, reqs, problems = pcall(render.render, self.compiled, opts)
  if not ok then
    local misuse = render.misuse_message(reqs)
    if misuse then error(misuse, level + 1) end
    error(reqs, 0)
  end
  if not reqs then
    for _, p in ipairs(problems) do p.message = errors.redact(p.message, self.compiled.secrets) end
    return nil, base.validation(problems, "cannot render SMS for " .. self.name)
  end
  return reqs
end
Provider._render_at = render_at

--- requests, err = provider:render{ to = {...}, body = ..., ... } (no network)
function Provider:render(opts)
  local reqs, err = render_at(self, opts, 2)
  return reqs, err
end

--- report, err = provider:send{ ... } (render + send; see docs/sms.md)
function Provider:send(opts)
  -- not a tail call: send's misuse levels count this frame
  local report, err = require("clevertap.sms.send").send(self, opts)
  return report, err
end

local function facts_of(body, fname)
  if type(body) ~= "string" then
    error("clevertap.sms." .. fname .. ": body must be a string, got " .. type(body), 3)
  end
  if not escape.valid_utf8(body) then
    return nil, base.problem("/body", "body is not valid UTF-8", "invalid SMS body")
  end
  return segments.facts(body)
end

--- Encoding and segment count of a message body:
-- { encoding = "GSM-7"|"UCS-2", units =, characters =, segments = }.
function sms.facts(body)
  return facts_of(body, "facts")
end

--- segments, encoding, facts = sms.segments(body): how many SMS the body takes.
function sms.segments(body)
  local f, err = facts_of(body, "segments")
  if not f then return nil, err end
  return f.segments, f.encoding, f
end

--- "GSM-7" or "UCS-2": the encoding the body is sent in.
function sms.encoding(body)
  local f, err = facts_of(body, "encoding")
  if not f then return nil, err end
  return f.encoding
end

--- Ready-made templates for real providers: sms.presets.twilio{ ... } etc.
sms.presets = setmetatable({}, {
  __index = function(t, name)
    local ok, preset = pcall(require, "clevertap.sms.presets." .. name)
    if not ok then return nil end
    rawset(t, name, preset)
    return preset
  end,
})

return sms
