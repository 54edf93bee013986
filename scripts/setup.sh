#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and only those that are missing.
# Does nothing (and needs no network or root) when everything is already installed.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap          # the build (Bazel 4.2.3, offline; WORKSPACE uses third_party/ mocks)
  g++                      # compiler
  pkg-config
  librocksdb-dev           # storage
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev
  libsodium-dev            # Ed25519
  libssl-dev               # SHA-256 (OpenSSL EVP, SHA-NI)
  libgtest-dev libgmock-dev librapidcheck-dev
  libcli11-dev             # CLI parsing
  prometheus-cpp-dev       # /metrics
  nlohmann-json3-dev       # test-vector parsing in tests
  libicu-dev               # Unicode case folding of the views' index terms
  libcivetweb-dev          # the HTTP listener (tlog-tiles API, explorer): service/http
  zlib1g-dev               # gzip of tlog-tiles entry bundles (service/tiles_http)
  libtcmalloc-minimal4     # the malloc of ledgerd and ledgerctl (third_party/system.BUILD)
  python3-grpcio python3-protobuf python3-nacl   # the independent Python client in tests/interop
  chromium                 # the explorer's real-browser test (tests/explorer), headless
  # High availability (issue 18): etcd for election and fenced checkpoints; its .proto files
  # (golang-etcd-server-dev) generate the C++ client stubs at build time (third_party/etcd.BUILD).
  etcd-server etcd-client golang-etcd-server-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# The independent Node.js client in tests/interop_node: Debian's nodejs and npm when node is not
# on PATH, then the locked @grpc/grpc-js and @grpc/proto-loader into tests/interop_node/node_modules
# (not committed). Nothing to do once node_modules is there.
NODE_TEST_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/interop_node"
if [[ ! -d "${NODE_TEST_DIR}/node_modules/@grpc/grpc-js" ]]; then
  if ! command -v node >/dev/null 2>&1; then
    echo "setup: installing nodejs npm" >&2
    NODE_SUDO=""
    if [[ $(id -u) -ne 0 ]]; then NODE_SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $NODE_SUDO apt-get update -q >&2
    $NODE_SUDO apt-get install -y -q --no-install-recommends nodejs npm >&2
  fi
  if ! npm_out=$(npm ci --prefix "${NODE_TEST_DIR}" --no-audit --no-fund 2>&1); then
    echo "setup: npm ci in tests/interop_node failed:" >&2
    echo "${npm_out}" >&2
    exit 1
  fi
fi

# The explorer's browser test (tests/explorer): puppeteer-core, locked, into
# tests/explorer/node_modules (not committed). puppeteer-core never downloads a browser; the test
# points it at Debian's /usr/bin/chromium (installed above).
EXPLORER_TEST_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/explorer"
if [[ ! -d "${EXPLORER_TEST_DIR}/node_modules/puppeteer-core" ]]; then
  if ! npm_out=$(PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "${EXPLORER_TEST_DIR}" --no-audit --no-fund 2>&1); then
    echo "setup: npm ci in tests/explorer failed:" >&2
    echo "${npm_out}" >&2
    exit 1
  fi
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
