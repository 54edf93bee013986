#include "ledger/base/thread_name.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace ledger {

void SetCurrentThreadName(const char* name) {
  // pthread_setname_np refuses names longer than 15 bytes: truncate instead.
  const std::string truncated(name, std::min<size_t>(std::strlen(name), 15));
  pthread_setname_np(pthread_self(), truncated.c_str());
}

void LowerCurrentThreadPriority(int nice_delta) {
  if (nice_delta <= 0) return;
  // PRIO_PROCESS with the process id reads the main thread's value (the process's nice), and
  // with a thread id sets that one thread's.
  errno = 0;
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(getpid()));
  if (base == -1 && errno != 0) return;
  const int target = std::min(19, base + nice_delta);
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, tid, target);
}

}  // namespace ledger
