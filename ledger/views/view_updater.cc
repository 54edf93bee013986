#include "ledger/views/view_updater.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/thread_name.h"

namespace ledger::views {

ViewUpdater::ViewUpdater(ViewEngine* engine, const store::LogStore* log,
                         ViewUpdaterOptions options)
    : engine_(engine), log_(log), options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  watermark_ = engine_->Watermark();
}

ViewUpdater::~ViewUpdater() { Stop(); }

void ViewUpdater::Start() {
  absl::MutexLock lock(&mu_);
  if (running_ || stopping_) return;
  running_ = true;
  start_size_ = log_->Head().tree_size;
  SetWatermark(watermark_);
  thread_ = std::thread([this] {
    SetCurrentThreadName("views-update");
    LowerCurrentThreadPriority(engine_->thread_nice());
    Run();
  });
}

void ViewUpdater::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void ViewUpdater::Notify(TreeSize new_size) {
  // Enough to cover ~minutes of group commits; beyond it the oldest are forgotten (the lag then
  // reads low, only while the views are minutes behind).
  constexpr size_t kMaxUnapplied = 1 << 16;
  absl::MutexLock lock(&mu_);
  pending_ = true;
  if (new_size > watermark_ && new_size > notified_size_) {
    unapplied_.emplace_back(new_size, absl::Now());
    if (unapplied_.size() > kMaxUnapplied) unapplied_.pop_front();
  }
  notified_size_ = std::max(notified_size_, new_size);
}

TreeSize ViewUpdater::Watermark() const {
  absl::MutexLock lock(&mu_);
  return watermark_;
}

absl::Status ViewUpdater::status() const {
  absl::MutexLock lock(&mu_);
  return last_status_;
}

absl::Status ViewUpdater::WaitForWatermark(TreeSize at_least, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, at_least]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return watermark_ >= at_least || stopping_;
  };
  ++waiters_;
  mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
  --waiters_;
  if (watermark_ >= at_least) return absl::OkStatus();
  if (stopping_) {
    return absl::UnavailableError(absl::StrCat("view updater stopped at watermark ", watermark_,
                                               " before reaching ", at_least));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "views at watermark ", watermark_, " did not reach ", at_least, " in time",
      last_status_.ok() ? "" : absl::StrCat("; last catch-up error: ", last_status_.ToString())));
}

bool ViewUpdater::HoldBack(absl::Duration max_lag, absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  if (!caught_up_once_ || stopping_ || !running_ || !last_status_.ok()) return false;
  auto within = [this, max_lag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return unapplied_.empty() || absl::Now() - unapplied_.front().second <= max_lag;
  };
  if (within()) {
    held_ = true;
    return false;
  }
  if (!held_) return false;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return within() || stopping_ || !last_status_.ok();
  };
  ++waiters_;
  mu_.AwaitWithTimeout(absl::Condition(&done), max_wait);
  --waiters_;
  return true;
}

void ViewUpdater::SetWatermark(TreeSize watermark) {
  watermark_ = watermark;
  if (watermark_ >= start_size_) caught_up_once_ = true;
  while (!unapplied_.empty() && unapplied_.front().first <= watermark_) unapplied_.pop_front();
}

void ViewUpdater::Run() {
  bool first = true;
  absl::Time last_catch_up = absl::InfinitePast();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ || stopping_; };
      if (last_status_.ok()) {
        mu_.Await(absl::Condition(&ready));
      } else {
        // Retry a failed catch-up after a delay even without a new append.
        mu_.AwaitWithTimeout(absl::Condition(&ready), options_.retry_delay);
      }
      if (stopping_) return;
      // Coalesce: let a few entries accumulate, unless someone waits for the views.
      if (!first && last_status_.ok() && options_.coalesce_delay > absl::ZeroDuration()) {
        auto enough = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || waiters_ > 0 ||
                 notified_size_ >= watermark_ + options_.coalesce_entries;
        };
        mu_.AwaitWithDeadline(absl::Condition(&enough), last_catch_up + options_.coalesce_delay);
        if (stopping_) return;
      }
      first = false;
      pending_ = false;
    }
    last_catch_up = absl::Now();
    CatchUpOptions options;
    options.progress = [this](const CatchUpProgress& p) {
      {
        absl::MutexLock lock(&mu_);
        SetWatermark(p.watermark);
        last_status_ = absl::OkStatus();  // a batch went through: an earlier error is stale
      }
      if (options_.progress) options_.progress(p);
    };
    options.cancel = &cancel_;
    absl::StatusOr<CatchUpResult> result = engine_->CatchUp(*log_, options);
    absl::MutexLock lock(&mu_);
    SetWatermark(engine_->Watermark());
    last_status_ = result.status();
    if (absl::IsCancelled(last_status_) && stopping_) return;
  }
}

}  // namespace ledger::views
