#!/bin/sh
# `make bench`: every bench/<topic>.sh in turn, against one sandbox started
# here. Each prints its own figures as ratios against a baseline measured in
# the same run; machines are noisy, so compare ratios, not absolute times.
# BENCH_QUICK=1: fewer identities and runs, for a quick look.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench.XXXXXX")
trap 'sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1; rm -rf "$work"' EXIT INT TERM
if [ -x sandbox/ctl ] && sandbox/ctl start --dir "$work/sandbox" --port 0 --log-body-max 256 >"$work/sandbox.out" 2>&1; then
  CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
  CLEVERTAP_SANDBOX_DIR="$work/sandbox"
  export CLEVERTAP_SANDBOX_URL CLEVERTAP_SANDBOX_DIR
else
  echo "warning: no sandbox; network benchmarks will be skipped" >&2
fi
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/spec/?.lua;;"
status=0
for b in bench/*.sh; do
  [ "$b" = bench/run.sh ] && continue
  echo "== $b"
  sh "$b" || { echo "FAILED: $b"; status=1; }
done
exit $status
