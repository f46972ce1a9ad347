--- Writes answers, and the output faults that damage them: a dropped
-- connection, a truncated or non-JSON body, a slow trickle, a huge body.
local json = require "ctsandbox.json"

local M = {}

function M.fail(status, message, code, headers)
  local body = { status = "fail", error = message }
  if code then body.code = code end
  return status, body, headers
end

-- Closes the connection without an answer (nginx's 444).
local function drop()
  return ngx.exit(444)
end

local function encode(body)
  if type(body) == "string" then return body end
  return json.encode(body)
end

local HUGE_DEFAULT = 100 * 1024 * 1024
local HUGE_PIECE = 64 * 1024

-- A success answer padded to `bytes` bytes (default 100 MiB), made and sent
-- piece by piece so the sandbox itself never holds it; chunked (no
-- Content-Length) with `chunked=true`. Stops when the client goes away.
local function huge(status, fault)
  local head = '{"status":"success","message":"Added to queue for processing","pad":"'
  local tail = '"}'
  local total = math.max(fault.bytes or HUGE_DEFAULT, #head + #tail)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  if not (fault.chunked == true or fault.chunked == "true") then ngx.header["Content-Length"] = total end
  ngx.print(head)
  local left = total - #head - #tail
  local piece = string.rep("x", HUGE_PIECE)
  while left > 0 do
    local n = math.min(left, HUGE_PIECE)
    ngx.print(n == HUGE_PIECE and piece or piece:sub(1, n))
    if not ngx.flush(true) then return ngx.exit(444) end
    left = left - n
  end
  ngx.print(tail)
  return ngx.exit(status)
end

--- Sends status/body/headers, damaged as `fault` says (may be nil).
function M.send(status, body, headers, fault)
  local kind = fault and fault.kind
  if kind == "drop" then return drop() end
  if kind == "huge" and status == 200 then return huge(status, fault) end
  local text = encode(body)
  ngx.status = status
  if headers then
    for k, v in pairs(headers) do ngx.header[k] = v end
  end
  if kind == "non-json" then
    ngx.status = fault.status or status
    ngx.header["Content-Type"] = "text/html"
    text = fault.body or "<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"
    ngx.header["Content-Length"] = #text
    ngx.print(text)
    return ngx.exit(ngx.status)
  end
  if not ngx.header["Content-Type"] then ngx.header["Content-Type"] = "application/json" end
  if kind == "truncated" then
    -- Promise the whole body (plus `extra` bytes), send part of it, close.
    local keep = fault.bytes or math.floor(#text / 2)
    ngx.header["Content-Length"] = #text + (fault.extra or 0)
    ngx.print(text:sub(1, keep))
    ngx.flush(true)
    return ngx.exit(444)
  end
  ngx.header["Content-Length"] = #text
  if kind == "trickle" then
    local step = math.max(1, fault.bytes or 8)
    local pause = (fault.ms or 50) / 1000
    ngx.send_headers()
    ngx.flush(true)
    for i = 1, #text, step do
      ngx.sleep(pause)
      ngx.print(text:sub(i, i + step - 1))
      local ok = ngx.flush(true)
      if not ok then return ngx.exit(444) end
    end
    return ngx.exit(status)
  end
  ngx.print(text)
  return ngx.exit(status)
end

return M
