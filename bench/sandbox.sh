#!/bin/sh
# Throughput of the sandbox for the benchmark load: 40 KB send/push.json
# requests (1000 identities) over keep-alive connections on loopback, with wrk.
# Prints requests/s and the count of errors and non-2xx answers.
#   bench/sandbox.sh [DURATION_S] [CONNECTIONS] [LOG_BODY_MAX]
# LOG_BODY_MAX (default 256) bounds the body bytes kept per request-log line;
# -1 logs whole bodies.
set -eu
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-32}
body_max=${3:-256}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-sandbox.XXXXXX")
cleanup() { sandbox/ctl stop --dir "$work/sb" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

sandbox/ctl start --dir "$work/sb" --port 0 --log-body-max "$body_max" >/dev/null
url=$(cat "$work/sb/url")

lua=lua5.4
command -v "$lua" >/dev/null || lua=luajit
"$lua" - "$work/payload.json" <<'LUA'
local cjson = require "cjson"
local ids = {}
for i = 1, 1000 do ids[i] = string.format("bench-user-%06d-0123456789abcdef", i) end
local p = { to = { Identity = ids }, tag_group = "bench",
  content = { title = "Benchmark", body = "" } }
local pad = 40960 - #cjson.encode(p)
p.content.body = string.rep("x", pad)
local f = assert(io.open(arg[1], "w"))
f:write(cjson.encode(p))
f:close()
LUA

cat >"$work/post.lua" <<LUA
local f = assert(io.open("$work/payload.json"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CleverTap-Account-Id"] = "SANDBOX-ACCOUNT-ID"
wrk.headers["X-CleverTap-Passcode"] = "SANDBOX-PASSCODE"
LUA

size=$(wc -c <"$work/payload.json")
echo "sandbox: $url, body $size bytes, $conns keep-alive connections, ${duration}s, log bodies up to $body_max bytes"
threads=2
[ "$conns" -lt 2 ] && threads=1
wrk -t "$threads" -c "$conns" -d "${duration}s" -s "$work/post.lua" "$url/send/push.json" >"$work/wrk.out" 2>&1 ||
  { cat "$work/wrk.out"; echo "wrk failed" >&2; exit 1; }
cat "$work/wrk.out"
rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$work/wrk.out")
non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*\([0-9]*\).*/\1/p' "$work/wrk.out")
sockerr=$(sed -n 's/^[[:space:]]*Socket errors:\(.*\)/\1/p' "$work/wrk.out")
logged=$(wc -l <"$work/sb/requests.jsonl")
server=$(curl -s "${url%/1}/_sandbox/stats" 2>/dev/null || echo "?")
echo "server: $server"
echo "result: ${rps:-0} requests/s, non-2xx: ${non2xx:-0}, socket errors:${sockerr:- none}, logged lines: $logged"
[ -z "$non2xx" ] && [ -z "$sockerr" ]
