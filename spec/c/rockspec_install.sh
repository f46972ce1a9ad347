#!/bin/sh
# The rockspec is current and installs a working module and command with
# luarocks on this machine (Debian's lua-cjson stands in for the online dep).
set -eu
lua5.4 tools/rockspec.lua --check
tree=$(mktemp -d "${TMPDIR:-/tmp}/ct-rock.XXXXXX")
src=$(mktemp -d "${TMPDIR:-/tmp}/ct-rocksrc.XXXXXX")
trap 'rm -rf "$tree" "$src"' EXIT
# luarocks builds in the source directory: work on a copy, not the checkout.
git ls-files -z | xargs -0 -I{} cp --parents {} "$src"
cd "$src"
luarocks --lua-version=5.4 --tree "$tree" make --deps-mode=none rockspec/lua-clevertap-scm-1.rockspec >"$tree/build.log" 2>&1 \
  || { tail -n 30 "$tree/build.log"; exit 1; }
cd /
eval "$(luarocks --lua-version=5.4 --tree "$tree" path)"
lua5.4 -e '
  local ct = require "clevertap"
  assert(ct.version, "no version")
  local ok, problems = ct.validate("targets/stop", { id = 1700000001 })
  assert(ok, tostring(problems))
  local ok2 = ct.validate("targets/stop", { id = "x" })
  assert(not ok2, "invalid stop payload accepted")
  assert(type(ct.new) == "function" and type(ct.when.now) == "function" and type(ct.sms.provider) == "function")
'
printf 'return { name = "rock check", target_mode = "push", where = {}, when = "now",\n  devices = { "android" }, content = { title = "t", body = "b" } }\n' >"$tree/c.lua"
"$tree/bin/clevertap" validate "$tree/c.lua"
echo "rockspec installs clevertap.core, the Lua modules and the clevertap command"
