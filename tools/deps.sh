#!/bin/sh
# Installs the Debian packages a target needs, only those missing.
# Usage: tools/deps.sh build|test|sandbox|bench|fuzz|all
# As root it runs apt-get; otherwise it names the packages and fails.
set -eu

build="gcc make pkg-config lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev libcurl4-openssl-dev libjansson-dev libhiredis-dev libsqlite3-dev lua-cjson lua-argparse"
# The older Lua versions the rockspec claims: spec/c/lua_versions.sh and .ci/run.
older="lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev"
sandbox="nginx libnginx-mod-http-lua lua-cjson lua-socket lua-nginx-redis"
test="$build $older $sandbox redis-server sqlite3 lua-busted lua-check lua-socket curl tzdata luarocks git openssl cppcheck clang-format-14"
bench="$test wrk"
fuzz="$build clang libclang-rt-14-dev libfuzzer-14-dev"
sanitize="$test clang libclang-rt-14-dev valgrind"
rocks="$build luarocks"

case "${1:-all}" in
  build) want=$build ;;
  sandbox) want="$build $sandbox" ;;
  test) want=$test ;;
  bench) want=$bench ;;
  fuzz) want=$fuzz ;;
  sanitize) want=$sanitize ;;
  rocks) want=$rocks ;;
  all) want="$bench $fuzz $sanitize $rocks" ;;
  *) echo "usage: $0 build|sandbox|test|bench|fuzz|sanitize|rocks|all" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  case " $missing " in *" $p "*) continue ;; esac
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages:$missing" >&2
  echo "install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing nginx must not start a system nginx on :80 (our servers run on
# loopback ports of their own): tell invoke-rc.d not to start services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# An old or empty package list makes apt-get install fail; refresh once.
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
