--- Shared helpers of the client specs: a client pointed at the sandbox with
-- fast retries, identity lists, and what the sandbox received.
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local U = {}

--- A client for the sandbox; `opts` override the defaults.
function U.client(opts)
  local clevertap = require "clevertap"
  local o = {
    account_id = sandbox.account_id, passcode = sandbox.passcode,
    retry = { base_delay = 0.01, max_delay = 0.05 },
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  if not o.base_url then o.base_url = sandbox.url() end
  return assert(clevertap.new(o))
end

function U.ids(n, prefix)
  local t = {}
  for i = 1, n do t[i] = (prefix or "user-") .. i end
  return t
end

U.content = { title = "Hello", body = "World" }

--- Requests the sandbox logged for a path, bodies decoded.
function U.logged(path, since)
  local reqs = sandbox.requests { path = path, since = since }
  for _, r in ipairs(reqs) do
    r.json = r.body and r.body ~= "" and cjson.decode(r.body) or nil
  end
  return reqs
end

--- identity -> times seen, over the logged send requests (and their count).
function U.identities_sent(path, since)
  local seen, n = {}, 0
  for _, r in ipairs(U.logged(path or "/1/send/push.json", since)) do
    n = n + 1
    for ty, list in pairs(r.json and r.json.to or {}) do
      for _, id in ipairs(list) do
        local k = ty .. ":" .. id
        seen[k] = (seen[k] or 0) + 1
      end
    end
  end
  return seen, n
end

--- Every identity of `to` appears exactly once across accepted/failed/unknown/not_sent.
function U.accounted(to, report)
  local total = 0
  for _, list in pairs(to) do total = total + #list end
  local counted = report.accepted
  local where = {}
  for _, which in ipairs { "failed", "unknown", "not_sent" } do
    for _, e in ipairs(report[which] or {}) do
      for ty, list in pairs(e.to) do
        for _, id in ipairs(list) do
          local k = ty .. ":" .. id
          assert(not where[k], "identity " .. k .. " appears twice in the report")
          where[k] = which
          counted = counted + 1
        end
      end
    end
  end
  return counted == total, total, counted, where
end

return U
