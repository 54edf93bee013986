// Test support for replication: in-process leader logs built deterministically (fixed keys,
// fake clock), and FakeEntrySource, a replication::EntrySource that serves such a log directly
// (no network) with injectable faults: failed calls (a network cut), tampered entries, a
// replaced checkpoint, and a switch to another (forked) leader.
#ifndef TESTS_REPLICATION_FAKE_LEADER_H_
#define TESTS_REPLICATION_FAKE_LEADER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/base/clock.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/replication/entry_source.h"
#include "ledger/store/log_store.h"

namespace ledger::testing {

// A leader log over a MemoryLogStore with a FakeClock at kTestNowMicros, origin kTestOrigin.
class LeaderLog {
 public:
  // `log_key` signs checkpoints; `admins` are the genesis admin keys. Aborts on error.
  LeaderLog(const crypto::Ed25519PrivateKey& log_key,
            const std::vector<crypto::PublicKey>& admins);
  // LogKey() and AdminKey() of tests/testing.
  LeaderLog();

  core::Log& log() { return *log_; }
  FakeClock& clock() { return clock_; }

  // Appends `count` claims "<prefix>-<i>" signed one by one by `signer`, each its own commit.
  absl::Status AppendClaims(const std::string& prefix, int count,
                            const crypto::Ed25519PrivateKey& signer);
  // Appends `count` claims in signed batches of `batch_size` (one commit each).
  absl::Status AppendBatches(const std::string& prefix, int count, int batch_size,
                             const crypto::Ed25519PrivateKey& signer);

 private:
  FakeClock clock_;
  std::unique_ptr<core::Log> log_;
};

// A leader log of `count` claims (ids "<prefix>-<i>", signed by AdminKey() in batches of
// `batch_size`, one commit and one checkpoint per batch, recorded time advancing 1 ms per
// batch from kTestNowMicros), built by writing exactly what Log::AppendSignedBatch writes
// straight into a MemoryLogStore, without the admission checks -- several times faster, for
// long-log tests. (Claim records, which only the leader's admission reads, are not written.)
// follower_test compares its entries with the real pipeline's. Aborts on error.
std::unique_ptr<core::Log> BuildBatchedLeaderLog(const std::string& prefix, int count,
                                                 int batch_size);

// A follower Log (no key) over `store`, for identity TestIdentity() (origin kTestOrigin,
// LogKey()'s public key, AdminKey()). Aborts on error.
std::unique_ptr<core::Log> OpenFollowerLog(std::unique_ptr<store::LogStore> store);

// Serves a core::Log as a replication::EntrySource. Not thread-safe.
class FakeEntrySource : public replication::EntrySource {
 public:
  explicit FakeEntrySource(core::Log* leader) : leader_(leader) {}

  // Serve another leader from now on (e.g. a forked copy).
  void set_leader(core::Log* leader) { leader_ = leader; }
  // Every call i (0-based, counting all methods) for which fail(i) is true returns UNAVAILABLE.
  void set_fail(std::function<bool(uint64_t)> fail) { fail_ = std::move(fail); }
  // Rewrites the leaf data of entry `sequence` before it is served.
  void set_tamper(std::function<void(SequenceNumber, std::string*)> tamper) {
    tamper_ = std::move(tamper);
  }
  // Served instead of the leader's latest checkpoint.
  void set_latest_checkpoint(std::optional<std::string> note) { latest_ = std::move(note); }
  // Most entries per Entries answer.
  void set_page_limit(size_t n) { page_limit_ = n; }
  // Serve no stored checkpoints with the entries (a leader that does not send them).
  void set_send_checkpoints(bool send) { send_checkpoints_ = send; }

  uint64_t calls() const { return calls_; }
  uint64_t failed_calls() const { return failed_; }
  // The follower positions reported so far (the last one).
  const replication::FollowerPosition& last_position() const { return last_position_; }

  absl::StatusOr<std::string> LatestCheckpoint(const replication::FollowerPosition& position,
                                               absl::Duration wait_for_growth) override;
  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override;
  absl::StatusOr<replication::EntryBatch> Entries(const replication::FollowerPosition& position,
                                                  SequenceNumber from,
                                                  size_t max_entries) override;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override;

 private:
  // Counts the call; UNAVAILABLE when it is to fail.
  absl::Status Call();

  core::Log* leader_;
  std::function<bool(uint64_t)> fail_;
  std::function<void(SequenceNumber, std::string*)> tamper_;
  std::optional<std::string> latest_;
  size_t page_limit_ = 1000;
  bool send_checkpoints_ = true;
  uint64_t calls_ = 0;
  uint64_t failed_ = 0;
  replication::FollowerPosition last_position_;
};

}  // namespace ledger::testing

#endif  // TESTS_REPLICATION_FAKE_LEADER_H_
