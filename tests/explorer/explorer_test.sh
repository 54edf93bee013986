#!/bin/bash
# The explorer in a real browser: ledgerd with --http-listen on loopback, seeded with the
# README's example claims through `ledgerctl import`, then explorer_test.js drives Debian's
# chromium with puppeteer-core (tests/explorer/node_modules, installed by scripts/setup.sh).
# Skips (passes with a SKIP line) only when chromium is not installed.
# Arguments: ledgerd ledgerctl (runfiles paths); the examples are found next to them.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/testing/shell.sh"  # wait_for_port_file, wait_until
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "SKIP: $chromium not found (scripts/setup.sh installs Debian's chromium)"
  exit 0
fi
ledgerd="$(readlink -f "$1")"
ctl="$(readlink -f "$2")"
examples="$TEST_SRCDIR/factledger/examples"
# The runfiles entry is a symlink into the source tree, where node_modules lives.
src_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
if [[ ! -d "$src_dir/node_modules/puppeteer-core" ]]; then
  echo "FAIL: $src_dir/node_modules/puppeteer-core missing: run scripts/setup.sh" >&2
  exit 1
fi
command -v node >/dev/null || { echo "FAIL: node not on PATH: run scripts/setup.sh" >&2; exit 1; }

work="$TEST_TMPDIR/explorer"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
out="${TEST_UNDECLARED_OUTPUTS_DIR:-$work/out}"
mkdir -p "$out"

server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

"$ctl" keygen --out admin.key >/dev/null
"$ctl" keygen --out desk.key >/dev/null
"$ledgerd" init --data-dir data --origin explorer.example/log --admin-key admin.key.pub > init.out
verifier=$(sed -n 's/^checkpoint verifier key: //p' init.out)
[[ -n "$verifier" ]] || { echo "FAIL: init printed no verifier key" >&2; exit 1; }

"$ledgerd" serve --data-dir data --listen 127.0.0.1:0 --port-file port \
  --http-listen 127.0.0.1:0 --http-port-file http-port 2>> server.log &
server_pid=$!
wait_for_port_file port "$server_pid" server.log ledgerd
wait_for_port_file http-port "$server_pid" server.log "ledgerd's HTTP listener"
server="127.0.0.1:$(cat port)"
"$ctl" register-key --server "$server" --signer admin.key --public-key desk.key.pub \
  --holder "Desk A" >/dev/null
for f in seed-claims seed-followups seed-appearances seed-relations; do
  "$ctl" import --server "$server" --key desk.key "$examples/$f.jsonl" > /dev/null
done

export HOME="$work"
export NODE_PATH="$src_dir/node_modules"
timeout 800 node "$src_dir/explorer_test.js" "http://127.0.0.1:$(cat http-port)" "$verifier" "$out" "$chromium"
