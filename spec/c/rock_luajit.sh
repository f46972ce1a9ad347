#!/bin/sh
# The LuaJIT rock builds from LuaJIT's own headers alone: with every
# lua-compat53 copy hidden (/usr/include/lua5.1 and lua5.2 covered by empty
# directories in a private mount namespace), `luarocks --lua-version=5.1 make
# LUA_INCDIR=<luajit headers>` builds, installs and loads under luajit.
set -eu
cd "$(dirname "$0")/../.."
if [ "${CT_ROCK_HIDDEN:-}" != 1 ]; then
  # Needs root for the mount namespace (CI runs as root).
  exec unshare -m sh -c 'for d in /usr/include/lua5.1 /usr/include/lua5.2; do
      [ -d "$d" ] && mount -t tmpfs none "$d"; done; CT_ROCK_HIDDEN=1 exec sh "$0"' "$0"
fi
if find /usr/include -name 'compat-5.3.h' 2>/dev/null | grep -q .; then
  echo "FAIL: compat-5.3.h is still visible"; exit 1
fi
jitinc=$(pkg-config --variable=includedir luajit 2>/dev/null || echo /usr/include)/luajit-2.1
[ -f "$jitinc/lua.h" ] || jitinc=/usr/include/luajit-2.1
tree=$(mktemp -d "${TMPDIR:-/tmp}/ct-rockjit.XXXXXX")
src=$(mktemp -d "${TMPDIR:-/tmp}/ct-rockjitsrc.XXXXXX")
trap 'rm -rf "$tree" "$src"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$src"
cd "$src"
luarocks --lua-version=5.1 --tree "$tree" make --deps-mode=none rockspec/lua-clevertap-scm-1.rockspec \
  LUA_INCDIR="$jitinc" >"$tree/build.log" 2>&1 || { tail -n 30 "$tree/build.log"; exit 1; }
grep -q -- "-I$jitinc" "$tree/build.log" || { echo "FAIL: not built with $jitinc"; exit 1; }
cd /
eval "$(luarocks --lua-version=5.1 --tree "$tree" path)"
TREE="$tree" luajit -e '
  local ct = require "clevertap"
  assert(package.loaded["clevertap.core"], "no clevertap.core")
  assert(package.searchpath("clevertap.core", package.cpath):find(os.getenv("TREE"), 1, true))
  assert(ct.validate("targets/stop", { id = 1700000001 }))
  local ok, problems = ct.validate("targets/create", { target_mode = "sms", when = "now" })
  assert(not ok and tostring(problems):find("content", 1, true))
  local c = assert(ct.new { account_id = "a", passcode = "p", base_url = "http://127.0.0.1:9/1" })
  c:close()
  print(jit.version .. ": ok")
'
