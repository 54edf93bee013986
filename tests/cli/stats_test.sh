#!/usr/bin/env bash
# ledgerctl stats as a process, online and offline (counts by type, keys, times, disk).
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data stats.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
"$ctl" keygen --out gone.key --json > gone.json
gone_id=$(json_field gone.json key_id)
"$ctl" register-key --server "$server" --signer admin.key --public-key gone.key.pub > /dev/null
"$ctl" revoke-key --server "$server" --signer admin.key --key-id "$gone_id" --reason "test" > /dev/null

"$ctl" stats --server "$server" --json > online.json
[[ $(json_field online.json tree_size) == 21 ]] || fail "online tree size"
[[ $(json_field online.json origin) == stats.example/log ]] || fail "online origin"
[[ $(json_field online.json checkpoint_verifier_key) == "$verifier" ]] || fail "online verifier key"
"$ctl" stats --server "$server" > online.txt
grep -q "^entries       21$" online.txt || fail "online text"

grep -q "^role          leader$" online.txt || fail "online role"
grep -q "^followers     0 seen recently" online.txt || fail "online: no follower yet"

# A follower: its lag behind the leader, and the leader's list of followers.
leader="$server" leader_pid="$server_pid"
"$ledgerd" init-follower --data-dir mirror --origin stats.example/log --log-key "$verifier" \
  --admin-key admin.key.pub > /dev/null
rm -f port
"$ledgerd" serve --data-dir mirror --listen 127.0.0.1:0 --port-file port --follow "$leader" \
  --follower-id mirror-1 2>> follower.log &
follower_pid=$!
wait_for_port_file port "$follower_pid" follower.log "the follower"
follower="127.0.0.1:$(cat port)"
for _ in $(seq 100); do
  "$ctl" stats --server "$follower" --json > follower.json
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replication"]; sys.exit(r["state"] != "CAUGHT_UP")' follower.json && break
  sleep 0.1
done
/usr/bin/python3 - follower.json "$leader" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
r = s["replication"]
assert s["tree_size"] == 21, s
assert r["role"] == "follower" and r["state"] == "CAUGHT_UP", r
assert r["leader"] == sys.argv[2] and r["leader_tree_size"] == 21, r
assert r["lag_entries"] == 0 and r["lag_seconds"] == 0, r
assert r["last_contact_time"] is not None and r["last_error"] == "", r
assert "fork_kind" not in r, r
assert s["followers"] == [], s
PY
"$ctl" stats --server "$follower" > follower.txt
grep -q "^role          follower of $leader, CAUGHT_UP$" follower.txt || fail "follower text"
grep -q "^leader size   21 (lag 0 entries, 0.000 s)$" follower.txt || fail "follower lag text"
# The leader lists what the follower reported with its latest poll, which may not have
# happened yet.
for _ in $(seq 100); do
  "$ctl" stats --server "$leader" --json > leader.json
  grep -q '"tree_size":21,"lag_entries":0' leader.json && break
  sleep 0.1
done
/usr/bin/python3 - leader.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["replication"] == {"role": "leader", "state": "LEADER"}, s["replication"]
[f] = s["followers"]
assert f["follower_id"] == "mirror-1" and f["tree_size"] == 21 and f["lag_entries"] == 0, f
assert f["peer"] and f["last_seen_time"] != "never", f
PY
"$ctl" stats --server "$leader" > leader.txt
grep -q "^followers     1 seen recently" leader.txt || fail "leader followers text"
grep -q "^  mirror-1  .*  at 21 (lag 0 entries), last seen " leader.txt || fail "follower line"
kill -TERM "$follower_pid" && wait "$follower_pid" || true

"$ctl" stats --data-dir data --json > offline.json
/usr/bin/python3 - offline.json "$verifier" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["entries"] == 21, s
assert s["entries_by_type"] == {"assert": 16, "correct": 1, "retract": 0, "review": 1,
                                "key+": 2, "key-": 1}, s["entries_by_type"]
assert s["keys_registered"] == 3 and s["keys_genesis_admin"] == 1 and s["keys_revoked"] == 1, s
assert s["disk_bytes"] > 0 and s["file_bytes"] > 0 and s["leaf_bytes"] > 0, s
assert s["first_recorded_time"] <= s["last_recorded_time"], s
assert s["entries_per_day"] is None, s  # The entries span seconds, not hours.
assert s["checkpoint_verifier_key"] == sys.argv[2], s
assert s["checkpoint"].startswith("stats.example/log\n21\n"), s
PY
"$ctl" stats --data-dir data > offline.txt
grep -q "^by type         assert 16 correct 1 retract 0 review 1 key+ 2 key- 1$" offline.txt \
  || fail "offline text"
stop_server
expect_exit 3 "$ctl" stats --server "$server" --timeout 2 2> down.err
expect_exit 3 "$ctl" stats --data-dir no-such-dir 2> nodir.err
echo "stats OK"
