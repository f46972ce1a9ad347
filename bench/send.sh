#!/bin/sh
# Sending 1,000,000 identities via send/push on loopback: lua-clevertap beside
# the baseline a Lua user would otherwise write (luasocket + lua-cjson, one
# request per batch of 1000, one after the other), both in this run, in two
# settings:
#   (a) a sink that answers at once (plain nginx `return 200`): raw speed,
#       default concurrency, no rate limit on the client;
#   (b) the sandbox with 50 ms latency per request (a round trip to a
#       CleverTap region) and the client's defaults: the API's documented
#       ceiling of 1000 send requests/s, 200 requests in flight.
#       The baseline needs 50 s per million there: it sends BASELINE_B_IDS
#       (default 100,000) and its rate is compared.
# Prints requests/s, identities/s, client CPU seconds per million identities
# (in (b) also against the CPU of cjson.encode alone for the same batches),
# peak memory above the Lua table of identities, and the ratios; then the same
# client with a send journal (docs/journal.md) in (a) and (b): its throughput
# ratio with/without, and the journal's size.
#   bench/send.sh [IDS]          BENCH_LUA=lua5.4|luajit  BUILD=build  BENCH_QUICK=1 (200k)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-1000000}
NB=${BASELINE_B_IDS:-100000}
JN=${JOURNAL_IDS:-10000000}
if [ "${BENCH_QUICK:-}" = 1 ]; then N=${1:-200000}; NB=${BASELINE_B_IDS:-20000}; JN=${JOURNAL_IDS:-1000000}; fi
LUA=${BENCH_LUA:-lua5.4}
[ -f "$BUILD/$LUA/clevertap/core.so" ] || make -s BUILD="$BUILD" all
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/bench/?.lua;;"
export LUA_CPATH="$PWD/$BUILD/$LUA/?.so;;"
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-send.XXXXXX")
cleanup() {
  [ -f "$work/sink/nginx.pid" ] && kill "$(cat "$work/sink/nginx.pid")" 2>/dev/null
  sandbox/ctl stop --dir "$work/sb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# (a) the sink
mkdir -p "$work/sink/logs"
port=$(lua5.4 sandbox/bin/freeport.lua)
cat >"$work/sink/nginx.conf" <<NGINX
worker_processes 1;
daemon on;
pid $work/sink/nginx.pid;
error_log $work/sink/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_buffer_size 256k;
  client_max_body_size 16m;
  keepalive_requests 10000000;
  client_body_temp_path $work/sink/body;
  proxy_temp_path $work/sink/proxy;
  fastcgi_temp_path $work/sink/fcgi;
  uwsgi_temp_path $work/sink/uwsgi;
  scgi_temp_path $work/sink/scgi;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '{"status":"success","message":"Added to queue for processing"}';
    }
  }
}
NGINX
/usr/sbin/nginx -p "$work/sink" -c "$work/sink/nginx.conf" -e "$work/sink/error.log"
sink="http://127.0.0.1:$port/1"

# (b) the sandbox, 50 ms per send request
# the sandbox validating every 40 KB body would measure its validator, not the client
sandbox/ctl start --dir "$work/sb" --port 0 --log-body-max 256 --no-validate >/dev/null
sb=$(cat "$work/sb/url")
curl -fsS -X POST "${sb%/1}/_sandbox/faults" -H 'Content-Type: application/json' \
  -d '{"rules":[{"path":"/1/send/push.json","fault":"latency","ms":50}]}' >/dev/null

run() { # name script args...
  name=$1; shift
  out=$("$LUA" "$@" 2>&1) || { echo "$name failed: $out" >&2; exit 1; }
  echo "$out" | grep '^RESULT' | sed "s/^RESULT/$name/"
}
# warm both servers up (nginx workers, the sandbox's JIT) before measuring
"$LUA" bench/send_client.lua "$sink" 100000 default none >/dev/null
"$LUA" bench/send_client.lua "$sb" 100000 default default >/dev/null
# the journal (docs/journal.md) beside the same send without it, alternated
# so that drift on a shared machine hits both
{
  run a_client bench/send_client.lua "$sink" "$N" default none
  run a_journal bench/send_client.lua "$sink" "$N" default none "$work/a.db"
  run a_base bench/send_baseline.lua "$sink" "$N"
  run b_client bench/send_client.lua "$sb" "$N" default default
  run b_journal bench/send_client.lua "$sb" "$N" default default "$work/b.db"
  run b_base bench/send_baseline.lua "$sb" "$NB"
  run b_encode bench/send_encode.lua "$N"
} >"$work/results"

awk -v lua="$LUA" '
function field(line, k,   i, n, parts, kv) {
  n = split(line, parts, " ")
  for (i = 2; i <= n; i++) { split(parts[i], kv, "="); if (kv[1] == k) return kv[2] }
  return 0
}
{ name = $1; ids[name] = field($0, "ids"); req[name] = field($0, "requests"); wall[name] = field($0, "wall")
  cpu[name] = field($0, "cpu"); mem[name] = (field($0, "peak_kb") - field($0, "rss_ids_kb")) / 1024
  field_kb[name] = field($0, "journal_kb") }
END {
  printf "send/push on loopback, %s, %d identities (baseline in (b): %d)\n\n", lua, ids["a_client"], ids["b_base"]
  printf "%-36s %10s %14s %14s %16s\n", "setting / implementation", "requests/s", "identities/s", "CPU s/M ids", "peak MB over ids"
  split("a_client a_base b_client b_base", order, " ")
  label["a_client"] = "(a) sink      lua-clevertap"; label["a_base"] = "(a) sink      luasocket+cjson"
  label["b_client"] = "(b) 50 ms     lua-clevertap"; label["b_base"] = "(b) 50 ms     luasocket+cjson"
  for (i = 1; i <= 4; i++) { k = order[i]
    printf "%-36s %10.0f %14.0f %14.2f %16.1f\n", label[k], req[k] / wall[k], ids[k] / wall[k], cpu[k] / ids[k] * 1e6, mem[k] }
  ra = (ids["a_client"] / wall["a_client"]) / (ids["a_base"] / wall["a_base"])
  ca = (cpu["a_client"] / ids["a_client"]) / (cpu["a_base"] / ids["a_base"])
  rb = (ids["b_client"] / wall["b_client"]) / (ids["b_base"] / wall["b_base"])
  ceil = (req["b_client"] / wall["b_client"]) / 1000 * 100
  printf "\n(a) identities/s: %.2fx the baseline (goal >= 1.5x); CPU per identity: %.2fx (goal <= 0.5x)\n", ra, ca
  printf "(b) identities/s: %.1fx the baseline (goal >= 20x); %.0f%% of the 1000 requests/s ceiling (goal >= 90%%)\n", rb, ceil
  ce = (cpu["b_client"] / ids["b_client"]) / (cpu["b_encode"] / ids["b_encode"])
  printf "(b) all-in client CPU: %.2f s per million identities, %.2fx cjson.encode alone for the same batches (goal <= 0.5x)\n", cpu["b_client"] / ids["b_client"] * 1e6, ce
  printf "peak memory above the identity table: %.1f MB (a), %.1f MB (b) (goal <= 64 MB)\n", mem["a_client"], mem["b_client"]
  ja = (ids["a_journal"] / wall["a_journal"]) / (ids["a_client"] / wall["a_client"])
  jb = (ids["b_journal"] / wall["b_journal"]) / (ids["b_client"] / wall["b_client"])
  printf "journal: identities/s with/without %.2fx (a) sink, %.2fx (b) API ceiling (goal >= 0.90x); CPU %.2fx (a)\n", ja, jb, (cpu["a_journal"] / ids["a_journal"]) / (cpu["a_client"] / ids["a_client"])
  printf "journal size after %d identities: %.0f kB (a), %.0f kB (b)\n", ids["a_journal"], field_kb["a_journal"], field_kb["b_journal"]
}' "$work/results"

# the journal of a 10M-identity send (an iterator: no 10M-string table), at the sink
"$LUA" bench/journal_size.lua "$sink" "$JN" "$work/size.db" | awk '{
  for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  printf "journal of a %d-identity send: %.1f MB at the end, %.1f MB at most while sending (WAL %.1f MB); %.1f s\n",
    v["ids"], v["final_kb"] / 1024, v["peak_kb"] / 1024, v["peak_wal_kb"] / 1024, v["wall"] }'
