#include "service/metrics.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"

namespace ledger::service {
namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      appends_(prometheus::BuildCounter()
                   .Name("factledger_appends_total")
                   .Help("Events submitted for appending, by result and refusal reason")
                   .Register(*registry_)),
      append_latency_(prometheus::BuildHistogram()
                          .Name("factledger_append_latency_seconds")
                          .Help("Append request latency as seen by the server")
                          .Register(*registry_)),
      commit_entries_(prometheus::BuildHistogram()
                          .Name("factledger_commit_entries")
                          .Help("Entries written per group commit")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      commit_latency_(prometheus::BuildHistogram()
                          .Name("factledger_commit_latency_seconds")
                          .Help("Time to write and fsync one group commit")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      tree_size_(prometheus::BuildGauge()
                     .Name("factledger_tree_size")
                     .Help("Entries in the log")
                     .Register(*registry_)
                     .Add({})),
      open_streams_(prometheus::BuildGauge()
                        .Name("factledger_open_streams")
                        .Help("Open streaming calls")
                        .Register(*registry_)),
      view_watermark_(prometheus::BuildGauge()
                          .Name("factledger_view_watermark")
                          .Help("Entries applied to the views")
                          .Register(*registry_)
                          .Add({})),
      view_lag_(prometheus::BuildGauge()
                    .Name("factledger_view_lag_entries")
                    .Help("Entries in the log not yet applied to the views")
                    .Register(*registry_)
                    .Add({})),
      follower_lag_entries_(prometheus::BuildGauge()
                                .Name("factledger_follower_lag_entries")
                                .Help("Entries behind the leader's latest verified checkpoint")
                                .Register(*registry_)
                                .Add({})),
      follower_lag_seconds_(prometheus::BuildGauge()
                                .Name("factledger_follower_lag_seconds")
                                .Help("Leader checkpoint fetch time minus the newest applied "
                                      "entry's recorded time (0 when caught up)")
                                .Register(*registry_)
                                .Add({})),
      fork_detected_(prometheus::BuildGauge()
                         .Name("factledger_fork_detected")
                         .Help("1 when replication stopped on a fork, rollback or bad data")
                         .Register(*registry_)
                         .Add({})) {}

absl::StatusOr<int> ServerMetrics::Serve(const std::string& listen) {
  try {  // prometheus-cpp reports a failed bind by throwing; contain it here.
    exposer_ = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void ServerMetrics::RecordAppend(const absl::Status& status, bool duplicate) {
  if (status.ok()) {
    std::atomic<prometheus::Counter*>& cached = duplicate ? duplicate_ : appended_;
    prometheus::Counter* counter = cached.load(std::memory_order_acquire);
    if (counter == nullptr) {
      // Family::Add returns the same series for the same labels: a race stores it twice.
      counter = &appends_.Add({{"result", duplicate ? "duplicate" : "appended"}, {"reason", ""}});
      cached.store(counter, std::memory_order_release);
    }
    counter->Increment();
  } else {
    std::string reason = ErrorReason(status);
    if (reason.empty()) reason = absl::StatusCodeToString(status.code());
    appends_.Add({{"result", "refused"}, {"reason", reason}}).Increment();
  }
}

void ServerMetrics::RecordLatency(const std::string& rpc, absl::Duration latency) {
  static const char* const kCached[kCachedLatencyRpcs] = {"Append", "AppendBatch",
                                                          "AppendSignedBatch"};
  for (int i = 0; i < kCachedLatencyRpcs; ++i) {
    if (rpc != kCached[i]) continue;
    prometheus::Histogram* h = latency_[i].load(std::memory_order_acquire);
    if (h == nullptr) {
      h = &append_latency_.Add({{"rpc", rpc}}, LatencyBuckets());
      latency_[i].store(h, std::memory_order_release);
    }
    h->Observe(absl::ToDoubleSeconds(latency));
    return;
  }
  append_latency_.Add({{"rpc", rpc}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(latency));
}

void ServerMetrics::RecordCommit(size_t entries, absl::Duration latency) {
  commit_entries_.Observe(static_cast<double>(entries));
  commit_latency_.Observe(absl::ToDoubleSeconds(latency));
  tree_size_.Increment(static_cast<double>(entries));
}

void ServerMetrics::SetTreeSize(uint64_t size) { tree_size_.Set(static_cast<double>(size)); }

void ServerMetrics::SetViewWatermark(uint64_t watermark, uint64_t tree_size) {
  view_watermark_.Set(static_cast<double>(watermark));
  view_lag_.Set(static_cast<double>(tree_size > watermark ? tree_size - watermark : 0));
}

void ServerMetrics::SetFollowerLag(uint64_t entries, double seconds) {
  follower_lag_entries_.Set(static_cast<double>(entries));
  follower_lag_seconds_.Set(seconds);
}

void ServerMetrics::SetForkDetected(bool detected) { fork_detected_.Set(detected ? 1 : 0); }

prometheus::Gauge& ServerMetrics::OpenStreams(const std::string& rpc) {
  return open_streams_.Add({{"rpc", rpc}});
}

}  // namespace ledger::service
