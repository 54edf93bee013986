// Clock: the one source of wall time for the log core (recorded times, limits on timestamps).
// Views never read a clock (they must replay deterministically).
#ifndef LEDGER_BASE_CLOCK_H_
#define LEDGER_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace ledger {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC.
  virtual int64_t NowMicros() const = 0;
  // The process-wide real clock.
  static Clock* Real();
};

// A clock tests set by hand. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_micros) : now_micros_(now_micros) {}
  int64_t NowMicros() const override { return now_micros_.load(); }
  void Set(int64_t now_micros) { now_micros_.store(now_micros); }
  void Advance(int64_t delta_micros) { now_micros_.fetch_add(delta_micros); }

 private:
  std::atomic<int64_t> now_micros_;
};

}  // namespace ledger

#endif  // LEDGER_BASE_CLOCK_H_
