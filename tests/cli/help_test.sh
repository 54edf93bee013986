#!/usr/bin/env bash
# Every ledgerctl command has help with an example and a --json flag; bad usage exits 1.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

"$ctl" --help > main.txt
grep -q "Exit codes: 0 ok; 1 usage; 2 not intact or a proof fails; 3 unreachable; 4 refused" main.txt \
  || fail "main help lacks the exit codes"
for cmd in keygen register-key revoke-key submit import export log show checkpoint proof \
           bundle "bundle verify" stats verify tail claim claims history as-of tally views \
           rebuild; do
  # shellcheck disable=SC2086
  "$ctl" $cmd --help > help.txt || fail "$cmd --help exits non-zero"
  grep -q "^Example" help.txt || fail "$cmd --help has no example"
  grep -q -- "--json" help.txt || fail "$cmd has no --json"
done
# The reading commands take --data-dir, as the footer says (tail follows a live server).
for cmd in log show export stats verify claim claims history as-of tally views; do
  "$ctl" $cmd --help | grep -q -- "--data-dir" || fail "$cmd has no --data-dir"
done
expect_exit 1 "$ctl" 2> none.err
expect_exit 1 "$ctl" no-such-command 2> unknown.err
expect_exit 1 "$ctl" log --no-such-flag 2> flag.err
expect_exit 1 "$ctl" import 2> missing.err
echo "help OK"
