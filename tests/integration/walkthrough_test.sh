#!/usr/bin/env bash
# The README walk-through, driven as processes: ledgerd and ledgerctl on a loopback port.
# Also checks the exit codes the docs promise (verify: 0 intact, 2 not intact).
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/testing/shell.sh"  # wait_for_port_file, wait_until

ledgerd="$TEST_SRCDIR/factledger/service/ledgerd"
ctl="$TEST_SRCDIR/factledger/cli/ledgerctl"
examples="$TEST_SRCDIR/factledger/examples"
work="$TEST_TMPDIR/walkthrough"
rm -rf "$work" && mkdir -p "$work"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
trap '[[ $- == *e* ]] && echo "FAIL: line $LINENO exited non-zero" >&2; for f in *.txt *.json; do echo "== $f"; cat "$f"; done >&2' ERR
server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

"$ctl" keygen --out admin.key >/dev/null
"$ctl" keygen --out desk.key --json > desk.json
grep -q '"key_id"' desk.json || fail "keygen --json has no key_id"
# keygen refuses to overwrite a key.
if "$ctl" keygen --out desk.key >/dev/null 2>&1; then fail "keygen overwrote a key"; fi

"$ledgerd" init --data-dir data --origin walkthrough.example/log --admin-key admin.key.pub > init.txt
verifier=$(sed -n 's/^checkpoint verifier key: //p' init.txt)
[[ "$verifier" == walkthrough.example/log+* ]] || fail "init printed no verifier key"
if "$ledgerd" init --data-dir data --origin walkthrough.example/log --admin-key admin.key.pub 2>/dev/null; then
  fail "init accepted an initialised directory"
fi

"$ledgerd" serve --data-dir data --listen 127.0.0.1:0 --port-file port \
  --metrics-listen 127.0.0.1:0 2> server.log &
server_pid=$!
wait_for_port_file port "$server_pid" server.log ledgerd
server="127.0.0.1:$(cat port)"

"$ctl" register-key --server "$server" --signer admin.key --public-key desk.key.pub --holder "Desk A" > reg.txt
grep -q "at sequence 0" reg.txt || fail "register-key: $(cat reg.txt)"

# An unregistered key is refused with exit code 4 and nothing is written.
"$ctl" keygen --out stranger.key >/dev/null
set +e
"$ctl" submit --server "$server" --key stranger.key "$examples/seed-claims.jsonl" > /dev/null 2> stranger.err
rc=$?
set -e
[[ $rc -eq 4 ]] || fail "unregistered key: exit $rc, want 4"
grep -q "not registered" stranger.err || fail "unregistered key: $(cat stranger.err)"

"$ctl" submit --server "$server" --key desk.key "$examples/seed-claims.jsonl" > submit1.txt
[[ $(grep -c "^appended seed-" submit1.txt) -eq 16 ]] || fail "submit: $(cat submit1.txt)"
"$ctl" submit --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
# Re-running the import is idempotent.
"$ctl" submit --server "$server" --key desk.key "$examples/seed-claims.jsonl" > submit2.txt
[[ $(grep -c "already in the log" submit2.txt) -eq 16 ]] || fail "re-submit: $(cat submit2.txt)"

"$ctl" log --server "$server" --limit 1000 > log.txt
[[ $(wc -l < log.txt) -eq 19 ]] || fail "log lists $(wc -l < log.txt) entries, want 19"
grep -q "Alexander Novak" log.txt || fail "log lacks Novak"
"$ctl" log --server "$server" --json --from 14 --limit 1 > one.json
grep -q '"sequence":14' one.json || fail "log --json: $(cat one.json)"
grep -q '"eventId"\|"event":{' one.json || fail "log --json has no event"

"$ctl" proof --server "$server" --sequence 14 --log-key "$verifier" > proof.txt
grep -q "verified" proof.txt || fail "proof: $(cat proof.txt)"
# A proof checked against another log's key fails.
"$ctl" keygen --out other.key --json > /dev/null
set +e
"$ctl" proof --server "$server" --sequence 14 --log-key "walkthrough.example/log+00000000+AQ$(head -c 32 /dev/zero | base64 | cut -c3-)" > /dev/null 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "proof accepted a wrong verifier key"

# The claim views: one claim with its history, lists, the bitemporal filter, as-of, tallies.
for _ in $(seq 100); do
  "$ctl" views --server "$server" --json | grep -q '"watermark":"19"' && break; sleep 0.1
done
"$ctl" claim --server "$server" seed-article-loc-clashes > claim.txt
grep -q "CORRECTED" claim.txt || fail "claim: $(cat claim.txt)"
grep -q "de facto" claim.txt || fail "claim shows no corrected text: $(cat claim.txt)"
grep -q "claim_corrected" claim.txt || fail "claim history: $(cat claim.txt)"
"$ctl" claim --server "$server" seed-article-loc-clashes --as-of-seq 16 > claim_before.txt
grep -q "ACTIVE" claim_before.txt || fail "as-of claim: $(cat claim_before.txt)"
grep -q "defector" claim_before.txt || fail "as-of claim text: $(cat claim_before.txt)"
"$ctl" history --server "$server" "Sergei Ryabkov" > ryabkov.txt
[[ $(wc -l < ryabkov.txt) -eq 3 ]] || fail "history: $(cat ryabkov.txt)"
"$ctl" claims --server "$server" --claimant "Alexander Novak" --said-from 2015-08 --said-to 2015-08 \
  --json > novak.json
[[ $(wc -l < novak.json) -eq 2 ]] || fail "bitemporal claims: $(cat novak.json)"
"$ctl" claims --server "$server" --claimant "Alexander Novak" --said-from 2015-07 --said-to 2015-07 \
  > novak_july.txt
[[ ! -s novak_july.txt ]] || fail "July filter: $(cat novak_july.txt)"
"$ctl" as-of --server "$server" --as-of-seq 5 --json > asof.json
[[ $(wc -l < asof.json) -eq 5 ]] || fail "as-of 5 lists $(wc -l < asof.json) claims, want 5"
"$ctl" claims --server "$server" --status CORRECTED --json | grep -q seed-article-loc-clashes \
  || fail "status filter"
"$ctl" tally --server "$server" "Seed article (publisher not given)" | grep -q "Unproven" \
  || fail "tally"
"$ctl" views --server "$server" --digests --json > live_views.json

# Prometheus metrics over HTTP, and structured (JSON) log lines.
metrics_port=$(sed -n 's/.*"metrics_port":"\([0-9]*\)".*/\1/p' server.log)
[[ -n "$metrics_port" && "$metrics_port" != 0 ]] || fail "no metrics port in: $(cat server.log)"
/usr/bin/python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$metrics_port/metrics').read().decode())" > metrics.txt
grep -q '^factledger_tree_size 19$' metrics.txt || fail "tree size metric: $(grep tree_size metrics.txt)"
grep -q 'factledger_appends_total{reason="",result="appended"} 19' metrics.txt \
  || fail "appended metric: $(grep appends_total metrics.txt)"
grep -q 'factledger_appends_total{reason="",result="duplicate"} 16' metrics.txt \
  || fail "duplicate metric: $(grep appends_total metrics.txt)"
grep -q 'factledger_appends_total{reason="KEY_NOT_REGISTERED",result="refused"} 16' metrics.txt \
  || fail "refused metric: $(grep appends_total metrics.txt)"
grep -q '^factledger_commit_latency_seconds_count' metrics.txt || fail "no commit latency"
head -1 server.log | grep -q '^{"time":"' || fail "server log is not JSON lines: $(head -1 server.log)"

# verify runs next to the live server (read-only), then again after a clean stop.
"$ctl" verify --data-dir data --state-file trusted > verify1.txt
grep -q "intact: 19 entries" verify1.txt || fail "verify: $(cat verify1.txt)"
[[ -s trusted ]] || fail "verify did not store the trusted checkpoint"
kill -TERM "$server_pid"
wait "$server_pid" || fail "ledgerd did not exit 0 on SIGTERM"
server_pid=""
"$ctl" verify --data-dir data --state-file trusted --json > verify2.json
grep -q '"intact":true' verify2.json || fail "verify --json: $(cat verify2.json)"
grep -q '"trusted_checkpoint_used":true' verify2.json || fail "state file unused"

# Rebuilding the views offline reproduces the live digests byte for byte.
"$ctl" rebuild --data-dir data --json > rebuilt.json
/usr/bin/python3 - live_views.json rebuilt.json <<'PY' || fail "rebuilt digests differ from the live ones"
import base64, json, sys
live = {v["name"]: base64.b64decode(v["digest"]).hex() for v in json.load(open(sys.argv[1]))["views"]}
rebuilt = json.load(open(sys.argv[2]))["digests"]
assert live and live == rebuilt, (live, rebuilt)
PY

# Verifying with an admin key the auditor does not trust fails at the first entry.
set +e
"$ctl" verify --data-dir data --admin-key other.key.pub > verify3.txt
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "verify with a wrong admin key: exit $rc, want 2"
grep -q "first bad sequence 0" verify3.txt || fail "verify: $(cat verify3.txt)"
echo "walkthrough OK"
