#!/usr/bin/env bash
# ledgerctl tail as a process: entries from --from N, then live ones as they are appended,
# printed as `log` prints them (--json as `log --json`); SIGINT ends it with exit 0, and a
# server that goes away ends it with exit 3 and where to resume.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data tail.example/log
"$ctl" import --server "$server" --key desk.key "$examples/seed-claims.jsonl" > /dev/null

# wait_lines FILE N: until FILE has N lines.
wait_lines() {
  for _ in $(seq 150); do [[ -f "$1" && $(wc -l < "$1") -ge $2 ]] && return 0; sleep 0.1; done
  fail "$1 has $(wc -l < "$1") lines, want $2"
}

# From the head (the default): only what is appended after it started.
"$ctl" tail --server "$server" > live.txt 2> live.err &
tail_pid=$!
# From 0, as JSON: the whole log, then the new entries.
"$ctl" tail --server "$server" --from 0 --json > all.json 2> all.err &
json_pid=$!
wait_lines all.json 17
# Both are subscribed once the JSON one has the whole log; the other one printed nothing yet.
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
wait_lines all.json 19
wait_lines live.txt 2
"$ctl" log --server "$server" --from 17 > log-tail.txt
cmp live.txt log-tail.txt || fail "tail rows differ from log rows"
"$ctl" log --server "$server" --limit 0 --json > log.json
cmp all.json log.json || fail "tail --json differs from log --json"

# SIGINT: a clean exit 0.
kill -INT "$tail_pid"
set +e; wait "$tail_pid"; rc=$?; set -e
[[ $rc -eq 0 ]] || fail "tail exit $rc after SIGINT: $(cat live.err)"
[[ ! -s live.err ]] || fail "tail wrote to stderr on SIGINT: $(cat live.err)"

# The server stops: exit 3, saying where to resume.
stop_server
set +e; wait "$json_pid"; rc=$?; set -e
[[ $rc -eq 3 ]] || fail "tail exit $rc when the server stopped, want 3"
grep -q -- "--from 19" all.err || fail "no resume hint: $(cat all.err)"

expect_exit 1 "$ctl" tail --server "$server" --from -1 2> bad-from.err
echo "tail OK"
