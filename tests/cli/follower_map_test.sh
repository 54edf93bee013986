#!/usr/bin/env bash
# A follower audits its leader's claim-state map commitments (docs/format.md §13): it verifies
# each signed map checkpoint with the log key and recomputes it from its own copy of the log,
# and logs how far it got; explain and verify-map against a follower say it signs nothing.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger leader follow.example/log
leader="$server"
leader_pid="$server_pid"
"$ledgerd" init-follower --data-dir mirror --origin follow.example/log --log-key "$verifier" \
  --admin-key admin.key.pub > init-follower.out
rm -f fport
"$ledgerd" serve --data-dir mirror --listen 127.0.0.1:0 --port-file fport --follow "$leader" \
  2> follower.log &
follower_pid=$!
trap 'kill -TERM $follower_pid $leader_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
wait_for_port_file fport "$follower_pid" follower.log "the follower"
follower="127.0.0.1:$(cat fport)"

for f in seed-claims seed-followups seed-appearances seed-relations; do
  "$ctl" import --server "$leader" --key desk.key "$examples/$f.jsonl" > /dev/null
done
# The leader commits its map at most once a second; the follower polls every two seconds.
verified_21() {
  grep "claim-state map commitments verified" follower.log | grep -q 'up_to_tree_size[^0-9]*21\b'
}
for _ in $(seq 300); do verified_21 && break; sleep 0.1; done
verified_21 || fail "the follower did not verify the leader's commitment at 21: $(tail -5 follower.log)"
grep -q "does not match this follower" follower.log && fail "the follower reported a mismatch"

expect_exit 4 "$ctl" explain seed-novak-pipeline-ready --server "$follower" --out x.json 2> explain.err
grep -q "signs no map checkpoints" explain.err || fail "explain against a follower"
expect_exit 4 "$ctl" verify-map --server "$follower" --log-key verifier-key 2> vm.err
grep -q "signs no map checkpoints" vm.err || fail "verify-map against a follower"
"$ctl" verify-map --server "$leader" --log-key verifier-key > vm.txt
grep -q "^map intact" vm.txt || fail "verify-map against the leader"
echo PASS
