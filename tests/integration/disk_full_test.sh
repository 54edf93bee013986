#!/usr/bin/env bash
# Disk full: the data directory on a small tmpfs (in a private mount namespace). Appends are
# refused with RESOURCE_EXHAUSTED (DISK_FULL) while free space is below the reserve, nothing is
# written, reads and health keep working, and appends resume when space returns.
# Skips cleanly where mount namespaces are not allowed.
set -euo pipefail
source "$TEST_SRCDIR/factledger/tests/testing/shell.sh"  # wait_for_port_file, wait_until

ledgerd="$TEST_SRCDIR/factledger/service/ledgerd"
ctl="$TEST_SRCDIR/factledger/cli/ledgerctl"
examples="$TEST_SRCDIR/factledger/examples"
work="$TEST_TMPDIR/diskfull"
rm -rf "$work" && mkdir -p "$work/mnt"

if [[ "${1:-}" != "--inside" ]]; then
  if ! unshare -m --propagation private true 2>/dev/null; then
    echo "SKIP: mount namespaces are not allowed here"; exit 0
  fi
  exec unshare -m --propagation private "$0" --inside
fi
if ! mount -t tmpfs -o size=48m tmpfs "$work/mnt" 2>/dev/null; then
  echo "SKIP: cannot mount tmpfs"; exit 0
fi
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; umount "$work/mnt" 2>/dev/null || true' EXIT

"$ctl" keygen --out admin.key >/dev/null
"$ctl" keygen --out desk.key >/dev/null
"$ledgerd" init --data-dir mnt/data --origin disk.example/log --admin-key admin.key.pub >/dev/null
# Reserve 16 MiB.
"$ledgerd" serve --data-dir mnt/data --listen 127.0.0.1:0 --port-file port \
  --min-free-bytes $((16 << 20)) 2> server.log &
pid=$!
wait_for_port_file port "$pid" server.log ledgerd
server="127.0.0.1:$(cat port)"
"$ctl" register-key --server "$server" --signer admin.key --public-key desk.key.pub >/dev/null

# Fill the disk to below the reserve.
free_kib=$(df -k --output=avail mnt | tail -1)
fill_kib=$((free_kib - 8 * 1024))
dd if=/dev/zero of=mnt/filler bs=1K count="$fill_kib" 2>/dev/null
size_before=$("$ctl" checkpoint --server "$server" --json | sed 's/.*"tree_size":\([0-9]*\).*/\1/')

set +e
"$ctl" submit --server "$server" --key desk.key "$examples/seed-claims.jsonl" > out.txt 2> err.txt
rc=$?
set -e
[[ $rc -eq 4 ]] || fail "submit on a full disk: exit $rc, want 4: $(cat err.txt)"
grep -q "RESOURCE_EXHAUSTED, reason DISK_FULL" err.txt || fail "no DISK_FULL: $(cat err.txt)"
size_during=$("$ctl" checkpoint --server "$server" --json | sed 's/.*"tree_size":\([0-9]*\).*/\1/')
[[ "$size_during" == "$size_before" ]] || fail "size changed while full: $size_before -> $size_during"
# Reads still work.
"$ctl" log --server "$server" > log.txt || fail "reads failed while the disk is full"
[[ $(wc -l < log.txt) -eq 1 ]] || fail "log: $(cat log.txt)"

# Space returns: appends resume.
rm mnt/filler
"$ctl" submit --server "$server" --key desk.key "$examples/seed-claims.jsonl" > out2.txt \
  || fail "submit after freeing space"
[[ $(grep -c "^appended" out2.txt) -eq 16 ]] || fail "resume: $(cat out2.txt)"
kill "$pid"; wait "$pid" || true; pid=""
"$ctl" verify --data-dir mnt/data > verify.txt || fail "verify: $(cat verify.txt)"
echo "disk full OK"
