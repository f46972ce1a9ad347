#!/bin/sh
# The whole suite: luacheck, busted under Lua 5.4 and LuaJIT, and the C-level
# checks in spec/c/*.sh, against a sandbox this script starts and stops.
# SPECS (busted paths), CTESTS (C-level scripts) and VARIANTS narrow a run;
# CT_WRAP prefixes the interpreter (valgrind, env LD_PRELOAD=...); LINT=0
# leaves out luacheck, the unused-function and the C layout checks (for the
# runs of .ci/run that repeat the suite under other interpreters or a sanitizer).
# Ends with one line "N passed, N failed"; exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
# Each variant is also a make target: VARIANTS="lua5.1 lua5.2" builds those too.
make -s BUILD="$BUILD" all ${VARIANTS:-} || { echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ct-test.XXXXXX")
passed=0
failed=0
sandbox_pid=""
cleanup() {
  [ -n "$sandbox_pid" ] && sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

count() { passed=$((passed + $1)); failed=$((failed + $2)); }
# A failure, counted and named in the list repeated above the last line: a
# CI log is often read from its end, and the failure blocks may be far above.
recap="$work/recap"
: >"$recap"
fail() { echo "$1" >>"$recap"; count 0 1; }

if [ "${LINT:-1}" != 0 ]; then
  if luacheck -q lua spec sandbox examples bench bin >"$work/luacheck.out" 2>&1; then
    count 1 0
  else
    cat "$work/luacheck.out"; fail "luacheck"
  fi

  # No C function that nothing calls (cppcheck unusedFunction).
  if tools/unused.sh >"$work/unused.out" 2>&1; then
    echo "ok   tools/unused.sh"; count 1 0
  else
    echo "FAIL tools/unused.sh"; sed 's/^/    /' "$work/unused.out"; fail "tools/unused.sh"
  fi

  # Every C file as .clang-format lays it out (clang-format --dry-run).
  if tools/format-check.sh >"$work/format.out" 2>&1; then
    echo "ok   tools/format-check.sh"; count 1 0
  else
    echo "FAIL tools/format-check.sh"; sed 's/^/    /' "$work/format.out"; fail "tools/format-check.sh"
  fi
fi

if [ -x sandbox/ctl ]; then
  # A sanitizer build cannot be loaded into nginx: the sandbox may use another.
  if BUILD=${SANDBOX_BUILD:-$BUILD} sandbox/ctl start --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>&1; then
    sandbox_pid=started
    CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
    export CLEVERTAP_SANDBOX_URL
    CLEVERTAP_SANDBOX_DIR="$work/sandbox"
    export CLEVERTAP_SANDBOX_DIR
  else
    cat "$work/sandbox.out"; echo "sandbox failed to start"; fail "the sandbox did not start"
  fi
fi

lpath="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/spec/?.lua;$PWD/sandbox/?.lua"
for variant in ${VARIANTS:-lua5.4 luajit}; do
  out="$work/busted-$variant.out"
  # --ignore-lua and --cpath: .busted's defaults are for a plain `busted`
  LUA_PATH="$lpath;;" LUA_CPATH="$PWD/$BUILD/$variant/?.so;;" CT_LUA="$variant" \
    ${CT_WRAP:-} "$variant" /usr/bin/busted --ignore-lua --cpath="$PWD/$BUILD/$variant/?.so" -o plainTerminal \
    ${BUSTED_ARGS:-} ${SPECS:-spec} >"$out" 2>&1
  rc=$?
  # The whole report when something failed (every failure block), else the summary.
  if grep -qE '^(Failure|Error) ->' "$out"; then
    sed -n '/^\(Failure\|Error\) ->/,$p' "$out" | head -n 600
    # "Failure -> spec/x_spec.lua @ 12" and the test's name on the next line
    grep -A1 -E '^(Failure|Error) ->' "$out" | grep -v '^--$' | paste -d' ' - - |
      sed "s/^/$variant: /" >>"$recap"
  else
    tail -n 3 "$out"
  fi
  line=$(grep -E '^[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$out" | tail -n 1)
  if [ -z "$line" ]; then
    echo "busted under $variant did not finish"; fail "busted under $variant did not finish"; continue
  fi
  ok=$(echo "$line" | sed -E 's#^([0-9]+) success.*#\1#')
  bad=$(echo "$line" | sed -E 's#^[0-9]+ success(es)? / ([0-9]+) failures? / ([0-9]+) errors?.*#\2 \3#')
  count "$ok" $(( ${bad% *} + ${bad#* } ))
  # A failing exit with every test passed: valgrind (--error-exitcode) or a
  # crash at interpreter exit.
  if [ "$rc" -ne 0 ] && [ $(( ${bad% *} + ${bad#* } )) -eq 0 ]; then
    echo "busted under $variant exited with status $rc although every test passed"; fail "busted under $variant exited with status $rc"
  fi
done

for t in ${CTESTS-spec/c/*.sh}; do
  [ -f "$t" ] || continue
  if LUA_PATH="$lpath;;" sh "$t" >"$work/ctest.out" 2>&1; then
    echo "ok   $t"; count 1 0
  else
    echo "FAIL $t"; sed 's/^/    /' "$work/ctest.out" | tail -n 40; fail "$t"
  fi
done

if [ -s "$recap" ]; then echo "failed:"; sed 's/^/  /' "$recap"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
