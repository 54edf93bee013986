#!/usr/bin/env bash
# The benchmark harness in one command (bench/README.md):
#
#   bench/run.sh            # full run (~10 min): bench/REPORT.md and bench/results/*.{json,png}
#   bench/run.sh --smoke    # tiny sizes (< 30 s once built), into a temporary directory; for CI
#                           # (built without -c opt, in the normal output base: it checks the
#                           # harness, not speed)
#
# Options: --entries=N     size of the large log (default 1000000; scale points 10k, 100k, N)
#          --build-budget=S  the large log stops growing S seconds after its phase began (default
#                          200; a busy machine stops short of --entries, and the report says so;
#                          10M entries need about --build-budget=1500 on an idle machine)
#          --seconds=S     seconds per ingest / PostgreSQL mode (default 6 / 5)
#          --perf          also profile ledgerd (perf record) during each ingest mode and
#                          `ledgerctl verify`; flat profiles in results/perf-*.txt (slows it down)
#          --keep          keep the temporary directory (data directories, logs)
#          --out-dir=DIR   write results/ and REPORT.md under DIR instead of bench/
#
# It runs scripts/setup.sh, installs what the benchmarks need besides (PostgreSQL 15, gnuplot,
# libpq headers), builds -c opt in its own Bazel output base ($BENCH_OUTPUT_BASE, default
# ~/.cache/bazel-ob-bench), copies the binaries away (so a concurrent build cannot swap them
# mid-run), then measures, in this order, everything against the ceiling measured in the same
# run: the ceiling; ingest over gRPC (unary, batch, stream, signed batch); PostgreSQL; the large
# log (build, restart, proofs, size, audit) at growing sizes, each also served by a restarted
# ledgerd; view rebuild vs a raw scan of the largest log; a follower catching up with it and
# then following ingest; the ceiling again.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"

SMOKE=0
KEEP=0
PERF=0
ENTRIES=""
BUILD_BUDGET=200
SECONDS_PER_MODE=""
OUT_DIR=""
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    --keep) KEEP=1 ;;
    --perf) PERF=1 ;;
    --entries=*) ENTRIES="${arg#*=}" ;;
    --build-budget=*) BUILD_BUDGET="${arg#*=}" ;;
    --seconds=*) SECONDS_PER_MODE="${arg#*=}" ;;
    --out-dir=*) OUT_DIR="${arg#*=}" ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $arg (see --help)" >&2; exit 1 ;;
  esac
done

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
START_TIME=$(date +%s)

# ---- 1. packages ------------------------------------------------------------------------------
bash scripts/setup.sh
NEED=(postgresql-15 gnuplot-nox libpq-dev)
if [[ $PERF -eq 1 ]]; then NEED+=(linux-perf); fi
missing=()
for p in "${NEED[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
PGBIN=/usr/lib/postgresql/15/bin

# ---- 2. build (-c opt, own output base) -------------------------------------------------------
# The smoke run checks that the harness works end to end, not speed: it uses the normal build
# (the output base scripts/test.sh already filled) instead of a cold -c opt build of its own,
# which took ~10 of CI's minutes.
if [[ $SMOKE -eq 1 ]]; then
  BAZEL=(bazel)
  MODE=()
else
  OUTPUT_BASE="${BENCH_OUTPUT_BASE:-$HOME/.cache/bazel-ob-bench}"
  BAZEL=(bazel "--output_base=$OUTPUT_BASE")
  MODE=(-c opt)
fi
TARGETS=(//bench:ceiling_bench //bench:ingest_bench //bench:pg_bench //bench:log_bench
         //bench/views:rebuild_bench //bench/views:match_bench //bench/views:state_map_bench
         //service:ledgerd //cli:ledgerctl)
log "building ${MODE[*]:-(smoke: the normal build)}: ${TARGETS[*]}"
"${BAZEL[@]}" build "${MODE[@]}" "${TARGETS[@]}" >&2
BAZEL_BIN="$("${BAZEL[@]}" info "${MODE[@]}" bazel-bin 2>/dev/null)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/factledger-bench.XXXXXX")"
PG_STARTED=0
cleanup() {
  local rc=$?
  # Whatever a benchmark binary started and did not stop (it records the pid while it runs).
  for f in "$WORK"/*/ledgerd.pid "$WORK"/*/*/ledgerd.pid; do
    [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  if [[ $PG_STARTED -eq 1 ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [[ $KEEP -eq 1 || $rc -ne 0 ]]; then
    log "temporary files kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/bin"
for b in bench/ceiling_bench bench/ingest_bench bench/pg_bench bench/log_bench \
         bench/views/rebuild_bench bench/views/match_bench bench/views/state_map_bench \
         service/ledgerd cli/ledgerctl; do
  cp "$BAZEL_BIN/$b" "$WORK/bin/"
done
BIN="$WORK/bin"

if [[ $SMOKE -eq 1 ]]; then
  DEST="${OUT_DIR:-$WORK/out}"
else
  DEST="${OUT_DIR:-$REPO/bench}"
fi
RESULTS="$DEST/results"
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.json "$RESULTS"/*.png "$RESULTS"/*.dat "$RESULTS"/*.gp "$RESULTS"/perf-*.txt

LIAR_DIR="$REPO/../shared/data/liar"
[[ -f "$LIAR_DIR/train.tsv" ]] || LIAR_DIR=""
PERF_FLAGS=()
if [[ $PERF -eq 1 ]]; then PERF_FLAGS=(--perf="$(command -v perf)" --perf-dir="$RESULTS"); fi

# Sizes.
if [[ $SMOKE -eq 1 ]]; then
  CEILING_FLAGS=(--seconds=0.3 --repeats=1)
  INGEST_FLAGS=(--seconds="${SECONDS_PER_MODE:-0.5}" --ceiling-seconds=0.2 --unary=2 --batch=2
                --stream=2 --signed-batch=2 --max-unary-rate=2000 --max-bulk-rate=4000
                --max-signed-batch-rate=8000)
  PG_FLAGS=(--seconds="${SECONDS_PER_MODE:-0.4}" --ceiling-seconds=0.2 --rows=2 --batch=2
            --max-row-rate=2000 --max-chain-rate=4000 --max-plain-rate=8000)
  SIZES=(2000)
  LOG_FLAGS=(--proof-seconds=0.2 --restart-runs=2 --ceiling-seconds=0.2)
  SERVE_FLAGS=(--seconds=0.3 --clients=2 --settle-limit=10)
  REBUILD_FLAGS=(--runs=1)
  MATCH_FLAGS=(--claims=20000 --queries=200)
  REPL_FLAGS=(--seconds=0.5 --ceiling-seconds=0.2 --max-bulk-rate=4000 --catch-up-limit=60)
  EXPLORER_FLAGS=(--samples=20 --browser-samples=2)
else
  CEILING_FLAGS=(--seconds=2 --repeats=3)
  INGEST_FLAGS=(--seconds="${SECONDS_PER_MODE:-6}")
  PG_FLAGS=(--seconds="${SECONDS_PER_MODE:-5}")
  SIZES=()  # decided after the ceiling is measured, see below
  LOG_FLAGS=(--proof-seconds=2 --restart-runs=5)
  SERVE_FLAGS=(--seconds=2 --settle-limit=45)
  REBUILD_FLAGS=(--runs=3)
  MATCH_FLAGS=(--claims="${MATCH_CLAIMS:-1000000}" --queries=2000)
  REPL_FLAGS=(--seconds="${SECONDS_PER_MODE:-6}")
  EXPLORER_FLAGS=(--samples=200 --browser-samples=20)
fi

# The run's circumstances: the report states them.
{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"git_head\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
  echo "  \"git_dirty\": $( [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] && echo true || echo false),"
  echo "  \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\","
  echo "  \"cores\": $(nproc),"
  echo "  \"mem_gib\": $(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo),"
  echo "  \"kernel\": \"$(uname -r)\","
  echo "  \"loadavg_start\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
  echo "  \"smoke\": $( [[ $SMOKE -eq 1 ]] && echo true || echo false),"
  echo "  \"perf\": $( [[ $PERF -eq 1 ]] && echo true || echo false),"
  echo "  \"liar\": $( [[ -n "$LIAR_DIR" ]] && echo true || echo false),"
  echo "  \"postgres\": \"$("$PGBIN/postgres" --version)\","
  echo "  \"versions\": \"$(dpkg-query -W -f='${Package} ${Version}; ' libsodium23 librocksdb7.8 libgrpc++1.51 libprotobuf32 2>/dev/null)\""
  echo "}"
} > "$RESULTS/env.json"

# ---- 3. the ceiling ----------------------------------------------------------------------------
log "ceiling: Ed25519 verify and sign, 1 and 2 threads"
"$BIN/ceiling_bench" "${CEILING_FLAGS[@]}" --out="$RESULTS/ceiling.json"

# The large log's size: --entries (default 1M, the issue's default). Building it verifies every
# signature (and the audit verifies them again): ~1 minute for 1M on an idle machine, many more on
# a busy one. So the log stops growing $BUILD_BUDGET seconds after the phase began
# (--build-budget): on a busy machine it stops short, and the report states the size measured.
ENTRIES="${ENTRIES:-1000000}"
if [[ $SMOKE -eq 0 ]]; then
  for s in 10000 100000; do (( s < ENTRIES )) && SIZES+=("$s"); done
  SIZES+=("$ENTRIES")
fi
echo "{\"entries\": ${SIZES[-1]}, \"build_budget_s\": $BUILD_BUDGET}" > "$RESULTS/sizes.json"

# ---- 4. ingest over gRPC -------------------------------------------------------------------
log "ingest: ledgerd on a fresh data directory; unary, batch, stream"
"$BIN/ingest_bench" --ledgerd="$BIN/ledgerd" --work-dir="$WORK/ingest" \
  ${LIAR_DIR:+--liar-dir="$LIAR_DIR"} "${INGEST_FLAGS[@]}" "${PERF_FLAGS[@]}" \
  --out="$RESULTS/ingest.json"

# ---- 5. PostgreSQL 15 --------------------------------------------------------------------------
log "postgresql: private cluster in $WORK/pg (Unix socket, fsync=on, synchronous_commit=on)"
mkdir -p "$WORK/pg"
if [[ $(id -u) -eq 0 ]]; then chown postgres: "$WORK/pg"; chmod 755 "$WORK"; fi
PGPORT=$(( 20000 + RANDOM % 20000 ))
# -N: initdb does not fsync the files it writes (a throw-away cluster); the server runs fsync=on.
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U bench --auth=trust -E UTF8 --no-instructions -N \
  > "$WORK/pg/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -o \
  "-k $WORK/pg -c listen_addresses='' -p $PGPORT -c fsync=on -c synchronous_commit=on \
   -c full_page_writes=on -c shared_buffers=512MB -c max_wal_size=4GB -c max_connections=100" \
  start > "$WORK/pg/pg_ctl.log" 2>&1
PG_STARTED=1
"$BIN/pg_bench" --socket-dir="$WORK/pg" --port="$PGPORT" --user=bench --dbname=postgres \
  --postmaster-pid="$(head -1 "$WORK/pg/data/postmaster.pid")" \
  ${LIAR_DIR:+--liar-dir="$LIAR_DIR"} "${PG_FLAGS[@]}" --out="$RESULTS/pg.json"
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop > /dev/null 2>&1
PG_STARTED=0
rm -rf "$WORK/pg"

# ---- 6. the large log: build, size, restart, proofs, audit; served by a restarted ledgerd ---
last="${SIZES[-1]}"
BUILD_START=$(date +%s)
for n in "${SIZES[@]}"; do
  budget=$(( BUILD_BUDGET - ($(date +%s) - BUILD_START) ))
  (( budget < 5 )) && budget=5
  log "log: growing to $n entries through core::Log (signed, verified, synced)"
  audit=()
  if [[ "$n" == "$last" ]]; then audit=(--ledgerctl="$BIN/ledgerctl"); fi
  "$BIN/log_bench" --dir="$WORK/log/data" --entries="$n" --ledgerd="$BIN/ledgerd" \
    ${LIAR_DIR:+--liar-dir="$LIAR_DIR"} \
    "${LOG_FLAGS[@]}" "${audit[@]}" --max-build-seconds="$budget" --out="$RESULTS/log-$n.json"
  if [[ "$n" == "$last" && $PERF -eq 1 ]]; then
    log "perf: profiling ledgerctl verify (a separate, untimed pass)"
    perf record -F 499 -g -o "$WORK/perf-verify.data" -- "$BIN/ledgerctl" verify \
      --data-dir "$WORK/log/data" > /dev/null 2>&1 || true
  fi
  log "serve: ledgerd restarted on the $n-entry log; proofs over gRPC"
  "$BIN/ingest_bench" --ledgerd="$BIN/ledgerd" --work-dir="$WORK/serve-$n" \
    --serve-existing="$WORK/log/data" "${SERVE_FLAGS[@]}" --out="$RESULTS/serve-$n.json"
done
if [[ $PERF -eq 1 && -f "$WORK/perf-verify.data" ]]; then
  report() { perf report --stdio -g none -i "$WORK/perf-verify.data" "$@" 2>/dev/null \
               | grep -v '^#' | grep -v '^$' | sed 's/[[:space:]-]*$//' | cut -c1-160; }
  {
    echo '--- CPU by library (self)'; report --no-children --sort dso --percent-limit 1
    echo '--- self time by symbol'; report --no-children --sort symbol --percent-limit 1
    echo '--- ledger functions, including callees'
    report --children --sort symbol --percent-limit 2 | grep -E 'ledger::' | head -40
  } > "$RESULTS/perf-verify.txt" || true
fi

# ---- 6b. replay: the views rebuilt from the largest log, against a raw scan + parse of it ------
log "views: rebuild from the ${SIZES[-1]}-entry log vs a raw scan + parse of the same log"
"$BIN/rebuild_bench" --log-db="$WORK/log/data/db" --dir="$WORK/rebuild" "${REBUILD_FLAGS[@]}" \
  --out="$RESULTS/rebuild.json" >&2
rm -rf "$WORK/rebuild"

# ---- 6b'. claim matching: the MatchIndex at 1M claims (smoke: 20k) -----------------------------
log "match: MatchIndex build, memory and query latency (${MATCH_FLAGS[*]})"
"$BIN/match_bench" "${MATCH_FLAGS[@]}" ${LIAR_DIR:+--liar-dir="$LIAR_DIR"} \
  --out="$RESULTS/match.json" >&2

# ---- 6b''. the claim-state map: commitments and proofs at 1M claims (smoke: 20k) --------------
log "state map: commitment cost and proofs (${MATCH_FLAGS[0]/--claims/--keys})"
"$BIN/state_map_bench" "${MATCH_FLAGS[0]/--claims/--keys}" --proofs=20000 \
  --out="$RESULTS/state_map.json" >&2

# ---- 6c. replication: an empty follower catches up with the largest log, then follows ingest --
log "replication: follower catch-up on the ${SIZES[-1]}-entry log, then steady lag under ingest"
"$BIN/ingest_bench" --ledgerd="$BIN/ledgerd" --work-dir="$WORK/repl" \
  --replicate-existing="$WORK/log/data" ${LIAR_DIR:+--liar-dir="$LIAR_DIR"} "${REPL_FLAGS[@]}" \
  --out="$RESULTS/replicate.json"
rm -rf "$WORK/repl"

# ---- 6d. explorer: a claim page's requests (and, with chromium, its render) on the largest log -
log "explorer: claim pages on the ${SIZES[-1]}-entry log (JSON API latency; chromium when present)"
python3 "$REPO/bench/explorer_bench.py" --ledgerd="$BIN/ledgerd" --data-dir="$WORK/log/data" \
  --work-dir="$WORK/explorer" --node-modules="$REPO/tests/explorer/node_modules" \
  "${EXPLORER_FLAGS[@]}" --out="$RESULTS/explorer.json" >&2

# ---- 7. the ceiling again (how much the machine's capacity drifted during the run) ------------
"$BIN/ceiling_bench" "${CEILING_FLAGS[@]}" --out="$RESULTS/ceiling-end.json"
echo "{\"loadavg_end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"run_seconds\": $(( $(date +%s) - START_TIME ))}" \
  > "$RESULTS/env-end.json"

# ---- 8. the report -----------------------------------------------------------------------------
log "report: $DEST/REPORT.md"
python3 bench/report.py --results="$RESULTS" --report="$DEST/REPORT.md"
if [[ $SMOKE -eq 1 ]]; then
  python3 bench/report.py --results="$RESULTS" --check
fi
log "done in $(( $(date +%s) - START_TIME )) s"
