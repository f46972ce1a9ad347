#!/bin/sh
# `make fuzz`: bounded libFuzzer runs under ASan+UBSan+LeakSanitizer of
# the JSON-text validator and encoder (fuzz/validate_fuzz.c), seeded with the
# documented examples (spec/fixtures/examples) and a dictionary of the schema
# tables' member names and values. Any crash, leak, timeout or broken
# invariant fails the run and leaves the reproducer in fuzz/corpus-run/; and
# of response classification, Retry-After parsing and redaction
# (fuzz/classify_fuzz.c); and of the SMS template encoders
# (fuzz/render_fuzz.c); and of the Lua binding's value conversion
# (fuzz/lua_value_fuzz.c). Each target gets SECONDS; the last line is
# "N passed, N failed" over the targets.
#   tools/fuzz.sh [SECONDS]      (default: FUZZ_SECONDS or 60)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "clang is required (tools/deps.sh fuzz)" >&2; exit 1; }
run=fuzz/corpus-run
mkdir -p "$run/corpus" "$run/artifacts"
bin="$run/validate_fuzz"

# the walker and the schema tables, nothing else (no Lua, no curl)
src=""
for f in csrc/util/*.c csrc/validate/*.c csrc/schema/*.c; do
  [ -f "$f" ] && src="$src $f"
done
# shellcheck disable=SC2086
"$CLANG" -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iinclude/clevertap -Icsrc/util -Icsrc/validate -Icsrc/schema \
  $(pkg-config --cflags jansson 2>/dev/null) fuzz/validate_fuzz.c $src -ljansson -lm -o "$bin"

# seeds: every documented example, prefixed with its endpoint's byte
idx() {
  case "$1" in
    targets-create*) echo 0 ;; targets-list*) echo 1 ;; targets-stop*) echo 2 ;;
    targets-result*) echo 3 ;; targets-trigger*) echo 4 ;; send-push*) echo 5 ;;
    send-webpush*) echo 6 ;; send-email*) echo 7 ;; send-sms*) echo 8 ;; *) echo 0 ;;
  esac
}
for f in spec/fixtures/examples/*.json; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .json)
  i=$(idx "$name")
  { printf "\\$(printf '%03o' "$i")"; cat "$f"; } >"$run/corpus/seed-$name"
done

# dictionary: quoted names and values from the schema tables
dict="$run/validate.dict"
{
  for tok in '"{"' '"}"' '"["' '"]"' '":"' '","' '"null"' '"true"' '"false"' '"\\u0000"' '"1e400"' \
             '"-9223372036854775809"' '"20240229"' '"20230229 10:00"' '"25:00"' '"202207200000"'; do
    printf '%s\n' "$tok"
  done
  cat csrc/schema/*.c 2>/dev/null | grep -o '"[A-Za-z0-9_./:|!# -]\{1,40\}"' | sort -u |
    sed 's/^"\(.*\)"$/"\\"\1\\""/'
} >"$dict"

passed=0
failed=0
# fuzz NAME BINARY CORPUS [libFuzzer flags...]
fuzz() {
  name=$1 bin=$2 corpus=$3
  shift 3
  echo "fuzzing $name for ${seconds}s ($(ls "$corpus" | wc -l) inputs in the corpus)"
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$run/artifacts/$name-" \
    -print_final_stats=1 "$@" "$corpus" 2>"$run/$name.log"; then
    tail -n 12 "$run/$name.log" | grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|Done' || true
    echo "fuzz $name: ok (no crash, leak, hang or broken invariant in ${seconds}s)"
    passed=$((passed + 1))
  else
    tail -n 60 "$run/$name.log"
    echo "fuzz $name: FAILED (reproducer in $run/artifacts/; run $bin <file>)"
    failed=$((failed + 1))
  fi
}
fuzz validator "$bin" "$run/corpus" -max_len=16384 -dict="$dict"

# classification, Retry-After and redaction: the engine and its helpers
cbin="$run/classify_fuzz"
# shellcheck disable=SC2046
"$CLANG" -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iinclude/clevertap -Icsrc/util -Icsrc/engine -Icsrc/limit \
  $(pkg-config --cflags jansson 2>/dev/null) fuzz/classify_fuzz.c csrc/engine/*.c csrc/limit/ct_limit_local.c csrc/util/*.c -ljansson -lm -o "$cbin"
mkdir -p "$run/classify-corpus"
i=0
for seed in '{"status":"success"}' '{"status":"fail","error":"bad PASSCODE-SECRET","code":1}' \
            '{"status":"fail","error":"\\u0050ASSCODE-SECRET","code":89}' 'not json' '{"error":"x"}'; do
  for ra in 3 1e30 "Wed, 21 Oct 2015 07:28:00 GMT" ""; do
    i=$((i + 1))
    { printf '\011\017PASSCODE-SECRET%s\n%s' "$ra" "$seed"; } >"$run/classify-corpus/seed-$i"
  done
done
fuzz classify "$cbin" "$run/classify-corpus" -max_len=4096

# SMS template encoders: every position and pair of positions, numbers
rbin="$run/render_fuzz"
# shellcheck disable=SC2046
"$CLANG" -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iinclude/clevertap -Icsrc/util -Icsrc/sms \
  $(pkg-config --cflags jansson 2>/dev/null) fuzz/render_fuzz.c csrc/sms/*.c csrc/util/*.c -ljansson -lm -o "$rbin"
mkdir -p "$run/render-corpus"
i=0
for seed in 'Hello, world' 'a b&c=d/e?f' 'line1
line2' '"quoted" \\ back' 'caf\303\251 \360\237\230\200' ''; do
  for pos in '\001' '\002' '\003' '\004' '\005' '\041' '\062'; do
    i=$((i + 1))
    printf "$pos\000%b" "$seed" >"$run/render-corpus/seed-$i"
  done
done
printf '\001\001\000\000\000\000\000\000\360\077' >"$run/render-corpus/seed-number"
fuzz render "$rbin" "$run/render-corpus" -max_len=2048

# the Lua binding's value conversion, in a real Lua 5.4 state with the module
lbin="$run/lua_value_fuzz"
lsrc=""
for f in csrc/*/*.c; do lsrc="$lsrc $f"; done
incs="-Iinclude/clevertap"
for d in csrc/*/; do incs="$incs -I$d"; done
# shellcheck disable=SC2046,SC2086
"$CLANG" -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $incs \
  $(pkg-config --cflags lua5.4 jansson libcurl sqlite3 2>/dev/null) -isystem /usr/include/hiredis \
  fuzz/lua_value_fuzz.c $lsrc \
  $(pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4) -lcurl -ljansson -lhiredis -lsqlite3 -lm -o "$lbin"
mkdir -p "$run/lua-corpus"
# seeds: a push with content and identities, a nested where, a hole, a cycle
printf '\005\004\011\004\021\050Hello\005\031\050World\005\005\001\004\041\004\030u-1\006\030u-2\006\005\005' \
  >"$run/lua-corpus/seed-push"
printf '\000\004\071\004\121\002\001\000\000\000\000\000\000\000\005\005' >"$run/lua-corpus/seed-create"
printf '\005\004\001\004\041\004\010a\016\010b\006\005\005' >"$run/lua-corpus/seed-hole"
printf '\005\004\011\004\017\005' >"$run/lua-corpus/seed-cycle"
fuzz lua_value "$lbin" "$run/lua-corpus" -max_len=4096

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
