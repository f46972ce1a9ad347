#!/bin/sh
# The LuaJIT rock builds from LuaJIT's own headers alone: with every
# lua-compat53 copy hidden (/usr/include/lua5.1 and lua5.2 covered by empty
# directories in a private mount namespace), `luarocks --lua-version=5.1 make
# LUA_INCDIR=<luajit headers>` builds, installs and loads under luajit; and
# so does the README's openresty.org line, `luarocks --lua-dir=<openresty>/luajit
# make`, on a directory laid out as openresty.org's (bin/luajit,
# include/luajit-2.1), whose installed command runs under that luajit.
set -eu
cd "$(dirname "$0")/../.."
# the build log is read for the compiler's flags: a `make -s test` around
# this must not silence the rock's own make
unset MAKEFLAGS MFLAGS
if [ "${CT_ROCK_HIDDEN:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root for the mount namespace that hides lua-compat53"; exit 1; }
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
# openresty.org's layout: /usr/local/openresty/luajit/{bin/luajit,include/luajit-2.1}
or="$tree/openresty/luajit"
mkdir -p "$or/bin" "$or/include"
ln -s "$(command -v luajit)" "$or/bin/luajit"
cp -r "$jitinc" "$or/include/luajit-2.1"
cd "$src"
luarocks --lua-dir="$or" --tree "$tree/ortree" make --deps-mode=none rockspec/lua-clevertap-scm-1.rockspec \
  >"$tree/or.log" 2>&1 || { tail -n 30 "$tree/or.log"; exit 1; }
grep -q -- "-I$or/include/luajit-2.1" "$tree/or.log" || { echo "FAIL: --lua-dir did not use $or's headers"; exit 1; }
grep -q "exec '$or/bin/luajit'" "$tree/ortree/bin/clevertap" || { echo "FAIL: the command does not run under $or/bin/luajit"; exit 1; }
cd /
printf 'return { name = "x", target_mode = "push", where = {}, when = "now",\n  devices = { "android" }, content = { title = "t", body = "b" } }\n' >"$tree/c.lua"
"$tree/ortree/bin/clevertap" validate "$tree/c.lua" >"$tree/out" 2>&1 || { echo "FAIL: clevertap under $or:"; cat "$tree/out"; exit 1; }
echo "openresty layout: ok"
