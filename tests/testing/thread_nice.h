// NiceOfThreads: the nice value of a process's threads with a given name (Linux: read from
// /proc/<pid>/task/*/stat), to check which threads run at a lower priority.
#ifndef TESTS_TESTING_THREAD_NICE_H_
#define TESTS_TESTING_THREAD_NICE_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ledger::testing {

// One value per thread of process `pid` whose name (comm) is exactly `name`; empty when none
// (or when the process is gone).
std::vector<int> NiceOfThreads(pid_t pid, const std::string& name);

}  // namespace ledger::testing

#endif  // TESTS_TESTING_THREAD_NICE_H_
