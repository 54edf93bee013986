// ServerMetrics: Prometheus metrics of ledgerd, served over HTTP at /metrics.
//
//   factledger_appends_total{result="appended|duplicate|refused", reason}   counter
//   factledger_append_latency_seconds{rpc}        histogram, per request as the server saw it
//   factledger_commit_entries                     histogram, entries per group commit
//   factledger_commit_latency_seconds             histogram, one WriteBatch + fsync
//   factledger_tree_size                          gauge
//   factledger_open_streams{rpc}                  gauge
//   factledger_view_watermark / factledger_view_lag_entries   gauges (when views run)
//   factledger_follower_lag_entries / factledger_follower_lag_seconds   gauges (followers)
//   factledger_fork_detected                      gauge, 1 once a follower stopped on a finding
// Thread-safe.
#ifndef SERVICE_METRICS_H_
#define SERVICE_METRICS_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace ledger::service {

class ServerMetrics {
 public:
  ServerMetrics();

  // Starts the HTTP endpoint on `listen` ("127.0.0.1:9464"; port 0 picks one).
  // Returns the bound port.
  absl::StatusOr<int> Serve(const std::string& listen);

  // One append (or one event of a batch or stream): OK results count as "appended" or
  // "duplicate", errors as "refused" with their reason.
  void RecordAppend(const absl::Status& status, bool duplicate);
  void RecordLatency(const std::string& rpc, absl::Duration latency);
  // A group commit of `entries` (also advances the tree size gauge).
  void RecordCommit(size_t entries, absl::Duration latency);
  // At start-up.
  void SetTreeSize(uint64_t size);
  void SetViewWatermark(uint64_t watermark, uint64_t tree_size);
  prometheus::Gauge& OpenStreams(const std::string& rpc);
  // A follower's replication lag (entries behind the leader's latest checkpoint, seconds) and
  // whether it stopped on a fork, rollback or bad data (0 or 1).
  void SetFollowerLag(uint64_t entries, double seconds);
  void SetForkDetected(bool detected);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>& appends_;
  prometheus::Family<prometheus::Histogram>& append_latency_;
  prometheus::Histogram& commit_entries_;
  prometheus::Histogram& commit_latency_;
  prometheus::Gauge& tree_size_;
  prometheus::Family<prometheus::Gauge>& open_streams_;
  prometheus::Gauge& view_watermark_;
  prometheus::Gauge& view_lag_;
  prometheus::Gauge& follower_lag_entries_;
  prometheus::Gauge& follower_lag_seconds_;
  prometheus::Gauge& fork_detected_;
  // The series recorded per event or request, found once: Family::Add builds a label map,
  // hashes it and takes the family's lock on every call. Set at first use (so that a series
  // appears only once something was recorded in it).
  std::atomic<prometheus::Counter*> appended_{nullptr};
  std::atomic<prometheus::Counter*> duplicate_{nullptr};
  static constexpr int kCachedLatencyRpcs = 3;  // Append, AppendBatch, AppendSignedBatch
  std::atomic<prometheus::Histogram*> latency_[kCachedLatencyRpcs] = {};
};

}  // namespace ledger::service

#endif  // SERVICE_METRICS_H_
