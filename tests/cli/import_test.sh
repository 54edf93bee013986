#!/usr/bin/env bash
# ledgerctl import as a process: JSON Lines twice (idempotent), a refused batch that falls back
# to one event at a time, rows the server would refuse, the LIAR adapter on real data (when
# ../shared/data is present), an unreachable server.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data import.example/log

# The seed file, twice: the second run appends nothing.
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > first.txt
grep -qx "16 appended, 0 already present, 0 refused" first.txt || fail "first import"
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" --json > second.json
[[ $(json_field second.json appended) == 0 && $(json_field second.json already_present) == 16 \
   && $(json_field second.json refused) == 0 ]] || fail "second import is not idempotent"
# Small batches (and stdin) change nothing either.
"$ctl" import --server "$server" --key desk.key --batch-size 3 - < "$examples/seed-claims.jsonl" > third.txt
grep -qx "0 appended, 16 already present, 0 refused" third.txt || fail "batch size 3"
[[ $("$ctl" log --server "$server" --limit 0 | wc -l) -eq 17 ]] || fail "log size after imports"

# A review of a claim that does not exist passes the local checks but the server refuses it:
# its batch is retried one event at a time, the others are appended, exit 4.
cat > fallback.jsonl <<'JSONL'
{"eventId":"fb-a","event":{"claimAsserted":{"claim":{"claimant":{"name":"A"},"statement":{"text":"a"},"source":{"url":"https://example.org/a"}}}}}
{"eventId":"fb-x","event":{"claimReviewed":{"claimId":"no-such-claim","ratingText":"False","reviewer":"R","bestRating":5}}}
{"eventId":"fb-b","event":{"claimAsserted":{"claim":{"claimant":{"name":"B"},"statement":{"text":"b"},"source":{"url":"https://example.org/b"}}}}}
JSONL
expect_exit 4 "$ctl" import --server "$server" --key desk.key fallback.jsonl > fallback.txt 2> fallback.err
grep -qx "2 appended, 0 already present, 1 refused" fallback.txt || fail "fallback summary"
grep -q "fallback.jsonl:2: event fb-x refused: .*CLAIM_NOT_FOUND" fallback.err || fail "fallback message"
"$ctl" log --server "$server" --newest-first --limit 2 > fb-log.txt
grep -q "fb-b" fb-log.txt && grep -q "fb-a" fb-log.txt || fail "fallback events not appended"

# Lines that are not events, or that the server would refuse, are named and skipped.
cat > bad.jsonl <<'JSONL'
{"eventId":"ok-1","event":{"claimAsserted":{"claim":{"claimant":{"name":"C"},"statement":{"text":"c"},"source":{"url":"https://example.org/c"}}}}}
not json
{"eventId":"empty-statement","event":{"claimAsserted":{"claim":{"claimant":{"name":"D"},"source":{"url":"https://example.org/d"}}}}}
{"eventId":"bad id!","event":{"claimAsserted":{"claim":{"claimant":{"name":"E"},"statement":{"text":"e"},"source":{"url":"https://example.org/e"}}}}}
JSONL
expect_exit 4 "$ctl" import --server "$server" --key desk.key bad.jsonl > bad.txt 2> bad.err
grep -qx "1 appended, 0 already present, 3 refused" bad.txt || fail "bad lines summary"
grep -q "bad.jsonl:2: skipped: not a ledger.v1.EventDraft" bad.err || fail "line 2 not named"
grep -q "bad.jsonl:3: skipped: event empty-statement: event.claim_asserted.claim.statement" bad.err || fail "line 3 not named"
grep -q "bad.jsonl:4: skipped: event bad id!" bad.err || fail "line 4 not named"

# LIAR rows the server would refuse: an empty statement, an over-long speaker, an unknown
# label, a short row. Each is reported with its line number and counted (two events a row).
long=$(head -c 600 /dev/zero | tr '\0' 'x')
{
  printf '9001.json\ttrue\tA fine statement.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n'
  printf '9002.json\tfalse\t\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n'
  printf '9003.json\tfalse\tToo long a speaker.\teconomy\t%s\t\t\t\t0\t0\t0\t0\t0\tctx\n' "$long"
  printf '9004.json\tmaybe\tUnknown label.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\tctx\n'
  printf 'short row\n'
} > bad-liar.tsv
expect_exit 4 "$ctl" import --server "$server" --key desk.key --format liar bad-liar.tsv > bad-liar.txt 2> bad-liar.err
grep -qx "2 appended, 0 already present, 8 refused" bad-liar.txt || fail "bad LIAR rows summary"
for n in 2 3 4 5; do grep -q "bad-liar.tsv:$n: skipped" bad-liar.err || fail "LIAR line $n not named"; done
"$ctl" show --server "$server" "$("$ctl" log --server "$server" --newest-first --limit 1 --json | sed 's/^{"sequence":\([0-9]*\).*/\1/')" > liar-show.txt
grep -q "reviews      liar-9001" liar-show.txt || fail "LIAR verdict: $(cat liar-show.txt)"
grep -q "rating       true (5 on a scale of 0 to 5)" liar-show.txt || fail "LIAR rating"

# The first 200 rows of the real data set: 400 events, then all already present.
liar="${LEDGER_SHARED_DIR:-$(dirname "$(readlink -f "$TEST_SRCDIR/factledger/tests/cli/testlib.sh")")/../../../shared}/data/liar/train.tsv"
if [[ -r "$liar" ]]; then
  head -200 "$liar" > liar200.tsv
  "$ctl" import --server "$server" --key desk.key --format liar liar200.tsv > liar1.txt
  grep -qx "400 appended, 0 already present, 0 refused" liar1.txt || fail "LIAR import"
  "$ctl" import --server "$server" --key desk.key --format liar liar200.tsv > liar2.txt
  grep -qx "0 appended, 400 already present, 0 refused" liar2.txt || fail "LIAR re-import"
  first_id=$(head -1 liar200.tsv | cut -f1 | sed 's/\.json$//')
  "$ctl" log --server "$server" --type assert --json --limit 0 > asserts.json
  grep -q "\"event_id\":\"liar-$first_id\"" asserts.json || fail "no claim liar-$first_id"
  grep -q '"url":"https://www.politifact.com/factchecks/"' asserts.json || fail "LIAR source url"
else
  echo "SKIP: $liar is absent; LIAR import not run"
fi

# An unreachable server: exit 3 before anything is read.
stop_server
expect_exit 3 "$ctl" import --server "$server" --timeout 2 --key desk.key "$examples/seed-claims.jsonl" > /dev/null 2> down.err
echo "import OK"
