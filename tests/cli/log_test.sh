#!/usr/bin/env bash
# ledgerctl log as a process: every filter, both orders, paging, online and offline alike.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data log.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
desk_key_id=$("$ctl" log --server "$server" --type assert --limit 1 --json | sed 's/.*"key_id":"\([0-9a-f]*\)".*/\1/')
admin_key_id=$("$ctl" log --server "$server" --type key+ --json | sed 's/.*"key_id":"\([0-9a-f]*\)".*/\1/')

seqs() { sed 's/^ *\([0-9]*\) .*/\1/' | tr '\n' ' '; }
for src in "--server $server" "--data-dir data"; do
  # shellcheck disable=SC2086
  run() { "$ctl" log $src "$@"; }
  [[ $(run --limit 0 | wc -l) -eq 19 ]] || fail "$src: all"
  [[ $(run | wc -l) -eq 19 ]] || fail "$src: default limit"
  [[ $(run --type review | seqs) == "17 " ]] || fail "$src: --type review"
  [[ $(run --type review,correct | seqs) == "17 18 " ]] || fail "$src: two types"
  [[ $(run --type key+ --type review | seqs) == "0 17 " ]] || fail "$src: repeated --type"
  [[ $(run --type retract | wc -l) -eq 0 ]] || fail "$src: no retractions"
  [[ $(run --key "${admin_key_id:0:6}" | seqs) == "0 " ]] || fail "$src: --key admin"
  [[ $(run --key "${desk_key_id:0:10}" | wc -l) -eq 18 ]] || fail "$src: --key desk"
  [[ $(run --key "${desk_key_id^^}" | wc -l) -eq 18 ]] || fail "$src: --key uppercase"
  [[ $(run --newest-first --limit 3 | seqs) == "18 17 16 " ]] || fail "$src: newest first"
  [[ $(run --newest-first --from 5 --limit 3 | seqs) == "5 4 3 " ]] || fail "$src: newest first from"
  [[ $(run --from 16 | seqs) == "16 17 18 " ]] || fail "$src: --from"
  [[ $(run --from 2 --limit 2 | seqs) == "2 3 " ]] || fail "$src: page 2"
  [[ $(run --from 4 --limit 2 | seqs) == "4 5 " ]] || fail "$src: page 3"
  [[ $(run --type assert --from 15 --limit 5 | seqs) == "15 16 " ]] || fail "$src: filter + page"
  [[ $(run --from 100 | wc -l) -eq 0 ]] || fail "$src: past the end"
  today=$(date -u +%F)
  [[ $(run --since "$today" --limit 0 | wc -l) -eq 19 ]] || fail "$src: --since today"
  [[ $(run --until "$today" --limit 0 | wc -l) -eq 19 ]] || fail "$src: --until today (whole day)"
  [[ $(run --until 2020-01-01 | wc -l) -eq 0 ]] || fail "$src: --until long ago"
  [[ $(run --since 2999-01-01T00:00:00Z | wc -l) -eq 0 ]] || fail "$src: --since the future"
  # The boundary is inclusive: --since and --until at entry 5's exact time include it.
  t5=$(run --from 5 --limit 1 --json | sed 's/.*"recorded_time_micros":\([0-9]*\).*/\1/')
  t5_rfc=$(/usr/bin/python3 -c "import datetime,sys; t=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(t//10**6, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (t % 10**6))" "$t5")
  run --since "$t5_rfc" --until "$t5_rfc" --json > window.json
  grep -q '"sequence":5,' window.json || fail "$src: inclusive window at $t5_rfc"
  run --json --from 14 --limit 1 > one.json
  grep -q '"sequence":14,' one.json && grep -q '"event":{"claimAsserted"' one.json || fail "$src: --json"
  expect_exit 1 "$ctl" log $src --type bogus 2> bad-type.err
  expect_exit 1 "$ctl" log $src --since yesterday 2> bad-since.err
  expect_exit 1 "$ctl" log $src --key xyz 2> bad-key.err
done
# A page that stops before the end says where the next one starts (also in JSON, also when
# stderr is not a terminal); the last page says nothing.
"$ctl" log --server "$server" --from 2 --limit 2 --json > page.json 2> page.err
grep -qx "ledgerctl: listed 2 entries; more exist: the next page starts at --from 4 (--limit 0 lists all)" page.err \
  || fail "log: truncation not said"
"$ctl" log --server "$server" --from 17 --limit 2 > last.txt 2> last.err
[[ ! -s last.err ]] || fail "log: the last page said more exist"
"$ctl" log --server "$server" --type review --limit 1 > review.txt 2> review.err
[[ ! -s review.err ]] || fail "log: more said to exist past the only match"
stop_server
expect_exit 3 "$ctl" log --server "$server" --timeout 2 2> down.err
expect_exit 3 "$ctl" log --data-dir no-such-dir 2> nodir.err
echo "log OK"
