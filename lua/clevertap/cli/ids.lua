--- Identities for `clevertap send --ids`: plain lines, CSV, TSV or JSON
-- lines, checked, de-duplicated and streamed to the client.
--
-- scan() reads the user's file once, checks every record (the run stops
-- before sending on a bad one, unless skip_invalid) and writes each
-- identity as a `Type:value` line to a temporary file. Duplicates are then
-- removed by sort(1) (`LC_ALL=C sort -u -S 16M`): an external merge sort
-- whose buffer is bounded, so a 10-million-line file costs this process a
-- line at a time and sort at most its buffer plus temporary files on disk,
-- where a Lua table of 10 million strings would take about a gigabyte. The
-- price is that identities are sent in byte order, not file order.
--
-- The client takes one iterator per identity type and drains them in a
-- fixed order; to() reads the temporary file once per type present.
local core = require "clevertap.core"
local escape = require "clevertap.sms.escape"
local tempfiles = require "clevertap.cli.tempfiles"
local signals = require "clevertap.cli.signals"

local M = {}
local find = string.find

M.TYPES = core.identity_types -- the engine's, in the order batches list them
local known, by_lower = {}, {}
for _, t in ipairs(M.TYPES) do known[t] = true; by_lower[t:lower()] = t end

function M.is_type(t) return known[t] == true end

M.FORMATS = { lines = true, csv = true, tsv = true, jsonl = true }

-- Buffer of sort(1): the bound on its memory whatever the file's size.
M.SORT_BUFFER = "16M"

-- Most lines have nothing to trim: check the two ends before matching.
local function trim(s)
  local b, e = s:byte(1), s:byte(-1)
  if b and b > 32 and e > 32 then return s end
  return s:match("^%s*(.*%S)") or ""
end

--- Why `value` cannot be an identity of type `ty`, or nil when it can.
-- The validator only asks for non-empty UTF-8; these are the shapes the
-- API's identifiers have, so a column mix-up fails here, not at the API.
function M.invalid(ty, value)
  if value == "" then return "empty " .. ty .. " identity" end
  if find(value, "[^ -~]") then  -- anything but printable ASCII (one range: the fast test)
    if find(value, "%c") then return ty .. " identity with a control character" end
    if not escape.valid_utf8(value) then return ty .. " identity that is not valid UTF-8" end
  end
  if ty == "Email" then
    if not value:match("^[^%s@]+@[^%s@]+$") then return "'" .. value .. "' is not an email address" end
  elseif ty == "FBID" or ty == "GPID" then
    if not value:match("^%d+$") then return ty .. " '" .. value .. "' is not a number" end
  elseif ty == "objectId" then
    if value:find("%s") then return "objectId '" .. value .. "' contains a space" end
  end
  return nil
end

--- Parse one plain line. Returns type, value; nil for a blank line or a
-- comment; or false, message for a line that cannot be an identity.
function M.parse_line(line, default_type)
  line = trim(line)  -- a trailing CR is white space too
  if line == "" or line:byte(1) == 35 then return nil end  -- 35: "#"
  local ty, value = line:match("^(%a+):(.*)$")
  if ty and known[ty] then
    value = trim(value)
    if value == "" then return false, "empty " .. ty .. " identity" end
    return ty, value
  end
  return default_type, line
end

--- The fields of one CSV/TSV record (RFC 4180 quoting: "a ""b""", a
-- separator or line break inside quotes). `more` returns the next physical
-- line for a quoted field that spans lines. Returns fields or nil, message.
function M.split(line, sep, more)
  local fields, i, n = {}, 1, #line
  while true do
    if line:sub(i, i) == '"' then
      local buf = {}
      i = i + 1
      while true do
        local q = line:find('"', i, true)
        if not q then
          local nextline = more and more()
          if not nextline then return nil, "unterminated quoted field" end
          buf[#buf + 1] = line:sub(i) .. "\n"
          line, i, n = nextline, 1, #nextline
        elseif line:sub(q + 1, q + 1) == '"' then
          buf[#buf + 1] = line:sub(i, q)
          i = q + 2
        else
          buf[#buf + 1] = line:sub(i, q - 1)
          i = q + 1
          break
        end
      end
      fields[#fields + 1] = table.concat(buf)
      local c = line:sub(i, i)
      if c == sep then i = i + 1
      elseif i > n then return fields
      else return nil, "text after a closing quote" end
    else
      local s = line:find(sep, i, true)
      if not s then
        fields[#fields + 1] = line:sub(i)
        return fields
      end
      fields[#fields + 1] = line:sub(i, s - 1)
      i = s + 1
    end
  end
end

local HEADER_WORDS = { id = true, ids = true, identity = true, identities = true, email = true, emails = true,
  user = true, users = true, user_id = true, userid = true, value = true, type = true, fbid = true, gpid = true,
  objectid = true }

local function format_of(path, first)
  local ext = path:lower():match("%.(%w+)$")
  if ext == "csv" then return "csv" end
  if ext == "tsv" or ext == "tab" then return "tsv" end
  if ext == "jsonl" or ext == "ndjson" then return "jsonl" end
  if first then
    if first:match("^%s*{") then return "jsonl" end
    if first:find("\t", 1, true) then return "tsv" end
    if first:find(",", 1, true) then return "csv" end
  end
  return "lines"
end

-- A column given as a name or a 1-based number.
local function column_spec(s)
  if s == nil then return nil end
  local n = s:match("^%d+$") and tonumber(s)
  return { index = n, name = not n and s or nil }
end

local function to_type(s)
  return by_lower[trim(tostring(s)):lower()]
end

-- Phase 1: the input and the temporary copy the identities go to (as
-- `Type:value` lines). Returns the scan's state, or nil, message.
local function open_input(path, opts)
  local f, err
  local name = path
  if path == "-" then
    f, name = io.stdin, "stdin"
  else
    f, err = io.open(path, "r")
    if not f then return nil, "cannot read identities: " .. tostring(err) end
  end
  local copy_path = tempfiles.new()
  local copy, cerr = io.open(copy_path, "w")
  if not copy then
    if f ~= io.stdin then f:close() end
    return nil, "cannot create a temporary file: " .. tostring(cerr)
  end
  return { f = f, name = name, opts = opts, default_type = opts.type or "Identity",
    copy = copy, copy_path = copy_path, n = 0, counts = {}, total = 0, invalid = 0, samples = {},
    column = column_spec(opts.column), type_column = column_spec(opts.type_column) }
end

-- Phase 2: the next line (BOM and CR removed, counted), or nil at the end.
-- One line read ahead by the format sniffing is handed out first.
local function next_line(st)
  local line
  if st.pending then line, st.pending = st.pending, nil else line = st.f:read("*l") end
  if line == nil then return nil end
  st.n = st.n + 1
  if st.n == 1 and line:sub(1, 3) == "\239\187\191" then line = line:sub(4) end  -- UTF-8 BOM
  if line:byte(-1) == 13 then line = line:sub(1, -2) end                             -- CRLF
  return line
end

-- Phase 3: the format, from the name, else the first line that carries data
-- (replayed: blank and comment lines are skipped by every format anyway).
local function sniff_format(st, path)
  local first
  while true do
    local line = next_line(st)
    if line == nil then break end
    local t = trim(line)
    if t ~= "" and t:sub(1, 1) ~= "#" then first = line; break end
  end
  if first then st.pending = first; st.n = st.n - 1 end
  return format_of(path == "-" and "" or path, first)
end

-- A bad record: the scan's problem, or with skip_invalid one more skipped.
local function bad(st, line_no, message)
  local where = string.format("%s:%d: %s", st.name, line_no, message)
  if not st.opts.skip_invalid then st.problem = where; return false end
  st.invalid = st.invalid + 1
  if #st.samples < 10 then st.samples[#st.samples + 1] = where end
  return true
end

local function accept(st, line_no, ty, value)
  local why = M.invalid(ty, value)
  if why then return bad(st, line_no, why) end
  st.counts[ty] = (st.counts[ty] or 0) + 1
  st.total = st.total + 1
  st.copy:write(ty, ":", value, "\n")
  return true
end

-- Phase 4, per format: one record (a line with data) into accept or bad.
local function line_record(st, _, t, line_no)
  local ty, value = M.parse_line(t, st.default_type)
  if ty == false then bad(st, line_no, value)
  elseif ty then accept(st, line_no, ty, value) end
end

local function json_record(st, line, _, line_no)
  local opts, default_type = st.opts, st.default_type
  local ok, obj = pcall(require("cjson").decode, line)
  if not ok or type(obj) ~= "table" then return bad(st, line_no, "not a JSON object") end
  local key = opts.column or (obj[default_type] == nil and default_type:lower()) or default_type
  local v = obj[key]
  local ty = default_type
  if opts.type_column then
    ty = to_type(obj[opts.type_column] or "")
    if not ty then return bad(st, line_no, "'" .. opts.type_column .. "' is not an identity type") end
  end
  if type(v) == "number" and v == math.floor(v) then v = string.format("%.0f", v) end
  if type(v) ~= "string" then
    return bad(st, line_no, v == nil and ("no key '" .. key .. "'") or ("'" .. key .. "' is not a string"))
  end
  accept(st, line_no, ty, trim(v))
end

-- CSV/TSV: the header is needed for a column named, and guessed otherwise
-- (a first record whose identity cell is a header word or not an identity).
-- Sets the columns; true when `fields` is the header (a missing named
-- column is the scan's problem).
local function resolve_header(st, fields, line_no)
  local column, type_column = st.column, st.type_column
  local named = (column and column.name) or (type_column and type_column.name)
  local is_header = named ~= nil
  st.col_index = column and column.index or 1
  st.type_index = type_column and type_column.index
  if not is_header then
    local cell = trim(fields[st.col_index] or "")
    local ty = st.type_index and to_type(fields[st.type_index] or "") or st.default_type
    is_header = HEADER_WORDS[cell:lower()] or (st.type_index and not ty) or (M.invalid(ty, cell) ~= nil)
  end
  if not is_header then return false end
  local index, names = {}, {}
  for i, h in ipairs(fields) do
    local k = trim(h):lower()
    if index[k] == nil then index[k] = i end
    names[i] = trim(h)
  end
  for _, spec in ipairs({ { column, "column" }, { type_column, "type_column" } }) do
    local c = spec[1]
    if c and c.name then
      local i = index[c.name:lower()]
      if not i then
        st.problem = string.format("%s:%d: no column '%s' in the header (columns: %s)", st.name, line_no, c.name,
          table.concat(names, ", "))
        return true
      end
      if spec[2] == "column" then st.col_index = i else st.type_index = i end
    end
  end
  return true
end

local function table_record(st, line, _, line_no)
  local fields, ferr = M.split(line, st.sep, function() return next_line(st) end)
  if not fields then return bad(st, line_no, ferr) end
  if not st.header_done then
    st.header_done = true
    if resolve_header(st, fields, line_no) then return end
  end
  local ty = st.default_type
  if st.type_index then
    ty = to_type(fields[st.type_index] or "")
    if not ty then return bad(st, line_no, "column " .. st.type_index .. " is not an identity type") end
  end
  local cell = fields[st.col_index]
  if cell == nil then return bad(st, line_no, "no column " .. st.col_index) end
  accept(st, line_no, ty, trim(cell))
end

-- A SIGTERM while reading: the input and the copy closed, the stop raised
-- (the copy is a tracked temporary file: the command removes it).
local function check_signal(st)
  if not signals.pending() then return end
  if st.f ~= io.stdin then st.f:close() end
  st.copy:close()
  signals.check()
end

local RECORD = { lines = line_record, jsonl = json_record, csv = table_record, tsv = table_record }

-- Phase 5: close the input and the copy; the source, de-duplicated unless
-- keep_duplicates, or nil, the problem.
local function finish(st)
  if st.f ~= io.stdin then st.f:close() end
  st.copy:close()
  if st.problem then
    os.remove(st.copy_path)
    tempfiles.done(st.copy_path)
    return nil, st.problem
  end
  local source = { path = st.copy_path, total = st.total, counts = st.counts, temp = true, read = 0, lines = st.n,
                   duplicates = 0, invalid = st.invalid, invalid_samples = st.samples, format = st.fmt }
  if not st.opts.keep_duplicates and st.total > 1 then
    local ok, derr = M.dedup(source)
    if not ok then os.remove(st.copy_path); tempfiles.done(st.copy_path); return nil, derr end
  end
  return source
end

--- Read, check and de-duplicate `path` ("-": standard input).
-- opts (or a type name, as before): type, column, type_column, format,
-- keep_duplicates, skip_invalid. Returns a source { path, total, counts =
-- {type = n}, read = 0, lines, duplicates, invalid = n, invalid_samples =
-- {"NAME:LINE: message", ...}, format } or nil, "NAME:LINE: message".
function M.scan(path, opts)
  if type(opts) ~= "table" then opts = { type = opts } end
  local st, err = open_input(path, opts)
  if not st then return nil, err end
  st.fmt = opts.format or sniff_format(st, path)
  st.sep = st.fmt == "tsv" and "\t" or ","
  local record = RECORD[st.fmt] or table_record
  while not st.problem do
    local line = next_line(st)
    if line == nil then break end
    local t = trim(line)
    if t ~= "" and t:byte(1) ~= 35 then record(st, line, t, st.n) end
    if st.n % 4096 == 0 then check_signal(st) end
  end
  check_signal(st)
  return finish(st)
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- Remove duplicate lines of source.path with sort(1) and recount.
function M.dedup(source)
  local out = tempfiles.new()
  local dir = out:match("^(.*)/[^/]*$") or "/tmp"
  local cmd = string.format("LC_ALL=C sort -u -S %s -T %s -o %s %s", M.SORT_BUFFER, quote(dir), quote(out),
    quote(source.path))
  local r = os.execute(cmd)
  signals.check() -- before "sort failed": a signal may be why it failed
  if not (r == true or r == 0) then
    os.remove(out)
    tempfiles.done(out)
    return nil, "cannot remove duplicate identities (sort failed)"
  end
  os.remove(source.path)
  tempfiles.done(source.path)
  source.path = out
  local counts, total = {}, 0
  for line in io.lines(out) do
    local ty = line:match("^(%a+):")
    counts[ty] = (counts[ty] or 0) + 1
    total = total + 1
  end
  source.duplicates = source.total - total
  source.total, source.counts = total, counts
  return true
end

--- The client's `to`: one iterator per type present in the source, each a
-- streaming pass over the file that yields that type's values.
-- source.read counts identities handed over so far (for progress).
function M.to(source)
  local to = {}
  for _, ty in ipairs(M.TYPES) do
    if source.counts[ty] then
      local f
      local done = false
      local prefix = ty .. ":"
      local plen = #prefix
      to[ty] = function()
        if done then return nil end
        if not f then f = assert(io.open(source.path, "r")) end
        for line in f:lines() do
          if line:sub(1, plen) == prefix then
            source.read = source.read + 1
            return line:sub(plen + 1)
          end
        end
        f:close()
        done = true
        return nil
      end
    end
  end
  return to
end

--- Remove the temporary files, if any.
function M.close(source)
  if source and source.temp then
    os.remove(source.path)
    tempfiles.done(source.path)
  end
end

return M
