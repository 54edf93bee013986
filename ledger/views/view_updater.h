// ViewUpdater: a background thread that keeps a ViewEngine caught up with a live log.
//
// The server calls Notify(new_size) after each successful append (or group commit). Notify only
// sets a flag and signals a condition variable: it never waits for the views. (The one way ingest
// waits for them is HoldBack, which ledgerd calls before each group commit: --max-view-lag-ms.)
// The updater thread then catches up through the LogStore (reads only: the RocksDB log store
// serves reads from snapshots, concurrently with commits).
//
// Read-your-writes: after an append acknowledged at sequence s, WaitForWatermark(s + 1, deadline)
// returns once the views include it.
//
// Coalescing: every catch-up pays a fixed cost (the log fingerprint check, every view's
// watermark, one store write), so the thread lets entries accumulate: after a notification it
// waits until at least coalesce_entries are pending or coalesce_delay has passed since the
// previous catch-up, whichever comes first. The views then trail the log by at most about
// coalesce_delay when the updater keeps up (queries report their watermark); a WaitForWatermark
// caller is never made to wait for it (the thread catches up at once while someone waits).
//
// On an error (I/O, a damaged entry) the updater keeps the error (status()), and retries after
// retry_delay or at the next Notify; waiters are not woken by errors (they time out with the
// error in the message).
//
// Thread-safety: thread-safe. The engine and the log store are borrowed and must outlive the
// updater. Other callers of engine->CatchUp / Rebuild are serialised with the updater by the
// engine itself.
//
// Example:
//   ViewUpdater updater(engine.get(), &log->store());
//   updater.Start();
//   AppendResult r = *log->Append(event);
//   updater.Notify(r.sequence + 1);
//   LEDGER_RETURN_IF_ERROR(updater.WaitForWatermark(r.sequence + 1,
//                                                   absl::Now() + absl::Seconds(5)));
#ifndef LEDGER_VIEWS_VIEW_UPDATER_H_
#define LEDGER_VIEWS_VIEW_UPDATER_H_

#include <atomic>
#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/types.h"
#include "ledger/store/log_store.h"
#include "ledger/views/view_engine.h"

namespace ledger::views {

struct ViewUpdaterOptions {
  // After a failed catch-up, the next attempt comes after this delay (or at the next Notify).
  absl::Duration retry_delay = absl::Seconds(1);
  // Passed to every CatchUp (runs on the updater thread).
  ProgressFn progress;
  // Coalescing (see above). coalesce_delay zero: catch up at every notification.
  absl::Duration coalesce_delay = absl::Milliseconds(20);
  uint64_t coalesce_entries = 512;
};

class ViewUpdater {
 public:
  ViewUpdater(ViewEngine* engine, const store::LogStore* log, ViewUpdaterOptions options = {});
  // Stop().
  ~ViewUpdater();

  ViewUpdater(const ViewUpdater&) = delete;
  ViewUpdater& operator=(const ViewUpdater&) = delete;

  // Starts the thread, which catches up with the log's current head at once. Call once.
  void Start();
  // Stops the thread: a catch-up in progress stops after its current batch. Idempotent.
  void Stop();

  // The log has grown to `new_size` entries. Never blocks on the views.
  void Notify(TreeSize new_size);

  // Entries the views have applied (as of the last finished batch).
  TreeSize Watermark() const;

  // Waits until Watermark() >= at_least. OK; DEADLINE_EXCEEDED at `deadline` (naming the last
  // catch-up error, if any); UNAVAILABLE when the updater is stopped first.
  absl::Status WaitForWatermark(TreeSize at_least, absl::Time deadline) const;

  // Back-pressure for ingest (core::LogOptions::before_group): waits, at most `max_wait`, while
  // the oldest entry notified but not yet applied was notified more than `max_lag` ago, so that
  // the views stay within about max_lag of the log however fast it grows. Holds nothing back
  // until the views have reached the log's size at Start() and have then been within max_lag
  // once (the catch-up after a start, however long, does not hold appends back), while the last catch-up
  // failed, or once the updater stops. Returns whether it waited.
  bool HoldBack(absl::Duration max_lag, absl::Duration max_wait);

  // The outcome of the last catch-up (OK before the first).
  absl::Status status() const;

 private:
  void Run();
  // Sets watermark_ and forgets the notifications it covers.
  void SetWatermark(TreeSize watermark) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ViewEngine* const engine_;
  const store::LogStore* const log_;
  const ViewUpdaterOptions options_;

  mutable absl::Mutex mu_;
  bool pending_ ABSL_GUARDED_BY(mu_) = true;  // catch up once at start
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  TreeSize notified_size_ ABSL_GUARDED_BY(mu_) = 0;
  TreeSize watermark_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_status_ ABSL_GUARDED_BY(mu_);
  // Callers inside WaitForWatermark or HoldBack: while there are any, catch-ups are not delayed.
  mutable int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  // (size, when notified) of each notification beyond the watermark, oldest first: the lag.
  std::deque<std::pair<TreeSize, absl::Time>> unapplied_ ABSL_GUARDED_BY(mu_);
  // The log's size when the updater started; caught_up_once_ once the views reach it. After
  // that, once HoldBack has found the views within its max_lag (held_), it holds back.
  TreeSize start_size_ ABSL_GUARDED_BY(mu_) = 0;
  bool caught_up_once_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_VIEW_UPDATER_H_
