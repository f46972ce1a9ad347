#!/bin/sh
# make format-check: clang-format --dry-run --Werror against .clang-format.
# A file laid out against the house style is named and fails the check, one
# that follows it passes, the default run covers every tracked C source of
# csrc, include, fuzz, examples and spec/c, and the validator's files
# (csrc/schema, csrc/validate, the binding's validate, value and sms files)
# are formatted; ct_encode.[ch] wait for their JSON escaping rework.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
fail() { echo "FAIL: $*"; exit 1; }
command -v clang-format-14 >/dev/null 2>&1 || command -v clang-format >/dev/null 2>&1 ||
  fail "clang-format is not installed (apt-get install clang-format-14)"
mkdir -p "$BUILD"
# inside the tree, so clang-format finds the tree's .clang-format
dir=$(mktemp -d "$BUILD/format-check.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/good.c" <<'C'
/* laid out as the house does it */
static int twice(const int *p)
{
    if (!p) return 0;
    for (int i = 0; i < 2; i++) {
        if (*p > i) return *p * 2;
    }
    return -1;
}
C
# the same code in another style: 2 spaces, the brace on the line, int* p
sed -e 's/^    /  /' -e 's/^static int twice(const int \*p)$/static int twice(const int* p) {/' -e '/^{$/d' \
  "$dir/good.c" >"$dir/bad.c"
cmp -s "$dir/good.c" "$dir/bad.c" && fail "the misformatted copy is the same as the original"

out=$(make -s format-check FILES="$dir/good.c" 2>&1) || fail "a house-style file fails: $out"
if out=$(make -s format-check FILES="$dir/good.c $dir/bad.c" 2>&1); then fail "a misformatted file passes: $out"; fi
echo "$out" | grep -q "needs formatting: $dir/bad.c" || fail "the misformatted file is not named: $out"
echo "$out" | grep -q "needs formatting: $dir/good.c" && fail "the good file is named: $out"
echo "$out" | grep -q "1 of 2 files differ" || fail "wrong count: $out"

# no FILES: every tracked .c/.h/.cpp of the five folders, no more, no less
want=$(git ls-files -- csrc include fuzz examples spec/c | grep -cE '\.(c|h|cpp)$')
out=$(make -s format-check 2>&1) || true
echo "$out" | grep -qE "(^format-check: $want files ok|of $want files differ)" ||
  fail "the default run does not check the $want files: $(echo "$out" | tail -n 1)"

# the validator's files follow .clang-format
mine=$(git ls-files -- 'csrc/schema/*.[ch]' 'csrc/validate/*.[ch]' csrc/lua/l_validate.c csrc/lua/l_sms.c \
  'csrc/lua/l_value.[ch]' spec/c/registry_test.c | grep -v '^csrc/validate/ct_encode\.[ch]$')
# shellcheck disable=SC2086
out=$(make -s format-check FILES="$(echo $mine)" 2>&1) || fail "the validator's files are not formatted: $out"
echo "format-check: ok ($want files in the default run)"
