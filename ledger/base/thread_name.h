// Names the calling thread (Linux: at most 15 characters are kept), so that per-thread CPU in
// /proc/<pid>/task/*/comm, top -H and perf --sort comm says which component used it. Threads a
// named thread starts inherit its name until they set their own.
#ifndef LEDGER_BASE_THREAD_NAME_H_
#define LEDGER_BASE_THREAD_NAME_H_

namespace ledger {

void SetCurrentThreadName(const char* name);

}  // namespace ledger

#endif  // LEDGER_BASE_THREAD_NAME_H_
