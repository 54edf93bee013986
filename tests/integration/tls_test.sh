#!/usr/bin/env bash
# TLS and mutual TLS: handshakes that must succeed and ones that must fail, with real
# certificates made by openssl for this test.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/testing/shell.sh"  # wait_for_port_file, wait_until

ledgerd="$TEST_SRCDIR/factledger/service/ledgerd"
ctl="$TEST_SRCDIR/factledger/cli/ledgerctl"
work="$TEST_TMPDIR/tls"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 0; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA.
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
make_cert() {  # name, ca, extension
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
make_ca ca
make_ca other-ca
make_cert server ca "subjectAltName=IP:127.0.0.1"
make_cert client ca "extendedKeyUsage=clientAuth"
make_cert stranger other-ca "extendedKeyUsage=clientAuth"

"$ctl" keygen --out admin.key >/dev/null
"$ledgerd" init --data-dir data --origin tls.example/log --admin-key admin.key.pub >/dev/null

start() {  # port-file, extra flags...
  local port_file=$1; shift
  "$ledgerd" serve --data-dir data --listen 127.0.0.1:0 --port-file "$port_file" "$@" \
    2>>server.log &
  pids+=($!)
  wait_for_port_file "$port_file" "${pids[-1]}" server.log ledgerd
}

# TLS only.
start tls.port --tls-cert server.pem --tls-key server.key
tls="127.0.0.1:$(cat tls.port)"
"$ctl" checkpoint --server "$tls" --tls-ca ca.pem --timeout 5 | grep -q "^tls.example/log$" \
  || fail "TLS with the right CA"
if "$ctl" checkpoint --server "$tls" --timeout 3 >/dev/null 2>&1; then
  fail "plaintext client talked to a TLS server"
fi
if "$ctl" checkpoint --server "$tls" --tls-ca other-ca.pem --timeout 3 >/dev/null 2>&1; then
  fail "TLS accepted a server certificate from an untrusted CA"
fi
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

# Mutual TLS.
start mtls.port --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem
mtls="127.0.0.1:$(cat mtls.port)"
"$ctl" checkpoint --server "$mtls" --tls-ca ca.pem --tls-cert client.pem --tls-key client.key \
  --timeout 5 | grep -q "^tls.example/log$" || fail "mTLS with a valid client certificate"
if "$ctl" checkpoint --server "$mtls" --tls-ca ca.pem --timeout 3 >/dev/null 2>&1; then
  fail "mTLS accepted a client without a certificate"
fi
if "$ctl" checkpoint --server "$mtls" --tls-ca ca.pem --tls-cert stranger.pem \
     --tls-key stranger.key --timeout 3 >/dev/null 2>&1; then
  fail "mTLS accepted a client certificate from another CA"
fi
# Writes work over mTLS too.
"$ctl" keygen --out desk.key >/dev/null
"$ctl" register-key --server "$mtls" --tls-ca ca.pem --tls-cert client.pem --tls-key client.key \
  --signer admin.key --public-key desk.key.pub | grep -q "at sequence 0" || fail "append over mTLS"
grep -q '"tls":"mtls"' server.log || fail "server log does not say mtls"
echo "tls OK"
