# Shared by the process-level shell tests (tests/*/*_test.sh): waiting for a started process.
# Source it; it defines functions only. Targets list "//tests/testing:shell" in data.

# wait_for_port_file FILE PID LOG WHAT: waits (up to 20 s) until the process PID has written its
# bound port to FILE (ledgerd's --port-file / --http-port-file). Exits the test with "FAIL: WHAT
# did not start" and LOG's tail when PID exits first or the time runs out.
wait_for_port_file() {
  local file=$1 pid=$2 log=$3 what=$4
  local deadline=$((SECONDS + 20))
  while [[ ! -s "$file" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: $what did not start (it exited): $(tail -c 2000 "$log" 2>/dev/null)" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "FAIL: $what did not start within 20 s: $(tail -c 2000 "$log" 2>/dev/null)" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (returns 0), or
# returns 1 after SECONDS.
wait_until() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.1
  done
  return 0
}
