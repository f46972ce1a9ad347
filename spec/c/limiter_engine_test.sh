#!/bin/sh
# Unit test of the engine's shared-limiter interface with a fake limiter and
# a fake clock: spec/c/limiter_engine_test.c, linked with $BUILD/obj/libclevertap_internal.a.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/limiter_engine.XXXXXX")
trap 'rm -rf "$out"' EXIT
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Iinclude/clevertap -Icsrc/util -Icsrc/engine \
  -Icsrc/limit spec/c/limiter_engine_test.c "$BUILD/obj/libclevertap_internal.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm \
  -o "$out/limiter_engine_test"
"$out/limiter_engine_test"
