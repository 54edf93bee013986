// Replication: a follower (ledger/replication/follower.h) reading a leader that may lie. The
// leader's answers are ledger.v1 messages -- ReplicateResponse, GetConsistencyProofResponse,
// GetCheckpointResponse -- read exactly as ledgerd's GrpcEntrySource reads them
// (ReplicateReader, EntryBatchFromResponse, ConsistencyProofFromResponse). Each answer
// is chosen by the input: the honest leader A (the sample log, served by the real
// LedgerServiceImpl / HandleReplicate), a second leader B signed with the same log key that
// forks from A after entry 5, either of them with bytes of the answer mutated, raw bytes from
// the input, or a transport error.
//
// Input: a start byte (an empty follower, or one holding a prefix of A or B), options (page
// and chunk sizes), then one answer spec per call the follower makes, for up to 6 rounds.
// Invariants: after every round the follower holds a prefix of A or a prefix of B -- never
// anything else, whatever the answers (checkpoints need the log key, which only A and B have);
// its latest checkpoint verifies and is for its own size; its store passes the audit; when
// every answer was A's own, the follower never stops and ends caught up with A; a follower
// that stops for a finding leaves an evidence file. The same with durable receipts (an option
// bit): what a round received is applied by the follower's apply thread, and the invariants
// hold once it has (WaitApplied).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/audit/auditor.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/replication/follower.h"
#include "service/ledger_service.h"
#include "service/replication_grpc_source.h"
#include "service/replication_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

constexpr size_t kSharedPrefix = 5;  // entries A and B have in common

struct Leader {
  std::unique_ptr<LogUnderTest> t;
  std::unique_ptr<service::LedgerServiceImpl> service;
  std::vector<std::string> leaves;
};

const Leader& LeaderA() {
  static const Leader* a = [] {
    auto* l = new Leader;
    l->t = BuildSampleLog();
    l->service = std::make_unique<service::LedgerServiceImpl>(l->t->log.get());
    l->leaves = LeafDatas(*l->t->log);
    return l;
  }();
  return *a;
}

const Leader& LeaderB() {
  static const Leader* b = [] {
    auto* l = new Leader;
    l->t = std::make_unique<LogUnderTest>();
    const std::vector<v1::AppendRequest> requests = SampleRequests();
    for (size_t i = 0; i < kSharedPrefix; ++i) {
      if (!l->t->log->Append(requests[i].event()).ok()) std::abort();
      l->t->clock.Advance(1000);
    }
    for (int i = 0; i < 4; ++i) {
      const v1::SignedEvent e = client::SignEvent(
          kOrigin, absl::StrCat("fork-", i), SampleClaimEvent(absl::StrCat("Forked claim ", i)),
          SignerKey(0));
      if (!l->t->log->Append(e).ok()) std::abort();
      l->t->clock.Advance(1000);
    }
    l->service = std::make_unique<service::LedgerServiceImpl>(l->t->log.get());
    l->leaves = LeafDatas(*l->t->log);
    return l;
  }();
  return *b;
}

const std::string& EvidenceDir() {
  static const std::string* dir = [] {
    // tmpfs when there is one: the files are fsynced, and many are written.
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                      : base != nullptr                 ? base
                                                                        : "/tmp") +
                          "/fuzz-evidence-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    static const std::string* root = new std::string(pattern);
    std::atexit([] { std::filesystem::remove_all(*root); });
    return new std::string(datadir::ForkEvidenceDir(pattern));
  }();
  return *dir;
}

// An EntrySource whose answers the fuzz input picks; reads them with GrpcEntrySource's own
// reader (service::ReplicateReader: the long poll's prefetch).
class FuzzSource : public service::ReplicateReader {
 public:
  explicit FuzzSource(Input* in) : in_(in) {}

  bool honest_a_only() const { return honest_a_only_; }

  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override {
    const Leader* leader = nullptr;
    absl::Status error;
    const int how = Pick(&leader, &error);
    if (leader == nullptr) return error;
    v1::GetCheckpointRequest req;
    req.set_tree_size(tree_size);
    v1::GetCheckpointResponse resp;
    const grpc::Status s = leader->service->GetCheckpoint(nullptr, &req, &resp);
    if (!s.ok()) return service::FromGrpcStatus(s);
    if (!Mangle(how, &resp)) return absl::InternalError("unparseable answer");
    return resp.checkpoint();
  }


  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override {
    const Leader* leader = nullptr;
    absl::Status error;
    const int how = Pick(&leader, &error);
    v1::GetConsistencyProofResponse resp;
    if (how == kRaw) {
      if (!resp.ParseFromString(in_->Blob(4096))) return absl::InternalError("unparseable");
      return service::ConsistencyProofFromResponse(resp);
    }
    if (leader == nullptr) return error;
    v1::GetConsistencyProofRequest req;
    req.set_from_tree_size(from_size);
    req.set_to_tree_size(to_size);
    const grpc::Status s = leader->service->GetConsistencyProof(nullptr, &req, &resp);
    if (!s.ok()) return service::FromGrpcStatus(s);
    if (!Mangle(how, &resp)) return absl::InternalError("unparseable answer");
    return service::ConsistencyProofFromResponse(resp);
  }

 private:
  enum How { kHonest = 0, kMutated = 1, kRaw = 2, kError = 3 };

  // Chooses who answers and how. Out of input: a transport error.
  int Pick(const Leader** leader, absl::Status* error) {
    if (in_->empty()) {
      *error = absl::UnavailableError("the fuzz input ran out");
      honest_a_only_ = false;
      return kError;
    }
    const uint8_t tag = in_->U8();
    const int how = (tag >> 1) % 4;
    *leader = (tag & 1) == 0 ? &LeaderA() : &LeaderB();
    if (how == kError) {
      *leader = nullptr;
      *error = absl::Status(static_cast<absl::StatusCode>(1 + tag % 16), "fuzz transport error");
    }
    if (how != kHonest || *leader != &LeaderA()) honest_a_only_ = false;
    return how;
  }

  // For kMutated: flips input-chosen bytes of the serialised answer. False when the result no
  // longer parses (gRPC would fail the call).
  template <typename Message>
  bool Mangle(int how, Message* m) {
    if (how != kMutated) return true;
    std::string bytes = m->SerializeAsString();
    for (int i = 0, n = 1 + in_->U8() % 3; i < n && !bytes.empty(); ++i) {
      const size_t at = in_->Below(bytes.size());
      const uint8_t x = in_->U8();
      if (x == 0) {
        bytes.erase(at, 1 + in_->U8() % 8);
      } else {
        bytes[at] ^= static_cast<char>(x);
      }
    }
    return m->ParseFromString(bytes);
  }

  uint32_t PrefetchEntries() override { return in_->U8() % 16; }

  absl::StatusOr<v1::ReplicateResponse> Replicate(const replication::FollowerPosition& position,
                                                  SequenceNumber start, uint32_t max_entries,
                                                  absl::Duration) override {
    const Leader* leader = nullptr;
    absl::Status error;
    const int how = Pick(&leader, &error);
    v1::ReplicateResponse resp;
    if (how == kRaw) {
      if (!resp.ParseFromString(in_->Blob())) return absl::InternalError("unparseable");
      return resp;
    }
    if (leader == nullptr) return error;
    v1::ReplicateRequest req;
    req.set_follower_id(position.follower_id);
    req.set_follower_tree_size(position.tree_size);
    req.set_start_sequence(start);
    req.set_max_entries(max_entries);
    const grpc::Status s = service::HandleReplicate(*leader->t->log, nullptr, nullptr, req, &resp);
    if (!s.ok()) return service::FromGrpcStatus(s);
    if (!Mangle(how, &resp)) return absl::InternalError("unparseable answer");
    return resp;
  }

  Input* in_;
  bool honest_a_only_ = true;
};

// True when the follower's entries are leaves[0 .. size).
bool IsPrefixOf(const core::Log& follower, const std::vector<std::string>& leaves) {
  const TreeSize size = follower.Head().tree_size;
  if (size > leaves.size()) return false;
  for (SequenceNumber i = 0; i < size; ++i) {
    absl::StatusOr<core::LogEntry> e = follower.GetEntry(i);
    if (!e.ok() || e->leaf_data != leaves[i]) return false;
  }
  return true;
}

void Run(Input* in) {
  const Leader& a = LeaderA();
  const Leader& b = LeaderB();
  FakeClock clock(kNowMicros + 3600LL * 1000000);
  absl::StatusOr<std::unique_ptr<core::Log>> opened = core::Log::Open(
      std::make_unique<store::MemoryLogStore>(), Identity(), std::nullopt, core::LogOptions());
  FUZZ_CHECK(opened.ok());
  core::Log& follower = **opened;

  // Where the follower starts: empty, or holding a prefix of A or B.
  const uint8_t start = in->U8();
  bool starts_on_a = true;
  if (start % 3 != 0) {
    const Leader& from = start % 3 == 1 ? a : b;
    TreeSize n = 1 + in->Below(from.leaves.size());
    while (!from.t->log->CheckpointAt(n).ok()) --n;  // no checkpoint inside a batch's commit
    starts_on_a = start % 3 == 1 || n <= kSharedPrefix;
    const std::vector<std::string> prefix(from.leaves.begin(), from.leaves.begin() + n);
    const absl::StatusOr<TreeSize> applied =
        follower.AppendReplicated(prefix, *from.t->log->CheckpointAt(n));
    FUZZ_CHECK_MSG(applied.ok(), applied.status().ToString());
  }

  const uint8_t opts = in->U8();
  replication::FollowerOptions options;
  options.follower_id = "fuzz-follower";
  options.evidence_dir = EvidenceDir();
  options.page_entries = 1 + opts % 8;
  options.max_chunk_entries = 1 + (opts >> 3) % 8;
  options.clock = &clock;
  // Durable receipts (the cluster's follower): one store for the process, emptied per input.
  const bool receipts = (opts & 0x40) != 0;
  if (receipts) {
    static replication::ReceiptStore* store = [] {
      const std::string dir = absl::StrCat(EvidenceDir(), "-receipts");
      absl::StatusOr<std::unique_ptr<replication::ReceiptStore>> s =
          replication::ReceiptStore::Open(dir);
      FUZZ_CHECK_MSG(s.ok(), s.status().ToString());
      return s->release();
    }();
    absl::StatusOr<std::vector<replication::Receipt>> left = store->LoadAll();
    FUZZ_CHECK(left.ok());
    for (const replication::Receipt& r : *left) FUZZ_CHECK(store->Remove(r.from).ok());
    options.receipts = store;
  }
  FuzzSource source(in);
  replication::Follower f(&follower, &source, options);

  replication::Follower::Round round = replication::Follower::Round::kRetry;
  for (int i = 0; i < 6; ++i) {
    round = f.RunOnce();
    f.WaitApplied();  // with receipts: what the round received is applied (or refused)
    if (receipts && f.status().state == replication::FollowerState::kStopped) {
      round = replication::Follower::Round::kStopped;
    }
    const bool on_a = IsPrefixOf(follower, a.leaves);
    FUZZ_CHECK_MSG(on_a || IsPrefixOf(follower, b.leaves),
                   "the follower holds entries that are neither leader's");
    const TreeSize size = follower.Head().tree_size;
    if (size > 0 || !follower.LatestCheckpoint().empty()) {
      const absl::StatusOr<format::Checkpoint> cp =
          format::VerifyCheckpoint(follower.LatestCheckpoint(), Verifier());
      FUZZ_CHECK_MSG(cp.ok(), cp.status().ToString());
      FUZZ_CHECK(cp->tree_size == size && cp->root_hash == follower.Head().root_hash);
    }
    const replication::FollowerStatus status = f.status();
    FUZZ_CHECK(status.tree_size == size);
    if (round == replication::Follower::Round::kStopped) {
      if (status.fork_kind != replication::ForkKind::kNone) {
        FUZZ_CHECK_MSG(!status.evidence_file.empty(), status.last_error.ToString());
        FUZZ_CHECK(::access(status.evidence_file.c_str(), R_OK) == 0);
        std::remove(status.evidence_file.c_str());
      }
      break;
    }
    if (in->empty()) break;
  }
  if (source.honest_a_only() && starts_on_a) {
    FUZZ_CHECK_MSG(round != replication::Follower::Round::kStopped,
                   "the follower stopped on an honest leader: " + f.status().fork_detail +
                       f.status().last_error.ToString());
    if (round == replication::Follower::Round::kCaughtUp) {
      FUZZ_CHECK(follower.Head().tree_size == a.leaves.size());
    }
  }
  if (ExpectValid()) {
    FUZZ_CHECK_MSG(round == replication::Follower::Round::kCaughtUp,
                   f.status().fork_detail + f.status().last_error.ToString());
  }

  audit::AuditOptions audit_options;
  audit_options.threads = 1;
  const absl::StatusOr<audit::AuditReport> report =
      audit::AuditLog(follower.store(), Identity(), audit_options);
  FUZZ_CHECK(report.ok());
  FUZZ_CHECK_MSG(report->ok, "the follower's store fails the audit: " + report->problem);
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  ledger::fuzz::Run(&in);
  return 0;
}
