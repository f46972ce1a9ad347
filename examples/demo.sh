#!/bin/sh
# The README's main job, end to end on this machine: start a local CleverTap
# sandbox, then check, preview, estimate and create the price-drop campaigns
# of examples/price_drop.lua with the `clevertap` command, and show what the
# server received. The sandbox is stopped on exit, whatever happens.
#   BUILD   build directory of the module (default: build)
#   CT_LUA  interpreter (default: lua5.4; luajit works too)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
lua=${CT_LUA:-lua5.4}

dir=$(mktemp -d "${TMPDIR:-/tmp}/clevertap-demo.XXXXXX") || exit 1
cleanup() {
  sandbox/ctl stop --dir "$dir/sandbox" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting a local CleverTap sandbox"
if ! sandbox/ctl start --dir "$dir/sandbox" --port 0 >"$dir/start.log" 2>&1; then
  cat "$dir/start.log"
  echo "demo: the sandbox did not start (make sandbox installs what it needs)" >&2
  exit 1
fi
CLEVERTAP_BASE_URL=$(cat "$dir/sandbox/url")
CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID
CLEVERTAP_PASSCODE=SANDBOX-PASSCODE
export CLEVERTAP_BASE_URL CLEVERTAP_ACCOUNT_ID CLEVERTAP_PASSCODE
# The command's state (journals, the record of creates) lives with this
# sandbox: a new sandbox each run knows none of the campaigns created before.
XDG_STATE_HOME="$dir/state"
export XDG_STATE_HOME
echo "   $CLEVERTAP_BASE_URL (account $CLEVERTAP_ACCOUNT_ID)"
echo

step() {
  echo "== clevertap $*"
  "$lua" bin/clevertap "$@"
  rc=$?
  echo
  if [ "$rc" -ne 0 ]; then
    echo "demo: 'clevertap $*' exited with $rc" >&2
    exit "$rc"
  fi
}

step validate examples/price_drop.lua
step preview examples/price_drop.lua --count 3
step estimate examples/price_drop.lua
step create examples/price_drop.lua
step list --from "$(date -u +%Y%m%d)" --to "$(date -u +%Y%m%d)"

echo "== what the sandbox received, one line per HTTP request (retries included; its log redacts passcodes)"
REQLOG="$dir/sandbox/requests.jsonl" "$lua" -e '
  local cjson = require "cjson"
  for line in io.lines(os.getenv("REQLOG")) do
    local r = cjson.decode(line)
    local ok, body = pcall(cjson.decode, r.body or "")
    local what = ok and type(body) == "table" and (body.name or "") or ""
    if ok and type(body) == "table" and body.estimate_only then what = what .. " (estimate only)" end
    print(string.format("   %-4s %-24s passcode=%s  %s", r.method, r.path,
      tostring(r.headers["x-clevertap-passcode"]), what))
  end' || exit 1
echo
echo "done: the campaigns above were created on the local sandbox, not on CleverTap."
