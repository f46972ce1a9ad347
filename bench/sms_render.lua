--- Renders N recipients into batched JSON requests (the reference's `msgs`
-- template, 1000 records per request) with clevertap.sms, and with what a
-- Lua user would write without it: string.gsub of the placeholders over the
-- template text, each value escaped with cjson.encode. Same recipients, same
-- run; prints both rates and the ratio.
local cjson = require "cjson"
local sms = require "clevertap.sms"

local N = tonumber(arg[1]) or 1000000
local SIZE = 1000

-- The reference's batching example (api-reference/generic-sms.txt), plus
-- the message text and a message id per record.
local JSON = [[{"hid":"$$hid","tid":"$$TemplateID","cid":"$$CampaignID","type":"template",
"msgs":[{"seq":1,"to":"$$To","uid":"$$uid","variables":"$$TemplateVariables","body":"$$Body","mid":"$$MessageID","enc":"utf8"}]}]]

local recipients = {}
for i = 1, N do
  recipients[i] = { to = string.format("+9198%08d", i), values = { uid = "user-" .. i } }
end
local campaign = { body = "Your order #42 has shipped: \"fast\" delivery", template_id = "T-1001",
  template_variables = { order = "42", eta = "today" },
  campaign_id = 1700000000, values = { hid = "H-9" }, message_id_prefix = "m" }

local function clock() return os.clock() end

-- clevertap.sms
local provider = assert(sms.provider{ url = "https://sms.example.test/v1/send", json = JSON,
  batch = { key = "msgs", size = SIZE } })
collectgarbage()
local t0 = clock()
local opts = {}
for k, v in pairs(campaign) do opts[k] = v end
opts.to = recipients
local reqs = assert(provider:render(opts))
local t_lib = clock() - t0
local bytes_lib = 0
for _, r in ipairs(reqs) do bytes_lib = bytes_lib + #r.body end
reqs = nil -- luacheck: ignore

-- Baseline: gsub over the template text.
collectgarbage()
t0 = clock()
local head, record, tail = JSON:match('^(.-"msgs":%[)(.-)(%]}%s*)$')
local function esc(v) return cjson.encode(v) end
local global = {
  ['"$$hid"'] = esc(campaign.values.hid), ['"$$TemplateID"'] = esc(campaign.template_id),
  ['"$$CampaignID"'] = esc(campaign.campaign_id), ['"$$Body"'] = esc(campaign.body),
}
local vars_json = esc(campaign.template_variables)
local head_r = head:gsub('"%$%$[%w_]+"', global)
local body_json = esc(campaign.body)
local bodies, bytes_base = 0, 0
for i = 1, N, SIZE do
  local last = math.min(i + SIZE - 1, N)
  local recs = {}
  for k = i, last do
    local r = recipients[k]
    local vals = {
      ['"$$To"'] = esc(r.to), ['"$$uid"'] = esc(r.values.uid), ['"$$Body"'] = body_json,
      ['"$$TemplateVariables"'] = vars_json,
      ['"$$MessageID"'] = esc(campaign.message_id_prefix .. "-" .. k),
    }
    recs[#recs + 1] = record:gsub('"%$%$[%w_]+"', vals)
  end
  local body = head_r .. table.concat(recs, ",") .. tail
  bodies = bodies + 1
  bytes_base = bytes_base + #body
end
local t_base = clock() - t0

print(string.format("sms render: %d messages in %d requests, %.3f s (%.0f msg/s), %d bytes",
  N, math.ceil(N / SIZE), t_lib, N / t_lib, bytes_lib))
print(string.format("baseline (gsub + cjson.encode): %.3f s (%.0f msg/s), %d bytes", t_base, N / t_base, bytes_base))
print(string.format("ratio: %.2fx", t_base / t_lib))
