#!/usr/bin/env bash
# Errors a new user meets, as processes: an unknown command, nothing listening at --server, TLS
# on one side only, and a second ledgerd on a data directory in use. Each names what is wrong
# and says what to check.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/cli/testlib.sh"

# An unknown command is named, with the list of commands.
expect_exit 1 "$ctl" frobnicate --server 127.0.0.1:1 > unknown.txt 2> unknown.err
grep -q "unknown command 'frobnicate'" unknown.err || fail "unknown command not named"
grep -q "import" unknown.err && grep -q "tail" unknown.err || fail "commands not listed"
if grep -q "A subcommand is required" unknown.err; then fail "CLI11's message leaked"; fi

start_ledger data usage.example/log
# A second ledgerd on the same data directory: refused, naming the directory and the pid.
expect_exit 2 "$ledgerd" serve --data-dir data --listen 127.0.0.1:0 2> second.err
grep -q "data directory data is in use by another ledgerd (pid $server_pid)" second.err \
  || fail "data directory in use not explained"
if grep -q "LOCK" second.err; then fail "RocksDB's LOCK error leaked"; fi

# TLS asked of a plaintext server.
if command -v openssl > /dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=ca" -keyout ca.key -out ca.pem 2>/dev/null
  expect_exit 3 "$ctl" stats --server "$server" --tls-ca ca.pem --timeout 5 2> tls.err
  grep -q "TLS handshake with $server failed" tls.err || fail "TLS mismatch not explained"
  grep -q "plaintext" tls.err || fail "no plaintext hint"
fi
stop_server

# A TLS server asked in plaintext.
if command -v openssl > /dev/null; then
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=server" \
    -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem 2>/dev/null
  rm -f port
  "$ledgerd" serve --data-dir data --listen 127.0.0.1:0 --port-file port \
    --tls-cert server.pem --tls-key server.key 2>> server.log &
  server_pid=$!
  wait_for_port_file port "$server_pid" server.log "the TLS ledgerd"
  tls_server="127.0.0.1:$(cat port)"
  "$ctl" stats --server "$tls_server" --tls-ca ca.pem > /dev/null || fail "TLS stats"
  expect_exit 3 "$ctl" stats --server "$tls_server" --timeout 5 2> plain.err
  grep -q "$tls_server" plain.err && grep -q -- "--tls-ca" plain.err \
    || fail "plaintext to a TLS server not explained"
  stop_server
fi

# Nothing listening: the address, and what to check.
expect_exit 3 "$ctl" stats --server "$server" --timeout 5 2> down.err
grep -q "cannot reach ledgerd at $server: nothing is listening there" down.err \
  || fail "refused connection not explained"
grep -q -- "--server" down.err || fail "no --server hint"
expect_exit 3 "$ctl" log --server "$server" --timeout 5 2> down-log.err
grep -q "cannot reach ledgerd at $server" down-log.err || fail "log: refused connection"
echo "usage errors OK"
