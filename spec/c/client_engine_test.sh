#!/bin/sh
# Unit test of the request engine (csrc/engine/) with a
# fake clock: spec/c/client_engine_test.c, linked with $BUILD/obj/libclevertap_internal.a (every core symbol).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/engine_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Iinclude/clevertap -Icsrc/util -Icsrc/engine -Icsrc/limit \
  $(pkg-config --cflags jansson 2>/dev/null) \
  spec/c/client_engine_test.c "$BUILD/obj/libclevertap_internal.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$out/engine_test"
"$out/engine_test"
