// A small, deterministic log for the fuzz targets and their seed generator: 11 entries by the
// keys of fuzz_support.h -- key registrations, claims asserted, corrected, reviewed and
// retracted, a signed batch of three (envelope kind 2) and a key revocation -- each in its own
// group commit, so a signed checkpoint is stored at every size 0..11.
//
// Built the same way every time (fixed clock, fixed keys, deterministic Ed25519), so a target
// can rebuild at start-up exactly the log the seeds were made from.
#ifndef TESTS_FUZZ_SAMPLE_LOG_H_
#define TESTS_FUZZ_SAMPLE_LOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ledger/base/clock.h"
#include "ledger/core/log.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/v1/claim.pb.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::fuzz {

// A claim_asserted event with every field of the claim model set.
ledger::v1::Event SampleClaimEvent(absl::string_view text);
ledger::v1::Event KeyRegisteredEvent(const crypto::PublicKey& key,
                                     ledger::v1::KeyRegistered::Role role);
ledger::v1::Event KeyRevokedEvent(const crypto::PublicKey& key);

// The requests that build the sample log, in order: an AppendRequest holds one SignedEvent or
// (entries 7..9) one SignedBatch.
std::vector<ledger::v1::AppendRequest> SampleRequests();

// A log (leader, with the log key) over a MemoryLogStore at kNowMicros. Aborts on failure.
struct LogUnderTest {
  LogUnderTest();  // the empty log
  FakeClock clock;
  store::MemoryLogStore* store = nullptr;  // owned by log
  std::unique_ptr<core::Log> log;
};

// The empty log with SampleRequests() appended one request at a time.
std::unique_ptr<LogUnderTest> BuildSampleLog();

// A process-wide sample log, built on first use (read-only after that).
const LogUnderTest& SharedSampleLog();

// The leaf data of every entry of `log`, in order.
std::vector<std::string> LeafDatas(const core::Log& log);

}  // namespace ledger::fuzz

#endif  // TESTS_FUZZ_SAMPLE_LOG_H_
