#!/usr/bin/env bash
# A key revoked as compromised (revoke-key --compromised-since): what it signed in the window
# stays in the log and still verifies, but `claim`, `claims --json`, `tally` and `export` flag
# it; what it signed before the window is not flagged.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger a a.example/log                     # entry 0: the desk key's registration
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null      # 1..16
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null   # 17 review, 18 correction
desk_id=$("$ctl" export --server "$server" --from 1 --to 1 | json_line_field key_id)

# A window that starts after the revocation itself is refused and writes nothing.
expect_exit 4 "$ctl" revoke-key --server "$server" --signer admin.key --key-id "$desk_id" \
  --reason "key leaked" --compromised-since 999 > /dev/null 2> future.err
grep -q "compromise.since_sequence" future.err || fail "the refusal names the field: $(cat future.err)"
[[ $("$ctl" export --server "$server" | wc -l) -eq 19 ]] || fail "the refused revocation wrote"

"$ctl" revoke-key --server "$server" --signer admin.key --key-id "$desk_id" \
  --reason "key leaked" --compromised-since 17 > revoke.txt

# The correction (18) was signed in the window: the claim's standing is flagged.
"$ctl" claim --server "$server" seed-article-loc-clashes > corrected.txt
grep -q "^WARNING    signed while its key was compromised" corrected.txt || fail "no warning"
grep -q "claim_corrected.*\[COMPROMISED\]" corrected.txt || fail "correction not marked"
grep "claim_asserted" corrected.txt | grep -vq "COMPROMISED" || fail "the assert (1) is marked"
# A claim asserted before the window and untouched since is not.
"$ctl" claim --server "$server" seed-novak-pipeline-ready > novak.txt
if grep -q "WARNING\|COMPROMISED" novak.txt; then fail "an untouched claim is flagged"; fi
# The review (17) was signed in the window: the verdict and the tally say so.
"$ctl" claim --server "$server" seed-article-pipeline-cost > cost.txt
grep -q "Unproven.*\[COMPROMISED signer\]" cost.txt || fail "verdict not marked"
"$ctl" tally --server "$server" "Seed article (publisher not given)" > tally.txt
grep -q "1 signed by a compromised key" tally.txt || fail "tally row"
grep -q "1 of them signed while the key was compromised" tally.txt || fail "tally total"
"$ctl" claims --server "$server" --json --claimant "Seed article (publisher not given)" > list.json
/usr/bin/python3 - list.json <<'PY'
import json, sys
flags = {}
for line in open(sys.argv[1]):
    c = json.loads(line)
    flags[c["claim_id"]] = c.get("signer_compromised", False)
assert flags["seed-article-loc-clashes"] is True, flags
assert sum(flags.values()) == 1, flags
PY
"$ctl" claims --server "$server" --claimant "Seed article (publisher not given)" > list.txt
grep -q "CORRECTED! *seed-article-loc-clashes" list.txt || fail "the list marks the claim: $(cat list.txt)"
# The export flags entries 17 and 18 only, and ledgerctl verify still calls the log intact.
"$ctl" export --server "$server" > export.jsonl
[[ $(grep -c '"signer_compromised":true' export.jsonl) -eq 2 ]] || fail "export flags"
[[ $(grep '"signer_compromised":true' export.jsonl | sed 's/^{"sequence":\([0-9]*\),.*/\1/' | tr '\n' ' ') == "17 18 " ]] ||
  fail "export flags the wrong entries"
stop_server
"$ctl" verify --data-dir a > verify.txt || fail "verify: $(cat verify.txt)"
echo PASS
