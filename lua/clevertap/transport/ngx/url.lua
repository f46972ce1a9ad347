-- Splits an absolute http(s) URL into what a cosocket request needs. Pure
-- Lua (no ngx), so it is tested outside nginx too.
local M = {}

local DEFAULT_PORT = { http = 80, https = 443 }

-- Returns { scheme, host, port, path, host_header } or nil, message.
function M.parse(url)
  if type(url) ~= "string" then return nil, "URL must be a string" end
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then return nil, "not an absolute URL: " .. url end
  scheme = scheme:lower()
  if not DEFAULT_PORT[scheme] then return nil, "unsupported URL scheme: " .. scheme end
  local authority, path = rest:match("^([^/?#]*)(.*)$")
  path = path:gsub("#.*$", "")
  if path == "" then path = "/" elseif path:sub(1, 1) == "?" then path = "/" .. path end
  if authority:find("@", 1, true) then return nil, "credentials in URLs are not supported" end
  local host, port
  if authority:sub(1, 1) == "[" then
    host, port = authority:match("^%[([%x:.]+)%]:?(%d*)$")
  else
    host, port = authority:match("^([^:]+):?(%d*)$")
  end
  if not host or host == "" then return nil, "no host in URL: " .. url end
  local explicit = port ~= ""
  port = explicit and tonumber(port) or DEFAULT_PORT[scheme]
  if port < 1 or port > 65535 then return nil, "bad port in URL: " .. url end
  local host_header = authority:sub(1, 1) == "[" and ("[" .. host .. "]") or host
  if explicit and port ~= DEFAULT_PORT[scheme] then host_header = host_header .. ":" .. port end
  return { scheme = scheme, host = host, port = port, path = path, host_header = host_header }
end

return M
