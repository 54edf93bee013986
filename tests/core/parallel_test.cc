// ParallelRunner (ledger/base/parallel.h): every iteration runs exactly once, on the caller and
// the helpers, for concurrent callers too; no helpers means the caller alone.
#include "ledger/base/parallel.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ledger {
namespace {

TEST(ParallelRunnerTest, EveryIterationRunsExactlyOnce) {
  ParallelRunner runner(3, "test-helper");
  for (size_t n : {0, 1, 2, 17, 1000}) {
    std::vector<std::atomic<int>> runs(n);
    runner.ForEach(n, [&](size_t i) { runs[i]++; });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ParallelRunnerTest, ConcurrentCallersEachGetTheirOwnIterations) {
  ParallelRunner runner(2, "test-helper");
  constexpr int kCallers = 8;
  constexpr size_t kN = 500;
  std::vector<std::vector<std::atomic<int>>> runs(kCallers);
  for (auto& r : runs) r = std::vector<std::atomic<int>>(kN);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 20; ++round) {
        runner.ForEach(kN, [&](size_t i) { runs[c][i]++; });
      }
    });
  }
  for (auto& t : callers) t.join();
  for (int c = 0; c < kCallers; ++c) {
    for (size_t i = 0; i < kN; ++i) EXPECT_EQ(runs[c][i].load(), 20);
  }
}

TEST(ParallelRunnerTest, HelpersShareTheWork) {
  ParallelRunner runner(1, "test-helper");
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> helped{false};
  for (int round = 0; round < 200 && !helped; ++round) {
    runner.ForEach(64, [&](size_t) {
      if (std::this_thread::get_id() != caller) helped = true;
      std::this_thread::yield();
    });
  }
  EXPECT_TRUE(helped);
}

TEST(ParallelRunnerTest, WithoutHelpersTheCallerRunsEverything) {
  ParallelRunner runner(0, "unused");
  EXPECT_EQ(runner.helpers(), 0);
  const std::thread::id caller = std::this_thread::get_id();
  int runs = 0;
  runner.ForEach(10, [&](size_t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++runs;
  });
  EXPECT_EQ(runs, 10);
}

}  // namespace
}  // namespace ledger
