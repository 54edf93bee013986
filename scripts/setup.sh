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
  nlohmann-json3-dev       # test-vector parsing in tests
  python3-grpcio python3-protobuf python3-nacl   # the independent Python client in tests/interop
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
