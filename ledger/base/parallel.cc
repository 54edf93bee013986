#include "ledger/base/parallel.h"

#include <algorithm>
#include <utility>

#include "ledger/base/thread_name.h"

namespace ledger {

ParallelRunner::ParallelRunner(int helpers, std::string name, int thread_nice) {
  for (int i = 0; i < helpers; ++i) {
    threads_.emplace_back([this, name, thread_nice] {
      SetCurrentThreadName(name.c_str());
      LowerCurrentThreadPriority(thread_nice);
      {
        absl::MutexLock lock(&mu_);
        ++started_;
      }
      HelperLoop();
    });
  }
  // Once constructed, every helper carries its name and priority (what /proc shows).
  const int n = static_cast<int>(threads_.size());
  absl::MutexLock lock(&mu_);
  auto all_started = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return started_ == n; };
  mu_.Await(absl::Condition(&all_started));
}

ParallelRunner::~ParallelRunner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void ParallelRunner::Work(Job* job) {
  while (job->next < job->n) {
    const size_t i = job->next++;
    if (job->next == job->n) {
      // Everything is handed out: nobody else needs to find this job.
      jobs_.erase(std::find(jobs_.begin(), jobs_.end(), job));
    }
    mu_.Unlock();
    (*job->fn)(i);
    mu_.Lock();
    ++job->finished;
  }
}

void ParallelRunner::ForEach(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1 || threads_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job{&fn, n};
  absl::MutexLock lock(&mu_);
  jobs_.push_back(&job);
  Work(&job);
  auto done = [&job]() { return job.finished == job.n; };
  mu_.Await(absl::Condition(&done));
}

void ParallelRunner::HelperLoop() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !jobs_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (jobs_.empty()) return;  // stopping
    Work(jobs_.front());
  }
}

}  // namespace ledger
