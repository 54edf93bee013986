#!/usr/bin/env bash
# ledgerctl stats on a follower: the last error clears once the follower is back in step with
# its leader, and a fork makes stats exit 2 (as docs/cli.md says), with the fork printed.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data fork.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
leader="$server"
leader_port=${leader##*:}

# follow NAME LEADER: a follower of the fork.example/log verifier key, following LEADER.
follow() {
  "$ledgerd" init-follower --data-dir "$1" --origin fork.example/log --log-key "$verifier" \
    --admin-key admin.key.pub > /dev/null
  rm -f port
  "$ledgerd" serve --data-dir "$1" --listen 127.0.0.1:0 --port-file port --follow "$2" \
    --follower-id "$1" 2>> "$1.log" &
  follower_pid=$!
  wait_for_port_file port "$follower_pid" "$1.log" "follower $1"
  follower="127.0.0.1:$(cat port)"
}
# wait_state FILE STATE: polls the follower's stats until replication.state is STATE.
wait_state() {
  for _ in $(seq 150); do
    "$ctl" stats --server "$follower" --json > "$1" || true
    /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replication"]; sys.exit(r["state"] != sys.argv[2])' "$1" "$2" && return 0
    sleep 0.1
  done
  fail "the follower never reached $2: $(cat "$1")"
}

follow mirror "$leader"
wait_state caught-up.json CAUGHT_UP
# The leader goes away: the follower retries and says why.
stop_server
wait_state retrying.json RETRYING
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replication"]; sys.exit(r["last_error"] == "")' retrying.json \
  || fail "no last error while retrying"
# The leader is back on the same port: the follower catches up and the error is gone.
rm -f port
"$ledgerd" serve --data-dir data --listen "127.0.0.1:$leader_port" --port-file port 2>> server.log &
server_pid=$!
wait_for_port_file port "$server_pid" server.log "the restarted leader"
"$ctl" import --server "$leader" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
wait_state recovered.json CAUGHT_UP
/usr/bin/python3 - recovered.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["replication"]
assert r["last_error"] == "", r
PY
"$ctl" stats --server "$follower" > recovered.txt
if grep -q "^last error" recovered.txt; then fail "a stale last error is shown"; fi
kill -TERM "$follower_pid" && wait "$follower_pid" || true

# Another log under the same origin (its own log key): following it is a fork.
"$ledgerd" init --data-dir impostor --origin fork.example/log --admin-key admin.key.pub > /dev/null
rm -f port
"$ledgerd" serve --data-dir impostor --listen 127.0.0.1:0 --port-file port 2>> impostor.log &
impostor_pid=$!
wait_for_port_file port "$impostor_pid" impostor.log "the impostor"
impostor="127.0.0.1:$(cat port)"
follow forked "$impostor"
wait_state stopped.json STOPPED
expect_exit 2 "$ctl" stats --server "$follower" > forked.txt 2> forked.err
grep -q "^FORK          UNKNOWN_CHECKPOINT_KEY: " forked.txt || fail "fork not printed"
grep -q "fork" forked.err || fail "exit 2 not explained on stderr"
expect_exit 2 "$ctl" stats --server "$follower" --json > forked.json
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replication"]; assert r["fork_kind"] == "UNKNOWN_CHECKPOINT_KEY", r' forked.json
kill -TERM "$follower_pid" "$impostor_pid"; wait "$follower_pid" "$impostor_pid" || true
stop_server
echo "stats fork OK"
