#!/usr/bin/env bash
# ledgerctl proof and checkpoint as processes: inclusion and consistency proofs checked locally
# against the verifier key from init, online and offline; what fails and with which exit code.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

start_ledger data proof.example/log
"$ledgerd" init --data-dir impostor --origin proof.example/log --admin-key admin.key.pub > impostor.out
impostor=$(sed -n 's/^checkpoint verifier key: //p' impostor.out)
# Several group commits, so that several tree sizes have a signed checkpoint.
"$ctl" import --server "$server" --key desk.key --batch-size 5 "$examples/seed-claims.jsonl" > /dev/null
"$ctl" import --server "$server" --key desk.key "$examples/seed-followups.jsonl" > /dev/null
# Sizes with a stored checkpoint: 1 (register-key), 6, 11, 16, 17 (batches of 5 and 1), 19.
for size in 1 6 11 16 17 19; do
  "$ctl" checkpoint --server "$server" --size "$size" --log-key verifier-key --json > cp.json
  [[ $(json_field cp.json tree_size) == "$size" ]] || fail "checkpoint --size $size"
done
expect_exit 4 "$ctl" checkpoint --server "$server" --size 7 2> nocp.err
expect_exit 2 "$ctl" checkpoint --server "$server" --log-key "$impostor" 2> badcp.err

for src in "--server $server" "--data-dir data"; do
  # shellcheck disable=SC2086
  for seq in 0 5 14 18; do
    "$ctl" proof $src --sequence "$seq" --log-key verifier-key > incl.txt
    grep -q "^entry $seq (leaf [0-9a-f]*) is included in the signed tree of size 19 .*: verified$" incl.txt \
      || fail "$src: inclusion of $seq"
  done
  "$ctl" proof $src --sequence 3 --log-key "$verifier" --json > incl.json
  [[ $(json_field incl.json verified) == True && $(json_field incl.json tree_size) == 19 ]] \
    || fail "$src: inclusion --json"
  expect_exit 4 "$ctl" proof $src --sequence 19 --log-key verifier-key 2> beyond.err
  expect_exit 2 "$ctl" proof $src --sequence 3 --log-key "$impostor" 2> impostor.err
  grep -q "does not verify" impostor.err || fail "$src: impostor message"

  for pair in "1 6" "6 11" "1 19" "11 17" "16 19" "17 19"; do
    set -- $pair
    "$ctl" proof $src --consistency "$1" "$2" --log-key verifier-key > cons.txt
    grep -q "^the signed tree of size $2 (root [0-9a-f]*) extends the signed tree of size $1 .*: verified$" cons.txt \
      || fail "$src: consistency $pair"
  done
  "$ctl" proof $src --consistency 6 --log-key verifier-key > cons-latest.txt
  grep -q "size 19 .* extends the signed tree of size 6" cons-latest.txt || fail "$src: to the latest"
  "$ctl" proof $src --consistency 11 11 --log-key verifier-key > cons-equal.txt || fail "$src: equal sizes"
  # A trusted size 0 is trivially consistent with anything.
  "$ctl" proof $src --consistency 0 --log-key verifier-key --json > cons0.json
  [[ $(json_field cons0.json verified) == True && $(json_field cons0.json to_tree_size) == 19 ]] \
    || fail "$src: consistency from 0"
  expect_exit 1 "$ctl" proof $src --consistency 11 6 --log-key verifier-key 2> backwards.err
  expect_exit 4 "$ctl" proof $src --consistency 7 --log-key verifier-key 2> nofrom.err
  expect_exit 2 "$ctl" proof $src --consistency 6 --log-key "$impostor" 2> impostor2.err
  expect_exit 1 "$ctl" proof $src --log-key verifier-key 2> neither.err
  expect_exit 1 "$ctl" proof $src --sequence 1 --consistency 1 --log-key verifier-key 2> both.err
done
echo "proof OK"
