#!/bin/sh
# examples/game-host/threads: four threads, each with its own client, send
# at the same time through the sandbox, built with ThreadSanitizer (library
# included): no data race is reported and every thread's players are all
# accounted for. This is the thread-safety rule of docs/embedding.md (one
# client per thread, curl_global_init once before the threads) in practice.
# shellcheck source=spec/c/game_host.lib
. "$(dirname "$0")/game_host.lib"

if [ -n "${SAN:-}" ]; then
  # Under another sanitizer (make sanitize): run with that one instead.
  lib=$build
  build_library
else
  lib="$build/tsan" # inside the build directory, so make clean removes it
  SAN=-fsanitize=thread
  make -s BUILD="$lib" OPT="-O1 -g" SAN="$SAN" "$lib/libclevertap.a" >"$work/make.out" 2>&1 ||
    { cat "$work/make.out"; fail "ThreadSanitizer library build"; }
fi
make -s -C examples/game-host BUILD="$lib" OUT="$work/bin" SAN="$SAN" "$work/bin/threads" >"$work/make.out" 2>&1 ||
  { cat "$work/make.out"; fail "threads build"; }

start_sandbox
set_faults '{"rules":[
  {"path":"/1/send/push.json","fault":"500-89","count":2},
  {"path":"/1/send/push.json","fault":"latency","ms":20}]}'

TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$work/bin/threads" 4 5000 >"$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -ne 66 ] || fail "ThreadSanitizer reported a data race"
[ "$rc" -eq 0 ] || fail "threads exited $rc"
[ "$(grep -c 'accepted=5000 failed=0 unknown=0' "$work/out")" -eq 4 ] || fail "a thread's players were not all accepted"
total=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/out" | awk '{ s += $1 } END { print s }')
[ "$total" -eq 22 ] || fail "expected 20 batches + 2 retries over all threads, got $total requests"
echo "ok"
