#!/bin/sh
# The suite under AddressSanitizer+UBSan (mode asan) or valgrind (mode valgrind).
# The interpreters are not instrumented, so the ASan runtime is preloaded; the
# sandbox (nginx) keeps loading the plain build, which a sanitizer build cannot
# replace inside a non-instrumented nginx. The preload reaches every process a
# spec starts (sh, mktemp, nginx), and coreutils' own leaks would fail them, so
# the ASan run looks for memory errors and UB; leaks are valgrind's job.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-asan}
make -s BUILD=build all
export SANDBOX_BUILD=build
case "$mode" in
  asan)
    export BUILD=${BUILD:-build/asan}
    san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    make -s BUILD="$BUILD" OPT="-O1 -g" SAN="$san" all
    export SAN="$san"
    asan_rt=$(gcc -print-file-name=libasan.so)
    ubsan_rt=$(gcc -print-file-name=libubsan.so)
    # LuaJIT's own allocator and stack tricks are not ASan-friendly: Lua 5.4 only.
    # CT_SANITIZE: specs that measure memory skip it. alloc_dealloc_mismatch=0:
    # the preload reaches man's troff (C++), whose own mismatch is not ours.
    CT_SANITIZE=asan \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:allocator_may_return_null=1:alloc_dealloc_mismatch=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CT_WRAP="env LD_PRELOAD=$asan_rt:$ubsan_rt" VARIANTS=lua5.4 CTESTS="${CTESTS-}" tools/test.sh
    ;;
  valgrind)
    # Every spec that drives the C core (validation, client, SMS renderer):
    # memcheck is ~30x slower, so the pure-Lua specs are left to the other runs.
    export BUILD=${BUILD:-build/valgrind}
    make -s BUILD="$BUILD" OPT="-O0 -g" all
    CT_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --suppressions=$PWD/tools/valgrind.supp" \
    VARIANTS=lua5.4 CTESTS="${CTESTS-spec/c/game_host_valgrind.sh}" SPECS="${SPECS:-$(ls spec/validate_*_spec.lua spec/acceptance_validate_spec.lua spec/acceptance_client_spec.lua spec/acceptance_sms_spec.lua spec/client_*_spec.lua spec/sms_*_spec.lua | tr '\n' ' ')}" tools/test.sh
    ;;
  *) echo "usage: $0 asan|valgrind" >&2; exit 2 ;;
esac
