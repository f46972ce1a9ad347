--- Renders N recipients into batched JSON requests (the reference's `msgs`
-- template plus the message text and a message id, 1000 records per
-- request) with clevertap.sms, and with what a Lua user would write without
-- it: string.gsub of the placeholders over the template text, each value
-- escaped with cjson.encode. Same recipients, same run, interleaved rounds;
-- the best round of each is compared.
local cjson = require "cjson"
local sms = require "clevertap.sms"

local N = tonumber(arg[1]) or 1000000
local ROUNDS = tonumber(arg[2]) or 3
local SIZE = 1000

local JSON = '{"hid":"$$hid","tid":"$$TemplateID","cid":"$$CampaignID","type":"template",'
  .. '"msgs":[{"seq":1,"to":"$$To","uid":"$$uid","variables":"$$TemplateVariables",'
  .. '"body":"$$Body","mid":"$$MessageID","enc":"utf8"}]}'

local recipients = {}
for i = 1, N do
  recipients[i] = { to = string.format("+9198%08d", i), values = { uid = "user-" .. i } }
end
local campaign = { body = "Your order #42 has shipped: \"fast\" delivery", template_id = "T-1001",
  template_variables = { order = "42", eta = "today" },
  campaign_id = 1700000000, values = { hid = "H-9" }, message_id_prefix = "m" }

local provider = assert(sms.provider{ url = "https://sms.example.test/v1/send", json = JSON,
  batch = { key = "msgs", size = SIZE } })

local function with_library()
  local opts = {}
  for k, v in pairs(campaign) do opts[k] = v end
  opts.to = recipients
  local reqs = assert(provider:render(opts))
  local bytes = 0
  for _, r in ipairs(reqs) do bytes = bytes + #r.body end
  return #reqs, bytes
end

local function baseline()
  local head, record, tail = JSON:match('^(.-"msgs":%[)(.-)(%]}%s*)$')
  local esc = cjson.encode
  local global = {
    ['"$$hid"'] = esc(campaign.values.hid), ['"$$TemplateID"'] = esc(campaign.template_id),
    ['"$$CampaignID"'] = esc(campaign.campaign_id),
  }
  local head_r = head:gsub('"%$%$[%w_]+"', global)
  local body_json, vars_json = esc(campaign.body), esc(campaign.template_variables)
  local n, bytes = 0, 0
  for i = 1, N, SIZE do
    local last = math.min(i + SIZE - 1, N)
    local recs = {}
    for k = i, last do
      local r = recipients[k]
      local vals = {
        ['"$$To"'] = esc(r.to), ['"$$uid"'] = esc(r.values.uid), ['"$$Body"'] = body_json,
        ['"$$TemplateVariables"'] = vars_json, ['"$$MessageID"'] = esc(campaign.message_id_prefix .. "-" .. k),
      }
      recs[#recs + 1] = record:gsub('"%$%$[%w_]+"', vals)
    end
    local body = head_r .. table.concat(recs, ",") .. tail
    n = n + 1
    bytes = bytes + #body
  end
  return n, bytes
end

local function timed(f)
  collectgarbage()
  collectgarbage()
  local t0 = os.clock()
  local n, bytes = f()
  return os.clock() - t0, n, bytes
end

local best_lib, best_base = math.huge, math.huge
local nreq, bytes_lib, bytes_base
for _ = 1, ROUNDS do
  local t
  t, nreq, bytes_lib = timed(with_library)
  if t < best_lib then best_lib = t end
  local tb
  tb, _, bytes_base = timed(baseline)
  if tb < best_base then best_base = tb end
  if os.getenv("VERBOSE") then print(string.format("round: %.3f s vs %.3f s", t, tb)) end
end

print(string.format("%s, %s fast path", _VERSION .. (jit and (" " .. jit.version) or ""),
  require("clevertap.sms.fast").available and "C" or "no"))
print(string.format("clevertap.sms render: %d messages in %d requests, %.3f s (%.0f msg/s), %d bytes",
  N, nreq, best_lib, N / best_lib, bytes_lib))
print(string.format("baseline (gsub + cjson.encode): %.3f s (%.0f msg/s), %d bytes",
  best_base, N / best_base, bytes_base))
print(string.format("ratio: %.2fx (goal >= 5x)", best_base / best_lib))
