#!/usr/bin/env bash
# ledgerctl explain and bundle verify of explain bundles, against a real ledgerd: the answers of
# the seed article's claims verify offline with the log key alone (corrected, reviewed, seen
# again, related, retracted, and an unknown id proven absent); and a server that lies is caught:
# it omits a retraction, drops a verdict, serves a stale state under a newer map checkpoint,
# proves another claim's state, reorders the history, or states a status its entries deny.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data explain.example/log
for f in seed-claims seed-followups seed-appearances seed-relations; do
  "$ctl" import --server "$server" --key desk.key "$examples/$f.jsonl" > /dev/null
done
# 21 entries: the key registration, 16 claims, a review (17), a correction (18), an
# appearance (19) and a relation (20).
"$ctl" explain seed-article-pipeline-cost --server "$server" --out cost.json --log-key verifier-key \
  --min-tree-size 21 > made.txt
grep -q "^wrote cost.json: claim seed-article-pipeline-cost is ACTIVE as of tree size 21 (2 entries, 1 verdicts)" made.txt \
  || fail "explain of the reviewed claim"
"$ctl" explain seed-article-loc-clashes --server "$server" --out loc.json --log-key verifier-key > /dev/null
"$ctl" explain seed-novak-pipeline-ready --server "$server" --out novak.json --log-key verifier-key > /dev/null
"$ctl" explain no-such-claim --server "$server" --out absent.json --log-key verifier-key > absent.txt
grep -q "no entry concerns claim no-such-claim as of tree size 21" absent.txt || fail "absence"

# Retract the pipeline-cost claim: a newer answer.
cat > retract.jsonl <<'JSON'
{"eventId": "retract-cost", "event": {"claimRetracted": {"claimId": "seed-article-pipeline-cost", "reason": "the figure was not in the article"}}}
JSON
"$ctl" submit --server "$server" --key desk.key retract.jsonl > /dev/null
"$ctl" explain seed-article-pipeline-cost --server "$server" --out retracted.json \
  --log-key verifier-key --min-tree-size 22 --json > retracted.line
[[ $(json_field retracted.line status) == RETRACTED && $(json_field retracted.line tree_size) == 22 ]] \
  || fail "explain after the retraction"
expect_exit 1 "$ctl" explain seed-article-pipeline-cost --data-dir data --out x.json 2> offline.err
grep -q "explain needs a running ledgerd" offline.err || fail "offline explain message"

# verify-map: every commitment the server lists recomputes from the log.
"$ctl" verify-map --server "$server" --log-key verifier-key > map.txt
grep -q "^map intact: [1-9][0-9]* claim-state map commitments recomputed from 22 entries" map.txt \
  || fail "verify-map online"
stop_server
# Offline, the map checkpoints a reader kept (here: from the explain bundles).
/usr/bin/python3 -c 'import json,sys; open("m21.note","w").write(json.load(open("cost.json"))["map_checkpoint"]); open("m22.note","w").write(json.load(open("retracted.json"))["map_checkpoint"])'
"$ctl" verify-map --data-dir data --log-key verifier-key --map-checkpoint m21.note \
  --map-checkpoint m22.note --json > map.line
[[ $(json_field map.line intact) == True && $(json_field map.line commitments_checked) == 2 ]] \
  || fail "verify-map offline"
# A server that signs a wrong map root (made here with the log's own key, as a compromised or
# buggy server would): verify-map names the tree size.
/usr/bin/python3 - data/log.key m21.note > forged.note <<'PY'
import base64, hashlib, sys
import nacl.signing
seed = bytes.fromhex(open(sys.argv[1]).read().split()[1])
key = nacl.signing.SigningKey(seed)
lines = open(sys.argv[2]).read().split("\n")
origin = lines[0]
text = "\n".join(lines[:3]) + "\nfactledger/v1/claim-state-map " + \
    base64.b64encode(hashlib.sha256(b"not the map").digest()).decode() + "\n"
key_hash = hashlib.sha256(origin.encode() + b"\n\x01" + bytes(key.verify_key)).digest()[:4]
sig = key.sign(text.encode()).signature
sys.stdout.write(text + "\n\u2014 " + origin + " " + base64.b64encode(key_hash + sig).decode() + "\n")
PY
expect_exit 2 "$ctl" verify-map --data-dir data --log-key verifier-key --map-checkpoint forged.note > forged.txt
grep -q "^MAP NOT INTACT: the map checkpoint at tree size 21 commits map root .* (forged.note)$" forged.txt \
  || fail "verify-map of a forged map root"

# No server: only the files and the verifier key.
rm -rf data
"$ctl" bundle verify cost.json loc.json novak.json absent.json retracted.json --log-key verifier-key > verified.txt
[[ $(grep -c ": verified$" verified.txt) -eq 5 ]] || fail "bundle verify of explain bundles"
grep -q "claim seed-article-loc-clashes stands CORRECTED" verified.txt || fail "corrected"
grep -q "claim seed-novak-pipeline-ready stands ACTIVE" verified.txt || fail "novak"
grep -q "1 appearances, 1 relations" verified.txt || fail "appearances and relations"
grep -q "claim seed-article-pipeline-cost stands RETRACTED" verified.txt || fail "retracted"
grep -q "no entry concerns claim no-such-claim" verified.txt || fail "absent"
"$ctl" bundle verify --json retracted.json --log-key verifier-key > verified.line
[[ $(json_field verified.line status) == RETRACTED && $(json_field verified.line verdicts) == 1 ]] \
  || fail "bundle verify --json"

# The lies. Each file is a real bundle with one change a lying server could make.
/usr/bin/python3 - <<'PY'
import copy, json
cost, retracted, loc, novak = (json.load(open(f)) for f in
                               ("cost.json", "retracted.json", "loc.json", "novak.json"))
def write(name, doc):
    json.dump(doc, open(name, "w"), indent=2)

# 1. Omit the retraction: the entries and the stated answer without it.
d = copy.deepcopy(retracted)
d["entries"] = d["entries"][:-1]
d["stated"]["history"] = d["stated"]["history"][:-1]
d["stated"]["status"] = "ACTIVE"
write("lie-omit-retraction.json", d)
# 2. Drop the verdict.
d = copy.deepcopy(retracted)
d["entries"] = [e for e in d["entries"] if e["sequence"] != 17]
d["stated"]["history"] = [s for s in d["stated"]["history"] if s != 17]
d["stated"]["verdicts"] = []
write("lie-drop-verdict.json", d)
# 3. A stale state under a newer map checkpoint: the answer of size 21 with the map checkpoint
#    of size 22 (its entries re-pointed at it).
d = copy.deepcopy(cost)
d["map_checkpoint"] = retracted["map_checkpoint"]
d["tree_size"] = 22
for e in d["entries"]:
    e["checkpoint"] = retracted["map_checkpoint"]
    e["tree_size"] = 22
write("lie-stale.json", d)
# 4. Another claim's state proven under this claim's id.
d = copy.deepcopy(novak)
d["claim_id"] = "seed-article-loc-clashes"
write("lie-other-claim.json", d)
# 5. The history reordered.
d = copy.deepcopy(novak)
d["entries"] = [d["entries"][1], d["entries"][0]] + d["entries"][2:]
write("lie-reordered.json", d)
# 6. A status the entries deny.
d = copy.deepcopy(loc)
d["stated"]["status"] = "ACTIVE"
write("lie-status.json", d)
# 7. The claim said absent while it exists: an absence proof for the unknown id, renamed.
d = copy.deepcopy(json.load(open("absent.json")))
d["claim_id"] = "seed-novak-pipeline-ready"
write("lie-absent.json", d)
PY
for lie in omit-retraction drop-verdict stale other-claim reordered status absent; do
  expect_exit 2 "$ctl" bundle verify "lie-$lie.json" --log-key verifier-key > "lie-$lie.txt"
  grep -q "NOT VERIFIED" "lie-$lie.txt" || fail "lie $lie was not caught"
done
grep -q "the entries do not produce the committed state hash" lie-omit-retraction.txt || fail "omit"
grep -q "the entries do not produce the committed state hash" lie-drop-verdict.txt || fail "drop"
grep -q "map proof leads to root" lie-stale.txt || fail "stale"
grep -q "the server stated status ACTIVE but the signed entries say CORRECTED" lie-status.txt \
  || fail "status"
echo PASS
