#!/bin/sh
# Unit test of the one strict UTF-8 check (csrc/util/ct_utf8.c): spec/c/utf8_test.c,
# linked with $BUILD/obj/libclevertap_internal.a.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/utf8_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Icsrc/util \
  spec/c/utf8_test.c "$BUILD/obj/libclevertap_internal.a" -o "$out/utf8_test"
"$out/utf8_test"
