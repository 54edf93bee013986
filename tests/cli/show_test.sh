#!/usr/bin/env bash
# ledgerctl show as a process: the decoded event of each kind and its inclusion proof, online
# and offline, text and JSON; exit codes for a wrong log key and a missing entry.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data show.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
# A verifier key for the same origin but another log key.
"$ledgerd" init --data-dir impostor --origin show.example/log --admin-key admin.key.pub > impostor.out
impostor=$(sed -n 's/^checkpoint verifier key: //p' impostor.out)
novak=$("$ctl" log --server "$server" --limit 0 | grep seed-novak-pipeline-ready | sed 's/^ *\([0-9]*\) .*/\1/')

for src in "--server $server" "--data-dir data"; do
  # shellcheck disable=SC2086
  "$ctl" show $src "$novak" --log-key verifier-key > novak.txt
  for want in "^entry $novak$" "event id     seed-novak-pipeline-ready" \
              "claimant     Alexander Novak (person)" "role         Energy Minister" \
              'statement    "The North-South gas pipeline agreement is ready for signing."' \
              "attribution  paraphrase" "said         2015-08 (month)" \
              "source       https://example.org/seed/" "topics       energy" \
              "^inclusion: verified in the tree of size 19" "signed by the log key given"; do
    grep -q "$want" novak.txt || fail "$src: show lacks '$want'"
  done
  # Without --log-key the proof is still checked, the signature is said not to be.
  "$ctl" show $src "$novak" > unsigned.txt
  grep -q "checkpoint signature NOT checked" unsigned.txt || fail "$src: unchecked signature not said"
  "$ctl" show $src "$novak" --log-key "$verifier" --json > novak.json
  /usr/bin/python3 - novak.json "$novak" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["entry"]["sequence"] == int(sys.argv[2]), d
assert d["entry"]["event"]["claimAsserted"]["claim"]["claimant"]["name"] == "Alexander Novak"
inc = d["inclusion"]
assert inc["verified"] and inc["checkpoint_signature_checked"] and inc["tree_size"] == 19, inc
assert len(inc["hashes"]) == 5 and inc["checkpoint"].startswith("show.example/log\n19\n")
PY
  "$ctl" show $src 0 > key.txt
  grep -q "type         key+" key.txt && grep -q "holder       Desk A" key.txt || fail "$src: key+"
  "$ctl" show $src 17 > review.txt
  grep -q "rating       Unproven" review.txt || fail "$src: review"
  "$ctl" show $src 18 > correct.txt
  grep -q "corrects     seed-article-loc-clashes" correct.txt || fail "$src: correction"
  # Another log key for the same origin: the checkpoint does not verify, exit 2.
  expect_exit 2 "$ctl" show $src "$novak" --log-key "$impostor" > wrong.txt
  grep -q "^inclusion: the latest checkpoint does not verify" wrong.txt || fail "$src: wrong key"
  expect_exit 1 "$ctl" show $src "$novak" --log-key "not a key" 2> bad-key.err
  expect_exit 4 "$ctl" show $src 19 2> missing.err
done
echo "show OK"
