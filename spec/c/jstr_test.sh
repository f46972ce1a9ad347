#!/bin/sh
# Unit test of the one JSON string escaper (csrc/util/ct_jstr.c): spec/c/jstr_test.c,
# linked with $BUILD/obj/libclevertap_internal.a.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/jstr_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Icsrc/util \
  spec/c/jstr_test.c "$BUILD/obj/libclevertap_internal.a" -o "$out/jstr_test"
"$out/jstr_test"
