#!/bin/sh
# Unit test of the journal's identity fingerprint (csrc/journal/ct_fingerprint.c): spec/c/fingerprint_test.c,
# linked with $BUILD/obj/libclevertap_internal.a.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/obj/libclevertap_internal.a" ] || make -s BUILD="$BUILD" "$BUILD/obj/libclevertap_internal.a"
out=$(mktemp -d "${TMPDIR:-/tmp}/fingerprint_test.XXXXXX")
trap 'rm -rf "$out"' EXIT
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Icsrc/journal \
  spec/c/fingerprint_test.c "$BUILD/obj/libclevertap_internal.a" -o "$out/fingerprint_test"
"$out/fingerprint_test"
