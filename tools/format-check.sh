#!/bin/sh
# Checks C sources against .clang-format without changing them: names each
# file clang-format would change (and shows clang-format's first complaints),
# exits 1 when there is one. Files: the arguments, or every .c/.h/.cpp under
# csrc/, include/, fuzz/, examples/ and spec/c/ (what git tracks, else what
# is on disk). `make format-check [FILES="a.c b.h"]` runs it.
#   CLANG_FORMAT=clang-format-14 tools/format-check.sh [file...]
set -eu
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1; then cf=$c; break; fi
  done
fi
[ -n "$cf" ] || { echo "format-check: clang-format is not installed (apt-get install clang-format-14)" >&2; exit 2; }
[ -f .clang-format ] || { echo "format-check: no .clang-format at the top of the tree" >&2; exit 2; }

dirs="csrc include fuzz examples spec/c"
if [ $# -eq 0 ]; then
  # shellcheck disable=SC2046,SC2086
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    set -- $(git ls-files -- $dirs | grep -E '\.(c|h|cpp)$')
  else
    set -- $(find $dirs -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) | sort)
  fi
fi

out=$(mktemp "${TMPDIR:-/tmp}/format-check.XXXXXX")
trap 'rm -f "$out"' EXIT
bad=0
for f in "$@"; do
  [ -f "$f" ] || { echo "format-check: no such file: $f" >&2; bad=$((bad + 1)); continue; }
  # --style=file: the .clang-format above the file (the tree's one)
  if ! "$cf" --style=file --dry-run --Werror "$f" >"$out" 2>&1; then
    bad=$((bad + 1))
    echo "needs formatting: $f"
    grep -m 3 ': error: ' "$out" | sed 's/^/    /' || true
  fi
done
n=$#
if [ "$bad" -gt 0 ]; then
  echo "format-check: $bad of $n files differ from .clang-format ($cf -i FILE fixes one)"
  exit 1
fi
echo "format-check: $n files ok"
