#!/bin/sh
# Fails on a C function nothing calls: cppcheck's unusedFunction over the
# core, the binding and every C program that uses the public API (examples,
# spec/c, fuzz). Entry points called from outside (luaopen_*, the fuzz target) are not dead;
# tools/unused.allow lists the rest that may stay for now, one name a line.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp "${TMPDIR:-/tmp}/unused.XXXXXX")
trap 'rm -f "$out"' EXIT
incs="-Iinclude/clevertap"
for d in csrc/*/; do incs="$incs -I$d"; done
# shellcheck disable=SC2086
cppcheck --enable=unusedFunction --quiet --std=c99 --template='{file}:{line}: {id}: {message}' $incs \
  csrc examples/c-send examples/c-validate examples/game-host spec/c fuzz 2>"$out" >/dev/null || true
allow=$(grep -v '^#' tools/unused.allow 2>/dev/null | tr '\n' '|')
found=$(grep ': unusedFunction: ' "$out" | grep -vE "'(luaopen_[a-z0-9_]*|LLVMFuzzerTestOneInput)'" |
        { if [ -n "$allow" ]; then grep -vE "'(${allow%|})'"; else cat; fi; } || true)
if [ -n "$found" ]; then
  printf '%s\n' "$found"
  exit 1
fi
