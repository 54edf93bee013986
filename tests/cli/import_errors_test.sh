#!/usr/bin/env bash
# ledgerctl import's errors as a process: a directory, an empty file, a LIAR TSV given as JSON
# Lines, a LIAR row that is not UTF-8, and a key the log does not know. Each is one precise
# message (naming the path, line and what to do) and a non-zero exit, and appends nothing.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data import-errors.example/log
log_size() { "$ctl" log --server "$server" --limit 0 | wc -l; }
[[ $(log_size) -eq 1 ]] || fail "a fresh log holds the desk key's registration only"

# A directory.
mkdir events-dir
expect_exit 1 "$ctl" import --server "$server" --key desk.key events-dir > dir.txt 2> dir.err
grep -q "events-dir is a directory" dir.err || fail "directory not named"
[[ ! -s dir.txt ]] || fail "a directory printed a summary"

# An empty file, and one of blank lines only.
: > empty.jsonl
expect_exit 1 "$ctl" import --server "$server" --key desk.key empty.jsonl > empty.txt 2> empty.err
grep -q "empty.jsonl holds no events" empty.err || fail "empty file not named"
[[ ! -s empty.txt ]] || fail "an empty file printed a summary"
printf '\n  \n\n' > blank.jsonl
expect_exit 1 "$ctl" import --server "$server" --key desk.key blank.jsonl 2> blank.err
grep -q "blank.jsonl holds no events" blank.err || fail "blank file not named"

# LIAR rows imported without --format liar: one message with the line and the hint, not one
# per line.
for i in 1 2 3 4 5; do
  printf '%d.json\ttrue\tStatement %d.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n' "$i" "$i"
done > rows.tsv
expect_exit 1 "$ctl" import --server "$server" --key desk.key rows.tsv > tsv.txt 2> tsv.err
[[ $(wc -l < tsv.err) -eq 1 ]] || fail "want one error line for a TSV, got $(wc -l < tsv.err)"
grep -q "rows.tsv:1: .*14 tab-separated columns.*--format liar" tsv.err || fail "TSV hint"
# JSON Lines given as --format liar.
expect_exit 1 "$ctl" import --server "$server" --key desk.key --format liar \
  "$examples/seed-claims.jsonl" 2> json-as-liar.err
[[ $(wc -l < json-as-liar.err) -eq 1 ]] || fail "want one error line for JSON as LIAR"
grep -q "seed-claims.jsonl:1: .*--format jsonl" json-as-liar.err || fail "JSON-as-LIAR hint"

# A LIAR row whose statement is not UTF-8: the line and the column are named.
{
  printf '7001.json\ttrue\tFine.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n'
  printf '7002.json\ttrue\tCaf\xe9 au lait.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n'
} > latin1.tsv
expect_exit 4 "$ctl" import --server "$server" --key desk.key --format liar latin1.tsv \
  > latin1.txt 2> latin1.err
grep -qx "2 appended, 0 already present, 2 refused" latin1.txt || fail "UTF-8 row summary"
grep -q "latin1.tsv:2: skipped: column 3 (statement) is not valid UTF-8 (at byte offset 3)" latin1.err \
  || fail "UTF-8 column not named"
if grep -q "do not parse" latin1.err; then fail "protobuf's message leaked"; fi
[[ $(log_size) -eq 3 ]] || fail "the good LIAR row was not appended"

# A key the log does not know: the first refusal stops the import, with the hint.
"$ctl" keygen --out stranger.key > /dev/null
for signature in batch per-event; do
  expect_exit 4 "$ctl" import --server "$server" --key stranger.key --signature "$signature" \
    "$examples/seed-claims.jsonl" > stranger.txt 2> stranger.err
  [[ $(grep -c "KEY_NOT_REGISTERED" stranger.err) -eq 1 ]] \
    || fail "$signature: want one refusal, got $(grep -c KEY_NOT_REGISTERED stranger.err)"
  grep -q "register-key .*--public-key stranger.key.pub" stranger.err \
    || fail "$signature: no register-key hint"
  grep -qx "0 appended, 0 already present, 0 refused before the import stopped" stranger.txt \
    || fail "$signature: summary"
done
[[ $(log_size) -eq 3 ]] || fail "the refused imports appended something"
stop_server
echo "import errors OK"
