--- What a provider's answer means, per template: HTTP status and, for
-- providers that answer 200 to failures, Lua patterns over the body (like
-- Kannel's status-success/permfail/tempfail regexes).
--
--   body matches response.permfail          -> failed for good
--   body matches response.tempfail          -> retried (the provider did not take it)
--   status in response.status (default 2xx) -> ok if response.success is absent or matches,
--                                              else failed
--   429, 503                                -> retried (Retry-After honoured)
--   500, 502, 504                           -> unknown: the provider may have sent it;
--                                              never re-sent silently (a send is not idempotent)
--   anything else                           -> failed
local errors = require "clevertap.sms.errors"

local M = {}

local function snippet(body, secrets)
  if not body or body == "" then return "" end
  local s = body:sub(1, 200):gsub("%c", " ")
  return ": " .. errors.redact(s, secrets)
end

--- classify(c, res) -> "ok"|"fail"|"retry"|"unknown", err_or_retry, provider_message_id
function M.classify(c, res)
  local r = c.response
  local st, body = res.status, res.body or ""
  local name = c.name
  if r.permfail and body:find(r.permfail) then
    return "fail", errors.new("api", name .. " refused the message (body matches response.permfail)"
      .. snippet(body, c.secrets), { status = st })
  end
  if r.tempfail and body:find(r.tempfail) then
    return "retry", nil
  end
  local good
  if r.status then good = r.status[st] else good = st >= 200 and st < 300 end
  if good then
    if r.success and not body:find(r.success) then
      return "fail", errors.new("api", name .. " answered HTTP " .. st .. " without the success mark "
        .. "(response.success)" .. snippet(body, c.secrets), { status = st })
    end
    local id
    if r.message_id then id = body:match(r.message_id) end
    return "ok", nil, id
  end
  if st == 429 or st == 503 then
    local after = res.headers and tonumber(res.headers["retry-after"])
    return "retry", { after = after }
  end
  if st == 500 or st == 502 or st == 504 then
    return "unknown", errors.new("http", name .. " answered HTTP " .. st .. ": the message may have been sent"
      .. snippet(body, c.secrets), { status = st })
  end
  return "fail", errors.new("http", name .. " answered HTTP " .. st
    .. snippet(body, c.secrets), { status = st })
end

return M
