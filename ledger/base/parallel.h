// ParallelRunner: runs the iterations of a loop on the calling thread and on a fixed set of
// long-lived helper threads, so that splitting a request's work (e.g. verifying the signatures
// of a batch) costs no thread creation.
//
// Any number of callers may call ForEach at once: each call is a job in a queue; the caller
// works on its own job, and the helpers take iterations from the oldest unfinished job. A
// caller returns when every iteration of its job has finished.
//
// Example:
//   ParallelRunner runner(std::thread::hardware_concurrency() - 1, "verify");
//   runner.ForEach(events.size(), [&](size_t i) { ok[i] = Verify(events[i]); });
#ifndef LEDGER_BASE_PARALLEL_H_
#define LEDGER_BASE_PARALLEL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ledger {

class ParallelRunner {
 public:
  // Starts `helpers` threads (none when helpers <= 0: ForEach then runs on the caller alone),
  // named `name`, at the process's nice value plus `thread_nice` (LowerCurrentThreadPriority).
  ParallelRunner(int helpers, std::string name, int thread_nice = 0);
  // Stops the helpers. Precondition: no ForEach is running.
  ~ParallelRunner();

  ParallelRunner(const ParallelRunner&) = delete;
  ParallelRunner& operator=(const ParallelRunner&) = delete;

  // Calls fn(i) for every i in [0, n), each exactly once, in no particular order and possibly
  // concurrently; returns when all calls have returned.
  void ForEach(size_t n, const std::function<void(size_t)>& fn);

  int helpers() const { return static_cast<int>(threads_.size()); }

 private:
  struct Job {
    const std::function<void(size_t)>* fn;
    size_t n;
    size_t next = 0;      // next iteration to hand out (guarded by mu_)
    size_t finished = 0;  // iterations that have returned (guarded by mu_)
  };
  void HelperLoop();
  // Runs iterations of `job` until none is left to hand out. Called with mu_ held; releases it
  // around each call of fn.
  void Work(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mu_);  // jobs with iterations left to hand out
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int started_ ABSL_GUARDED_BY(mu_) = 0;  // helpers named and at their priority
  std::vector<std::thread> threads_;
};

}  // namespace ledger

#endif  // LEDGER_BASE_PARALLEL_H_
