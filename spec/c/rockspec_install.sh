#!/bin/sh
# The rockspecs are current and lint clean; `luarocks make` into a custom tree
# (Debian's lua-cjson stands in for the online dep) installs a module that
# exports luaopen_* only, the Lua modules, docs/ and examples/, and a
# `clevertap` command that runs through `eval "$(luarocks path --tree T)"`
# (README, "Installing") and even without it; the checkout is left as it was.
set -eu
cd "$(dirname "$0")/../.."
# the build log is read for the compiler's flags: a `make -s test` around
# this must not silence the rock's own make
unset MAKEFLAGS MFLAGS
lua5.4 tools/rockspec.lua --check
version=$(sed -n 's/^#define CT_VERSION "\(.*\)"/\1/p' include/clevertap/clevertap.h)
for r in rockspec/lua-clevertap-scm-1.rockspec "rockspec/lua-clevertap-$version-1.rockspec"; do
  luarocks lint "$r" || { echo "FAIL: luarocks lint $r"; exit 1; }
done
grep -q "tag = \"v$version\"" "rockspec/lua-clevertap-$version-1.rockspec" ||
  { echo "FAIL: the release rockspec does not build from tag v$version"; exit 1; }
tree=$(mktemp -d "${TMPDIR:-/tmp}/ct-rock.XXXXXX")
src=$(mktemp -d "${TMPDIR:-/tmp}/ct-rocksrc.XXXXXX")
trap 'rm -rf "$tree" "$src"' EXIT
# A copy of what git tracks, as a fresh clone has it.
git ls-files -z | xargs -0 -I{} cp --parents {} "$src"
cd "$src"
find . | sort >"$tree/before"
luarocks --lua-version=5.4 --tree "$tree" make --deps-mode=none rockspec/lua-clevertap-scm-1.rockspec >"$tree/build.log" 2>&1 \
  || { tail -n 30 "$tree/build.log"; exit 1; }
find . | sort >"$tree/after"
diff "$tree/before" "$tree/after" >"$tree/left" ||
  { echo "FAIL: luarocks make left files in the checkout:"; grep '^>' "$tree/left" | head; exit 1; }
grep -q -- '-fvisibility=hidden' "$tree/build.log" || { echo "FAIL: the rock is built without -fvisibility=hidden"; exit 1; }
cd /
so="$tree/lib/lua/5.4/clevertap/core.so"
extra=$(nm -D --defined-only "$so" | awk 'NF == 3 && $2 ~ /[TDRBV]/ && $3 !~ /^_/ { print $3 }' | grep -v '^luaopen_' || true)
[ -z "$extra" ] || { echo "FAIL: the rock's core.so exports more than luaopen_*:" $extra | cut -c1-300; exit 1; }
doc="$tree/lib/luarocks/rocks-5.4/lua-clevertap/scm-1"
for f in docs/reference.md examples/c-validate/validate.c; do
  [ -f "$doc/$f" ] || { echo "FAIL: $f not installed with the rock (copy_directories)"; exit 1; }
done
printf 'return { name = "rock check", target_mode = "push", where = {}, when = "now",\n  devices = { "android" }, content = { title = "t", body = "b" } }\n' >"$tree/c.lua"
printf 'return { name = "rock check", target_mode = "push", when = "now" }\n' >"$tree/bad.lua"
# The wrapper alone, from another directory: it finds the tree it is in.
(cd "$tree" && "$tree/bin/clevertap" validate "$tree/c.lua") >"$tree/out" 2>&1 ||
  { echo "FAIL: $tree/bin/clevertap without luarocks path:"; cat "$tree/out"; exit 1; }
# As the README says: the tree's paths and its bin/ from luarocks path.
eval "$(luarocks --lua-version=5.4 --tree "$tree" path)"
case ":$PATH:" in *":$tree/bin:"*) ;; *) echo "FAIL: luarocks path does not put $tree/bin on PATH"; exit 1 ;; esac
clevertap --help >"$tree/out" 2>&1 || { echo "FAIL: clevertap --help"; cat "$tree/out"; exit 1; }
grep -q 'validate' "$tree/out" || { echo "FAIL: clevertap --help does not list validate"; cat "$tree/out"; exit 1; }
clevertap validate "$tree/c.lua" >"$tree/out" 2>&1 || { echo "FAIL: clevertap validate"; cat "$tree/out"; exit 1; }
grep -q 'ok' "$tree/out" || { cat "$tree/out"; exit 1; }
if clevertap validate "$tree/bad.lua" >"$tree/out" 2>&1; then echo "FAIL: an invalid campaign validated"; exit 1; fi
grep -q 'content' "$tree/out" || { echo "FAIL: the refusal does not name content:"; cat "$tree/out"; exit 1; }
TREE="$tree" lua5.4 -e '
  local ct = require "clevertap"
  assert(package.searchpath("clevertap.core", package.cpath):find(os.getenv("TREE"), 1, true))
  assert(ct.version, "no version")
  assert(ct.validate("targets/stop", { id = 1700000001 }))
  assert(not ct.validate("targets/stop", { id = "x" }), "invalid stop payload accepted")
  assert(type(ct.new) == "function" and type(ct.when.now) == "function" and type(ct.sms.provider) == "function")
' || { echo "FAIL: the installed modules"; exit 1; }
echo "rockspec installs clevertap.core, the Lua modules, docs and the clevertap command; the checkout stays clean"
