#!/usr/bin/env bash
# ledgerctl bundle and bundle verify as processes: bundles made online and offline verify with
# no server (the server is stopped and the data directory removed first); a bundle with ANY one
# byte changed fails, for every byte; another log's key fails; exit codes.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data bundle.example/log
"$ledgerd" init --data-dir impostor --origin bundle.example/log --admin-key admin.key.pub > impostor.out
impostor=$(sed -n 's/^checkpoint verifier key: //p' impostor.out)
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null

"$ctl" bundle 14 --server "$server" --out online.json --log-key verifier-key > made.txt
grep -q "^wrote online.json: entry 14 (seed-novak-pipeline-ready) in the tree of size 19" made.txt \
  || fail "bundle"
# Entry 0 is signed by the genesis admin key, which no entry registers: online, the key must
# be given.
expect_exit 4 "$ctl" bundle 0 --server "$server" --out genesis-signed.json 2> genesis.err
grep -q "give its public key with --public-key" genesis.err || fail "genesis key message"
"$ctl" bundle 0 --server "$server" --out admin-signed.json --public-key admin.key.pub > /dev/null
expect_exit 1 "$ctl" bundle 14 --server "$server" --out x.json --public-key admin.key.pub 2> wrongpub.err
stop_server
"$ctl" bundle 14 --data-dir data --out offline.json > /dev/null
"$ctl" bundle 0 --data-dir data --out admin-offline.json --json > made.json
[[ $(json_field made.json sequence) == 0 ]] || fail "bundle --json"
cmp -s online.json offline.json || fail "online and offline bundles differ"
"$ctl" bundle 17 --data-dir data --out review.json > /dev/null
expect_exit 1 "$ctl" bundle --data-dir data --out x.json 2> noseq.err
# C2SP tlog-proof: the same content in the ecosystem's text format.
"$ctl" bundle 14 --data-dir data --format tlog-proof --out claim-14.tlog-proof \
  --log-key verifier-key > /dev/null
head -1 claim-14.tlog-proof | grep -qx "c2sp.org/tlog-proof@v1" || fail "tlog-proof header"
sed -n 3p claim-14.tlog-proof | grep -qx "index 14" || fail "tlog-proof index line"
expect_exit 1 "$ctl" bundle 14 --data-dir data --format xml --out x 2> badformat.err
grep -q "must be json or tlog-proof" badformat.err || fail "bundle --format message"
expect_exit 4 "$ctl" bundle 19 --data-dir data --out x.json 2> beyond.err

# No server, no data directory: only the files and the verifier key.
rm -rf data
"$ctl" bundle verify online.json admin-signed.json admin-offline.json review.json \
  --log-key verifier-key > verified.txt
[[ $(grep -c ": verified$" verified.txt) -eq 4 ]] || fail "bundle verify"
grep -q "Alexander Novak" verified.txt || fail "bundle verify does not show the claim"
"$ctl" bundle verify claim-14.tlog-proof --log-key verifier-key > tlog.txt
grep -q "^claim-14.tlog-proof: verified$" tlog.txt && grep -q "Alexander Novak" tlog.txt \
  || fail "bundle verify of a tlog-proof: $(cat tlog.txt)"
"$ctl" bundle verify --json claim-14.tlog-proof --log-key verifier-key > tlog.json
[[ $(json_field tlog.json format) == tlog-proof && $(json_field tlog.json sequence) == 14 ]] \
  || fail "bundle verify --json of a tlog-proof"
expect_exit 2 "$ctl" bundle verify claim-14.tlog-proof --log-key "$impostor" > /dev/null
sed 's/^index 14$/index 13/' claim-14.tlog-proof > other-index.tlog-proof
expect_exit 2 "$ctl" bundle verify other-index.tlog-proof --log-key verifier-key > other.txt
grep -q "NOT VERIFIED" other.txt || fail "a tlog-proof with another index verifies"
"$ctl" bundle verify --json online.json --log-key "$verifier" > verified.json
[[ $(json_field verified.json verified) == True && $(json_field verified.json sequence) == 14 ]] \
  || fail "bundle verify --json"
expect_exit 2 "$ctl" bundle verify online.json --log-key "$impostor" > impostor.txt
grep -q "NOT VERIFIED: bundle: the checkpoint does not verify" impostor.txt || fail "impostor"
expect_exit 1 "$ctl" bundle verify no-such-file.json --log-key verifier-key 2> nofile.err
expect_exit 1 "$ctl" bundle verify online.json 2> nokey.err

# Every byte of the bundle, changed (bit 0 flipped; and for letters, the case flipped too, which
# lenient hex or base64 decoders would forgive): every mutated file must fail. One process
# checks them all; a sample is also checked one file per process for the exit code.
mkdir mutants
/usr/bin/python3 - online.json mutants <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
n = 0
for i, b in enumerate(data):
    for flip in (0x01, 0x20) if chr(b).isalpha() else (0x01,):
        m = bytearray(data)
        m[i] ^= flip
        open("%s/%05d-%02x.json" % (sys.argv[2], i, flip), "wb").write(m)
        n += 1
print(n)
PY
count=$(ls mutants | wc -l)
[[ $count -gt $(wc -c < online.json) ]] || fail "too few mutants: $count"
expect_exit 2 "$ctl" bundle verify --json --log-key verifier-key mutants/*.json > mutants.txt
[[ $(grep -c '"verified":false' mutants.txt) -eq $count ]] \
  || fail "$(grep -c '"verified":true' mutants.txt) of $count mutated bundles still verify: $(grep '"verified":true' mutants.txt | head -3)"
for f in $(ls mutants/*.json | awk 'NR % 97 == 1'); do
  expect_exit 2 "$ctl" bundle verify "$f" --log-key verifier-key > /dev/null
done
# The unmutated file still verifies (the loop above did not just break everything).
"$ctl" bundle verify online.json --log-key verifier-key > /dev/null
echo "bundle OK ($count mutants)"
