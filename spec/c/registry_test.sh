#!/bin/sh
# Messages list what their registries hold (spec/c/registry_test.c), linked
# with $BUILD/obj/libclevertap_internal.a (every core symbol).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/registry_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wno-unused-parameter -g ${SAN:-} \
  -Iinclude/clevertap -Icsrc/util -Icsrc/validate -Icsrc/schema $(pkg-config --cflags jansson 2>/dev/null) \
  spec/c/registry_test.c "$BUILD/obj/libclevertap_internal.a" -ljansson -lcurl -lm -o "$out/registry_test"
"$out/registry_test"
