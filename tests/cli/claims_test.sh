#!/usr/bin/env bash
# ledgerctl claims / history / tally / claim as a process: no silent truncation (a limit says
# that more exist; --limit 0 lists everything, as `log --limit 0` does), ids never cut, and the
# same answers offline (--data-dir) as online.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data claims.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
# 123 claims by one claimant (more than a page of 100), one of them with a 70-character id.
long_id="busy-speaker-claim-with-an-id-much-longer-than-thirty-four-characters-0"
{
  for i in $(seq 1 122); do
    printf '{"eventId":"busy-%03d","event":{"claimAsserted":{"claim":{"claimant":{"name":"Busy Speaker"},"statement":{"text":"Statement %d."},"source":{"url":"https://example.org/%d"}}}}}\n' "$i" "$i" "$i"
  done
  printf '{"eventId":"%s","event":{"claimAsserted":{"claim":{"claimant":{"name":"Busy Speaker"},"statement":{"text":"The long one."},"source":{"url":"https://example.org/long"}}}}}\n' "$long_id"
} > busy.jsonl
"$ctl" import --server "$server" --key desk.key busy.jsonl > /dev/null
size=$("$ctl" log --server "$server" --limit 0 | wc -l)
for _ in $(seq 100); do
  "$ctl" views --server "$server" | grep -q "^views at $size of $size entries" && break
  sleep 0.1
done

# The default limit (100) says that more exist and how to list them.
"$ctl" history --server "$server" "Busy Speaker" > history.txt 2> history.err
[[ $(wc -l < history.txt) -eq 100 ]] || fail "history: want 100 rows"
grep -q "listed 100 claims; more exist: --limit 0 lists all" history.err \
  || fail "history: truncation not said"
# --limit 0 lists everything, in every listing command.
"$ctl" history --server "$server" "Busy Speaker" --limit 0 > history-all.txt 2> history-all.err
[[ $(wc -l < history-all.txt) -eq 123 ]] || fail "history --limit 0: want 123 rows"
[[ ! -s history-all.err ]] || fail "history --limit 0 said more exist"
"$ctl" claims --server "$server" --claimant "Busy Speaker" --limit 0 > claims-all.txt
[[ $(wc -l < claims-all.txt) -eq 123 ]] || fail "claims --limit 0: want 123 rows"
"$ctl" claims --server "$server" --limit 0 --json > everything.json
[[ $(wc -l < everything.json) -eq 139 ]] || fail "claims --limit 0: want every claim"
# A limit that lists exactly everything says nothing more.
"$ctl" history --server "$server" "Busy Speaker" --limit 123 > exact.txt 2> exact.err
[[ $(wc -l < exact.txt) -eq 123 && ! -s exact.err ]] || fail "history --limit 123"
"$ctl" claims --server "$server" --claimant "Busy Speaker" --limit 5 --json > five.json 2> five.err
[[ $(wc -l < five.json) -eq 5 ]] || fail "claims --limit 5 --json"
grep -q "listed 5 claims; more exist" five.err || fail "claims --json: truncation not said"
# Ids are never cut: the long one can be pasted back.
grep -q " $long_id " history-all.txt || fail "the long claim id was cut"
"$ctl" log --server "$server" --limit 0 | grep -q " $long_id " || fail "log cut the long id"
"$ctl" claim --server "$server" "$long_id" > long.txt
grep -q "^claim      $long_id " long.txt || fail "claim by its full id"

# Offline: the same answers from the data directory (server stopped, views flushed).
"$ctl" claim --server "$server" seed-article-pipeline-cost > online-claim.txt
"$ctl" tally --server "$server" "Seed article (publisher not given)" > online-tally.txt
"$ctl" claims --server "$server" --topic energy --limit 0 > online-topic.txt
grep -q "^ *1  Unproven" online-tally.txt || fail "online tally: $(cat online-tally.txt)"
stop_server
"$ctl" history --data-dir data "Busy Speaker" --limit 0 > offline-history.txt
cmp history-all.txt offline-history.txt || fail "offline history differs"
"$ctl" claims --data-dir data --limit 0 --json > offline-everything.json
cmp everything.json offline-everything.json || fail "offline claims differ"
"$ctl" claims --data-dir data --topic energy --limit 0 > offline-topic.txt
cmp online-topic.txt offline-topic.txt || fail "offline claims --topic differ"
"$ctl" tally --data-dir data "Seed article (publisher not given)" > offline-tally.txt
cmp online-tally.txt offline-tally.txt || fail "offline tally differs"
"$ctl" claim --data-dir data seed-article-pipeline-cost > offline-claim.txt
cmp online-claim.txt offline-claim.txt || fail "offline claim differs"
"$ctl" history --data-dir data "Busy Speaker" > offline-default.txt 2> offline-default.err
grep -q "more exist" offline-default.err || fail "offline: truncation not said"
# A data directory without views says so, with what to do.
cp -r data no-views && rm -rf no-views/views
expect_exit 3 "$ctl" claims --data-dir no-views 2> no-views.err
grep -q "no views database at no-views/views" no-views.err && grep -q "ledgerctl rebuild --data-dir no-views" no-views.err \
  || fail "missing views not explained"
"$ctl" rebuild --data-dir no-views > /dev/null
"$ctl" claims --data-dir no-views --limit 0 --json > rebuilt.json
cmp everything.json rebuilt.json || fail "claims after rebuild differ"
echo "claims OK"
