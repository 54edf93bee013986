# Shared by the process-level tests of ledgerctl (tests/cli/*_test.sh): paths, a ledgerd on a
# loopback port with the seed article's claims, and assertions. Source it after `set -euo
# pipefail`; it cds into a fresh work directory under $TEST_TMPDIR.

ledgerd="$TEST_SRCDIR/factledger/service/ledgerd"
ctl="$TEST_SRCDIR/factledger/cli/ledgerctl"
tamper="$TEST_SRCDIR/factledger/tests/cli/tamper"
examples="$TEST_SRCDIR/factledger/examples"
work="$TEST_TMPDIR/$(basename "$0" .sh)"
rm -rf "$work" && mkdir -p "$work" && cd "$work"

# wait_for_port_file, wait_until.
source "$TEST_SRCDIR/factledger/tests/testing/shell.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'rc=$?; if [[ $rc -ne 0 ]]; then for f in *.txt *.err *.json; do [[ -f "$f" ]] && { echo "== $f"; head -c 3000 "$f"; echo; }; done >&2; fi' EXIT

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server' TERM INT

# expect_exit CODE COMMAND...: runs COMMAND (stdout to out.txt, stderr to out.err unless
# redirected by the caller) and fails unless it exits CODE.
expect_exit() {
  local want=$1; shift
  set +e
  "$@"
  local rc=$?
  set -e
  [[ $rc -eq $want ]] || fail "exit $rc, want $want: $*"
}

# start_ledger DIR ORIGIN: keys admin.key and desk.key (registered), ledgerd serving DIR.
# Sets $server, $verifier (the checkpoint verifier key; also in the file verifier-key).
start_ledger() {
  local dir=$1 origin=$2
  [[ -f admin.key ]] || "$ctl" keygen --out admin.key >/dev/null
  [[ -f desk.key ]] || "$ctl" keygen --out desk.key >/dev/null
  "$ledgerd" init --data-dir "$dir" --origin "$origin" --admin-key admin.key.pub > init.out
  verifier=$(sed -n 's/^checkpoint verifier key: //p' init.out)
  [[ -n "$verifier" ]] || fail "init printed no verifier key"
  echo "$verifier" > verifier-key
  serve "$dir"
  "$ctl" register-key --server "$server" --signer admin.key --public-key desk.key.pub \
    --holder "Desk A" >/dev/null
}

# serve DIR: starts ledgerd on DIR (already initialised); sets $server.
serve() {
  rm -f port
  "$ledgerd" serve --data-dir "$1" --listen 127.0.0.1:0 --port-file port 2>> server.log &
  server_pid=$!
  wait_for_port_file port "$server_pid" server.log ledgerd
  server="127.0.0.1:$(cat port)"
}

# json_field FILE FIELD: the value of a top-level number or string field of a one-line JSON.
json_field() {
  /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"
}

# json_line_field FIELD: the value of a top-level field of the one-line JSON object on stdin.
json_line_field() {
  /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"
}
