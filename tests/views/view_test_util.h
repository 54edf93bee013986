// Fixtures of the view tests: fixed keys, claim events, a Log over a MemoryLogStore with a
// FakeClock, LogStore/ViewStore decorators that count reads or fail writes, engine helpers, and
// (from tests/testing) the status matchers.
// Everything is deterministic (Ed25519 signatures are too): two logs built by the same calls hold
// the same bytes.
#ifndef TESTS_VIEWS_VIEW_TEST_UTIL_H_
#define TESTS_VIEWS_VIEW_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "ledger/base/clock.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/store/log_store.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_store.h"
#include "ledger/v1/claim.pb.h"
#include "tests/testing/forwarding_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"

namespace ledger::views::testing {

// The fixed clock, origin, keys and signing of every test (tests/testing/test_log.h).
using ::ledger::testing::AdminKey;
using ::ledger::testing::KeyFromSeed;
using ::ledger::testing::KeyIdOf;
using ::ledger::testing::kTestNowMicros;
using ::ledger::testing::kTestOrigin;
using ::ledger::testing::LogKey;
using ::ledger::testing::Sign;

// A claim: claimant name, statement text, said date (0 = unknown parts; year 0 = no date).
struct ClaimSpec {
  std::string claimant = "Ada Example";
  std::string claimant_id;  // stable id
  std::string role;
  std::string text = "The bridge opened in 1932.";
  int said_year = 0, said_month = 0, said_day = 0;
  std::vector<std::string> topics;
  std::vector<std::string> entities;  // names
  std::string url = "https://example.org/a";
  std::string publisher;
  std::string venue;
};
ledger::v1::Claim MakeClaim(const ClaimSpec& spec);

ledger::v1::Event AssertEvent(const ClaimSpec& spec);
ledger::v1::Event CorrectEvent(absl::string_view claim_id, const ClaimSpec& spec,
                               absl::string_view reason = "misquoted");
ledger::v1::Event RetractEvent(absl::string_view claim_id, absl::string_view reason = "wrong");
// A claim_appeared of `claim_id` at `url` (publisher may be empty).
ledger::v1::Event AppearEvent(absl::string_view claim_id, absl::string_view url,
                              absl::string_view publisher = "");
ledger::v1::Event ReviewEvent(absl::string_view claim_id, absl::string_view rating_text,
                              absl::string_view reviewer = "PolitiFact", int rating_value = 1);
ledger::v1::Event RegisterEvent(const crypto::PublicKey& key,
                                ledger::v1::KeyRegistered::Role role =
                                    ledger::v1::KeyRegistered::SUBMITTER);
ledger::v1::Event RevokeEvent(const crypto::PublicKey& key, absl::string_view reason = "rotated");

// A Log over a MemoryLogStore (or `store`), genesis admin AdminKey(), FakeClock at
// kTestNowMicros. Aborts the binary if the log cannot be opened.
class TestLedger {
 public:
  explicit TestLedger(std::unique_ptr<store::LogStore> store = nullptr);

  core::Log& log() { return *log_; }
  const store::LogStore& store() const { return log_->store(); }
  FakeClock& clock() { return clock_; }

  // Signs with `key` (AdminKey() by default) and appends. Errors from the log.
  absl::StatusOr<core::AppendResult> Append(absl::string_view event_id,
                                            const ledger::v1::Event& event,
                                            const crypto::Ed25519PrivateKey& key = AdminKey());
  // Append, failing the current test on error; returns the sequence.
  SequenceNumber MustAppend(absl::string_view event_id, const ledger::v1::Event& event,
                            const crypto::Ed25519PrivateKey& key = AdminKey());

 private:
  FakeClock clock_;
  std::unique_ptr<core::Log> log_;
};

// A read-only LogStore over another one that counts reads and can pretend the log is shorter
// (Head() and scans are clipped at `limit` entries).
class CountingLogStore : public ::ledger::testing::ForwardingLogStore {
 public:
  explicit CountingLogStore(const store::LogStore* base) : ForwardingLogStore(*base) {}

  void set_limit(std::optional<TreeSize> limit) { limit_ = limit; }
  // Serves `garbage` as the leaf data of entry `sequence` (to GetEntry and ScanEntries).
  void Corrupt(SequenceNumber sequence, std::string garbage) {
    corrupt_sequence_ = sequence;
    garbage_ = std::move(garbage);
  }
  // ScanEntries fails (UNAVAILABLE, "injected") on reaching entry `sequence`, after the
  // entries before it: a read error of the log store part-way through a scan.
  void FailScanAt(SequenceNumber sequence) { fail_scan_at_ = sequence; }
  int scan_calls() const { return scan_calls_; }
  uint64_t scanned_entries() const { return scanned_entries_; }
  int get_entry_calls() const { return get_entry_calls_; }
  void ResetCounters() { scan_calls_ = 0, scanned_entries_ = 0, get_entry_calls_ = 0; }

  store::LogHead Head() const override;
  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override;
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override;

 private:
  std::optional<TreeSize> limit_;
  std::optional<SequenceNumber> corrupt_sequence_;
  std::optional<SequenceNumber> fail_scan_at_;
  std::string garbage_;
  mutable std::atomic<int> scan_calls_{0};
  mutable std::atomic<uint64_t> scanned_entries_{0};
  mutable std::atomic<int> get_entry_calls_{0};
};

// A ViewStore over another one whose writes start failing (INTERNAL, nothing written) after
// `successful_writes` more writes: a crash between the log write and the view update.
class FailingViewStore : public ViewStore {
 public:
  FailingViewStore(std::unique_ptr<ViewStore> base, int successful_writes)
      : base_(std::move(base)), remaining_(successful_writes) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override {
    return base_->Get(key);
  }
  absl::Status Scan(
      absl::string_view begin, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override {
    return base_->Scan(begin, end, fn);
  }
  absl::Status WriteAll(absl::Span<const ViewBatch* const> batches,
                        const ViewWriteOptions& options) override;
  absl::Status Clear() override { return base_->Clear(); }
  absl::Status Flush() override { return base_->Flush(); }

 private:
  std::unique_ptr<ViewStore> base_;
  int remaining_;
};

// A new, empty directory: testing::EmptyDir(".<name>").
std::string TestDir(absl::string_view name);

// A ViewEngine over a MemoryViewStore with DefaultProjections(), its views in `lanes` lanes
// (applied on that many threads even for one entry). Aborts on error.
std::unique_ptr<ViewEngine> NewMemoryEngine(size_t max_batch_entries = 1024, size_t lanes = 1,
                                            int thread_nice = 0);
// The digest of every view of `engine`, by name (fails the test on error).
std::map<std::string, Hash> AllDigests(const ViewEngine& engine);

}  // namespace ledger::views::testing

#endif  // TESTS_VIEWS_VIEW_TEST_UTIL_H_
