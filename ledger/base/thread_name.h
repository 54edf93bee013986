// Names the calling thread (Linux: at most 15 characters are kept), so that per-thread CPU in
// /proc/<pid>/task/*/comm, top -H and perf --sort comm says which component used it. Threads a
// named thread starts inherit its name until they set their own.
#ifndef LEDGER_BASE_THREAD_NAME_H_
#define LEDGER_BASE_THREAD_NAME_H_

namespace ledger {

void SetCurrentThreadName(const char* name);

// Runs the calling thread at the process's nice value plus `nice_delta` (clamped to 19), so that
// work which may lag (the views) yields the CPU to work which may not (appends, replication)
// when the cores are busy. Linux keeps a nice value per thread; threads this one starts later
// inherit it. 0: nothing changes. Best effort: a thread that cannot be reniced keeps its
// priority (lowering one's own priority needs no privilege).
void LowerCurrentThreadPriority(int nice_delta);

}  // namespace ledger

#endif  // LEDGER_BASE_THREAD_NAME_H_
