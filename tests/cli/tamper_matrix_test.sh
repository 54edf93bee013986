#!/usr/bin/env bash
# The tamper matrix: tests/cli/tamper edits a closed data directory's RocksDB store directly,
# one way per case, on a fresh copy of the same log; `ledgerctl verify` (a process) must exit
# 2 and name the first bad sequence number (a bad checkpoint by its tree size). Truncation and
# re-signing leave a log that is intact on its own terms: they are caught given a checkpoint
# trusted from before (--state-file from an earlier run, or --log-key pinned from init).
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger pristine tamper.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
stop_server
"$ctl" keygen --out stranger.key > /dev/null
# The audit before any tampering: intact; it records the trusted checkpoint (size 19).
"$ctl" verify --data-dir pristine --state-file trusted > pristine.txt
grep -q "^intact: 19 entries" pristine.txt || fail "pristine log is not intact"
cp trusted trusted.orig

# fresh CASE: a copy of the pristine log to tamper with.
fresh() { rm -rf "$1"; cp -a pristine "$1"; }
# expect_bad CASE SEQUENCE VERIFY-FLAGS...: verify exits 2 naming SEQUENCE first.
expect_bad() {
  local dir=$1 seq=$2; shift 2
  expect_exit 2 "$ctl" verify --data-dir "$dir" "$@" > "$dir.txt"
  grep -q "^NOT INTACT: first bad sequence $seq$" "$dir.txt" || fail "$dir: want first bad sequence $seq: $(cat "$dir.txt")"
  "$ctl" verify --data-dir "$dir" "$@" --json > "$dir.json" || true
  [[ $(json_field "$dir.json" first_bad_sequence) == "$seq" && $(json_field "$dir.json" intact) == False ]] \
    || fail "$dir: verify --json"
}
# The tampered store still opens (only the audit notices).
opens() { "$ctl" checkpoint --data-dir "$1" > /dev/null || fail "$1: the tampered store does not open"; }

fresh payload;   "$tamper" payload payload 5;      opens payload;   expect_bad payload 5
fresh signature; "$tamper" signature signature 7;  opens signature; expect_bad signature 7
grep -q "signature does not verify" signature.txt || fail "signature: $(cat signature.txt)"
fresh swap;      "$tamper" swap swap 3 9;          opens swap;      expect_bad swap 3
fresh delete;    "$tamper" delete delete 6;        opens delete;    expect_bad delete 6
grep -q "entry 6 is missing" delete.txt || fail "delete: $(cat delete.txt)"

# A validly signed entry by an unregistered key, appended with nodes, indexes, head and a
# checkpoint signed by the log key: reads and proofs accept it; the audit does not.
fresh foreign; "$tamper" foreign foreign stranger.key; opens foreign
"$ctl" log --data-dir foreign --newest-first --limit 1 | grep -q "foreign-claim" || fail "foreign: not listed"
"$ctl" proof --data-dir foreign --sequence 19 --log-key verifier-key > /dev/null \
  || fail "foreign: the forged entry should have a valid proof (only the audit can tell)"
expect_bad foreign 19
grep -q "not registered" foreign.txt || fail "foreign: $(cat foreign.txt)"

# Truncation by 3 entries, rewritten consistently: caught by the directory's own anchor (issue
# 15: verify checks it, naming both sizes); with the anchor gone too, intact on its own terms,
# caught against the checkpoint trusted before.
fresh truncate; "$tamper" truncate truncate 3; opens truncate
expect_bad truncate 16
grep -q "holds 16 entries" truncate.txt && grep -q "tree size 19" truncate.txt \
  || fail "truncate: $(cat truncate.txt)"
rm truncate/checkpoint.anchor
"$ctl" verify --data-dir truncate > truncate-alone.txt || fail "truncate: the rewrite is inconsistent: $(cat truncate-alone.txt)"
grep -q "^intact: 16 entries" truncate-alone.txt || fail "truncate: $(cat truncate-alone.txt)"
cp trusted.orig trusted
expect_bad truncate 16 --state-file trusted
grep -q "entries were removed" truncate.txt || fail "truncate: $(cat truncate.txt)"
cmp -s trusted trusted.orig || fail "truncate: a failed verify overwrote the state file"
expect_bad truncate 16 --trusted-checkpoint trusted.orig

# A forged checkpoint signature (size 17, a group commit boundary): named by its tree size.
fresh forge; "$tamper" forge forge-checkpoint 17; opens forge
expect_exit 2 "$ctl" verify --data-dir forge > forge.txt
grep -q "^NOT INTACT$" forge.txt && grep -q "checkpoint at tree size 17" forge.txt \
  || fail "forge: $(cat forge.txt)"

# The whole log re-signed with another log key (identity file and log.key replaced): caught by
# the directory's own anchor, signed by the old key; with the anchor gone too, intact on its own
# terms; caught by the state file and by the log key pinned from init.
fresh resign; "$tamper" resign resign; opens resign
expect_exit 2 "$ctl" verify --data-dir resign > resign-anchor.txt
grep -q "checkpoint.anchor is not a checkpoint signed by this log's key" resign-anchor.txt \
  || fail "resign with its anchor: $(cat resign-anchor.txt)"
rm resign/checkpoint.anchor
"$ctl" verify --data-dir resign > resign-alone.txt || fail "resign: inconsistent rewrite: $(cat resign-alone.txt)"
cp trusted.orig trusted
expect_exit 2 "$ctl" verify --data-dir resign --state-file trusted > resign-state.txt
grep -q "^NOT INTACT$" resign-state.txt && grep -q "not signed by the log key in use" resign-state.txt \
  || fail "resign with the state file: $(cat resign-state.txt)"
cmp -s trusted trusted.orig || fail "resign: a failed verify overwrote the state file"
expect_exit 2 "$ctl" verify --data-dir resign --log-key "$verifier" > resign-pinned.txt
grep -q "checkpoint at tree size 0" resign-pinned.txt || fail "resign with --log-key: $(cat resign-pinned.txt)"
expect_exit 2 "$ctl" verify --data-dir resign --log-key verifier-key --json > resign-pinned.json
[[ $(json_field resign-pinned.json intact) == False ]] || fail "resign --json"

# And the untouched copy is still intact against everything trusted.
"$ctl" verify --data-dir pristine --state-file trusted --log-key "$verifier" > still.txt \
  || fail "pristine no longer verifies: $(cat still.txt)"
echo "tamper matrix OK"
