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
