#!/bin/sh
# Unit test of the validator's walker (csrc/validate/ and csrc/schema/) against a
# private schema: spec/c/walker_test.c, linked with $BUILD/obj/libclevertap_internal.a (every core symbol).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/walker_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wno-unused-parameter -g ${SAN:-} \
  -Iinclude/clevertap -Icsrc/util -Icsrc/validate -Icsrc/schema $(pkg-config --cflags jansson 2>/dev/null) \
  spec/c/walker_test.c "$BUILD/obj/libclevertap_internal.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$out/walker_test"
"$out/walker_test"
