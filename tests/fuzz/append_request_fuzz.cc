// Append requests through the real service: ledger.v1 request bytes are parsed and handed to
// LedgerServiceImpl (service/ledger_service.h) over a fresh core::Log on a MemoryLogStore --
// envelope and event validation, key registry, claim rules, signatures, idempotency, group
// commit -- followed by reads of what was written. Also the error details a client decodes
// (cli::FromGrpcStatus).
//
// Input: up to 12 operations, each an op byte and a u16-length-prefixed payload. (op & 15) % 9:
//   0 Append (AppendRequest)            5 GetInclusionProof (GetInclusionProofRequest)
//   1 AppendBatch (AppendBatchRequest)  6 GetConsistencyProof + GetCheckpoint (...Request)
//   2 AppendSignedBatch (...Request)    7 a grpc::Status with the payload as error details,
//   3 Log::AppendEach, as AppendStream    decoded by ledgerctl's FromGrpcStatus
//     does (AppendBatchRequest)         8 structured: events of the sample log mutated field
//   4 GetEntry + ListEntries (payload:    by field (fuzz_support.h MutateMessage), signed,
//     u64 start, u16 max)                 appended alone, as a batch or as a signed batch
// Bit 4 of the op re-signs what is appended with fuzz key (op >> 5) (key id and signature
// replaced), so that mutated events get past the signature check to the rules behind it.
//
// Invariants: a refused request writes nothing; an accepted one grows the log by exactly its
// new entries, each readable, hashed as answered and covered by the signed checkpoint
// returned; every proof served verifies; checkpoints served verify; and at the end the
// offline audit (ledger/audit) finds the log intact -- nothing the service admitted breaks a
// rule the auditor checks -- and the claim views (ledger/views) replay all of it.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "google/rpc/status.pb.h"
#include "ledger/audit/auditor.h"
#include "ledger/base/error.h"
#include "ledger/client/event_signer.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_store.h"
#include "service/grpc_status.h"
#include "service/ledger_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

void Resign(v1::SignedEvent* e, const crypto::Ed25519PrivateKey& key) {
  e->set_key_id(KeyIdOf(key.public_key()));
  e->set_signature(key.Sign(format::EventSigningInput(kOrigin, e->event_id(), e->event())));
}

void Resign(v1::SignedBatch* b, const crypto::Ed25519PrivateKey& key) {
  merkle::Frontier tree;
  for (const auto& e : b->events()) {
    tree.Append(merkle::HashLeaf(format::BatchItem(e.event_id(), e.event())), nullptr);
  }
  b->set_key_id(KeyIdOf(key.public_key()));
  b->set_signature(key.Sign(format::BatchSigningInput(
      kOrigin, b->batch_id(), static_cast<uint32_t>(b->events_size()), tree.Root())));
}

class Harness {
 public:
  Harness() : service_(t_.log.get()) {}

  TreeSize Size() const { return t_.log->Head().tree_size; }

  // Checks one accepted append result against the log.
  void CheckResult(const v1::AppendResponse& r) {
    FUZZ_CHECK(r.sequence() < Size());
    v1::GetEntryRequest req;
    req.set_sequence(r.sequence());
    v1::GetEntryResponse resp;
    FUZZ_CHECK(service_.GetEntry(nullptr, &req, &resp).ok());
    FUZZ_CHECK(resp.entry().leaf_hash() == r.leaf_hash());
    FUZZ_CHECK(AsStringView(merkle::HashLeaf(resp.entry().leaf_data())) == r.leaf_hash());
    FUZZ_CHECK(resp.entry().recorded_time_micros() == r.recorded_time_micros());
    const absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(r.checkpoint(), Verifier());
    FUZZ_CHECK_MSG(cp.ok(), cp.status().ToString());
    FUZZ_CHECK(cp->tree_size > r.sequence() && cp->tree_size <= Size());
  }

  void CheckAppend(const grpc::Status& status, TreeSize before,
                   const std::vector<const v1::AppendResponse*>& results) {
    FUZZ_EXPECT_VALID(cli::FromGrpcStatus(status, "append"));
    if (!status.ok()) {
      FUZZ_CHECK_MSG(Size() == before, "a refused append wrote entries: " + status.error_message());
      CheckErrorDetails(status);
      return;
    }
    TreeSize fresh = 0;
    for (const v1::AppendResponse* r : results) {
      CheckResult(*r);
      if (!r->duplicate()) {
        FUZZ_CHECK(r->sequence() >= before);
        ++fresh;
      }
    }
    FUZZ_CHECK_MSG(Size() == before + fresh, absl::StrCat(before, " + ", fresh, " != ", Size()));
  }

  // The error as ledgerctl decodes it: same code, and the reason the service attached.
  void CheckErrorDetails(const grpc::Status& status) {
    const absl::Status decoded = cli::FromGrpcStatus(status, "rpc");
    FUZZ_CHECK(static_cast<int>(decoded.code()) == static_cast<int>(status.error_code()));
    google::rpc::Status details;
    if (!status.error_details().empty()) {
      FUZZ_CHECK(details.ParseFromString(status.error_details()));
      FUZZ_CHECK(!ErrorReason(decoded).empty());
    }
  }

  void Op(uint8_t op, const std::string& payload, Input* in) {
    const bool resign = (op & 0x10) != 0;
    const crypto::Ed25519PrivateKey& key = SignerKey(op >> 5);
    const TreeSize before = Size();
    switch ((op & 0x0f) % 9) {
      case 0: {
        v1::AppendRequest req;
        if (!req.ParseFromString(payload)) return;
        if (resign && req.has_event()) Resign(req.mutable_event(), key);
        v1::AppendResponse resp;
        const grpc::Status s = service_.AppendAndWait(&req, &resp);
        CheckAppend(s, before, {&resp});
        break;
      }
      case 1: {
        v1::AppendBatchRequest req;
        if (!req.ParseFromString(payload)) return;
        if (resign) for (auto& e : *req.mutable_events()) Resign(&e, key);
        v1::AppendBatchResponse resp;
        const grpc::Status s = service_.AppendBatch(nullptr, &req, &resp);
        std::vector<const v1::AppendResponse*> results;
        for (const auto& r : resp.results()) results.push_back(&r);
        if (s.ok()) FUZZ_CHECK(resp.results_size() == req.events_size());
        CheckAppend(s, before, results);
        break;
      }
      case 2: {
        v1::AppendSignedBatchRequest req;
        if (!req.ParseFromString(payload)) return;
        if (resign) Resign(req.mutable_batch(), key);
        v1::AppendBatchResponse resp;
        const grpc::Status s = service_.AppendSignedBatch(nullptr, &req, &resp);
        std::vector<const v1::AppendResponse*> results;
        for (const auto& r : resp.results()) results.push_back(&r);
        if (s.ok()) FUZZ_CHECK(resp.results_size() == req.batch().events_size());
        CheckAppend(s, before, results);
        // A batch member's entry proves its membership: its signing input verifies.
        for (const v1::AppendResponse* r : results) {
          const absl::StatusOr<core::LogEntry> e = t_.log->GetEntry(r->sequence());
          FUZZ_CHECK(e.ok());
          if (!e->batch.has_value()) continue;  // a duplicate of an earlier single append
          const absl::StatusOr<format::EntryView> view = format::DecodeLeafData(e->leaf_data);
          FUZZ_CHECK(view.ok());
          const absl::StatusOr<std::string> input = format::EntrySigningInput(kOrigin, *view);
          FUZZ_CHECK_MSG(input.ok(), input.status().ToString());
        }
        break;
      }
      case 3: {
        v1::AppendBatchRequest req;
        if (!req.ParseFromString(payload)) return;
        if (resign) for (auto& e : *req.mutable_events()) Resign(&e, key);
        std::vector<v1::SignedEvent> events(req.events().begin(), req.events().end());
        const std::vector<absl::StatusOr<core::AppendResult>> results = t_.log->AppendEach(events);
        FUZZ_CHECK(results.size() == std::max<size_t>(1, events.size()));
        TreeSize fresh = 0;
        for (const auto& r : results) {
          FUZZ_EXPECT_VALID(r.status());
          if (r.ok() && !r->duplicate) ++fresh;
          if (r.ok()) {
            FUZZ_CHECK(r->sequence < Size());
            FUZZ_CHECK(t_.log->GetEntry(r->sequence)->leaf_hash == r->leaf_hash);
          }
        }
        FUZZ_CHECK(Size() == before + fresh);
        break;
      }
      case 4: {
        Input p(payload);
        v1::GetEntryRequest req;
        req.set_sequence(p.U64() % (Size() + 2));
        v1::GetEntryResponse resp;
        const grpc::Status s = service_.GetEntry(nullptr, &req, &resp);
        FUZZ_CHECK(s.ok() == (req.sequence() < Size()));
        v1::ListEntriesRequest list;
        list.set_start_sequence(p.U64() % (Size() + 2));
        list.set_max_entries(p.U16());
        v1::ListEntriesResponse entries;
        const grpc::Status ls = service_.ListEntries(nullptr, &list, &entries);
        FUZZ_CHECK(ls.ok() == (list.max_entries() <= 1000));
        for (int i = 0; i < entries.entries_size(); ++i) {
          FUZZ_CHECK(entries.entries(i).sequence() == list.start_sequence() + i);
        }
        break;
      }
      case 5: {
        v1::GetInclusionProofRequest req;
        if (!req.ParseFromString(payload)) return;
        v1::GetInclusionProofResponse resp;
        if (!service_.GetInclusionProof(nullptr, &req, &resp).ok()) return;
        std::vector<Hash> proof;
        for (const std::string& h : resp.hashes()) {
          FUZZ_CHECK(h.size() == 32);
          proof.push_back(HashFromBytes(h));
        }
        FUZZ_CHECK(resp.leaf_hash().size() == 32 && resp.root_hash().size() == 32);
        FUZZ_CHECK(resp.tree_size() <= Size() && resp.sequence() < resp.tree_size());
        FUZZ_CHECK(merkle::VerifyInclusion(resp.sequence(), resp.tree_size(),
                                           HashFromBytes(resp.leaf_hash()), proof,
                                           HashFromBytes(resp.root_hash()))
                       .ok());
        break;
      }
      case 6: {
        v1::GetConsistencyProofRequest req;
        if (!req.ParseFromString(payload)) return;
        v1::GetConsistencyProofResponse resp;
        if (service_.GetConsistencyProof(nullptr, &req, &resp).ok()) {
          std::vector<Hash> proof;
          for (const std::string& h : resp.hashes()) proof.push_back(HashFromBytes(h));
          FUZZ_CHECK(resp.from_tree_size() <= resp.to_tree_size() && resp.to_tree_size() <= Size());
          if (resp.from_tree_size() > 0) {
            FUZZ_CHECK(merkle::VerifyConsistency(resp.from_tree_size(), resp.to_tree_size(),
                                                 HashFromBytes(resp.from_root_hash()),
                                                 HashFromBytes(resp.to_root_hash()), proof)
                           .ok());
          } else {
            FUZZ_CHECK(proof.empty());
          }
        }
        v1::GetCheckpointRequest cp_req;
        cp_req.set_tree_size(req.from_tree_size());
        v1::GetCheckpointResponse cp;
        if (service_.GetCheckpoint(nullptr, &cp_req, &cp).ok()) {
          const absl::StatusOr<format::Checkpoint> parsed =
              format::VerifyCheckpoint(cp.checkpoint(), Verifier());
          FUZZ_CHECK(parsed.ok() && parsed->tree_size == cp.tree_size() &&
                     AsStringView(parsed->root_hash) == cp.root_hash());
          FUZZ_CHECK(cp.tree_size() <= Size());
        }
        break;
      }
      case 8: {
        // Structured: events of the sample log, mutated field by field, signed properly.
        Input p(payload);
        static const std::vector<v1::AppendRequest>* sample =
            new std::vector<v1::AppendRequest>(SampleRequests());
        std::vector<v1::SignedEvent> events;
        const crypto::Ed25519PrivateKey& signer = SignerKey(p.U8());
        for (int i = 0, n = 1 + p.U8() % 3; i < n; ++i) {
          const v1::AppendRequest& base = (*sample)[p.Below(sample->size())];
          if (!base.has_event()) continue;
          v1::Event event;
          FUZZ_CHECK(event.ParseFromString(base.event().event()));
          for (int k = 0, m = 1 + p.U8() % 4; k < m; ++k) MutateMessage(&event, &p);
          const std::string id = p.Bool() ? base.event().event_id()
                                          : absl::StrCat("fz-", p.U8() % 8);
          events.push_back(client::SignEvent(kOrigin, id, event, signer));
        }
        if (events.empty()) return;
        if (events.size() == 1) {
          v1::AppendRequest req;
          *req.mutable_event() = events[0];
          v1::AppendResponse resp;
          const grpc::Status s = service_.AppendAndWait(&req, &resp);
          CheckAppend(s, before, {&resp});
        } else if (p.Bool()) {
          std::vector<std::pair<std::string, std::string>> items;
          for (const auto& e : events) items.emplace_back(e.event_id(), e.event());
          v1::AppendSignedBatchRequest req;
          *req.mutable_batch() = client::SignBatch(kOrigin, "fz-batch", items, signer);
          v1::AppendBatchResponse resp;
          const grpc::Status s = service_.AppendSignedBatch(nullptr, &req, &resp);
          std::vector<const v1::AppendResponse*> results;
          for (const auto& r : resp.results()) results.push_back(&r);
          CheckAppend(s, before, results);
        } else {
          v1::AppendBatchRequest req;
          for (const auto& e : events) *req.add_events() = e;
          v1::AppendBatchResponse resp;
          const grpc::Status s = service_.AppendBatch(nullptr, &req, &resp);
          std::vector<const v1::AppendResponse*> results;
          for (const auto& r : resp.results()) results.push_back(&r);
          CheckAppend(s, before, results);
        }
        break;
      }
      default: {
        const grpc::Status status(static_cast<grpc::StatusCode>(in->U8() % 17), "fuzz", payload);
        const absl::Status decoded = cli::FromGrpcStatus(status, "rpc");
        FUZZ_CHECK(!decoded.ok() || status.ok());
        // And what the service itself attaches comes back.
        const absl::string_view reasons[] = {reason::kMalformedEvent, reason::kKeyRevoked,
                                             reason::kDiskFull, reason::kEventIdConflict, ""};
        const absl::Status original =
            MakeError(static_cast<absl::StatusCode>(1 + in->U8() % 16), reasons[in->U8() % 5],
                      "events[1].event_id", "x");
        const absl::Status back = cli::FromGrpcStatus(service::ToGrpcStatus(original), "rpc");
        FUZZ_CHECK(back.code() == original.code());
        // Every refusal carries a reason on the wire: a status without one goes out with its
        // code's name (service/grpc_status.cc), so that is what comes back.
        const std::string expected = ErrorReason(original).empty()
                                         ? absl::StatusCodeToString(original.code())
                                         : ErrorReason(original);
        FUZZ_CHECK_MSG(ErrorReason(back) == expected,
                       absl::StrCat(original.ToString(), " came back as ", back.ToString(),
                                    " with reason \"", ErrorReason(back), "\""));
        break;
      }
    }
  }

  void Finish() {
    audit::AuditOptions options;
    options.threads = 1;
    const absl::StatusOr<audit::AuditReport> report =
        audit::AuditLog(*t_.store, Identity(), options);
    FUZZ_CHECK_MSG(report.ok(), report.status().ToString());
    FUZZ_CHECK_MSG(report->ok, "the service admitted what the audit refuses: " + report->problem);
    FUZZ_CHECK(report->tree_size == Size());
    // The views replay whatever the log admitted.
    absl::StatusOr<std::unique_ptr<views::ViewEngine>> engine = views::ViewEngine::Open(
        std::make_unique<views::MemoryViewStore>(), views::DefaultProjections());
    FUZZ_CHECK(engine.ok());
    const absl::StatusOr<views::CatchUpResult> caught_up = (*engine)->CatchUp(*t_.store);
    FUZZ_CHECK_MSG(caught_up.ok(), "the views refuse what the log admitted: " +
                                       caught_up.status().ToString());
    FUZZ_CHECK(caught_up->watermark == Size());
  }

 private:
  LogUnderTest t_;
  service::LedgerServiceImpl service_;
};

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  ledger::fuzz::Harness harness;
  for (int i = 0; i < 12 && !in.empty(); ++i) {
    const uint8_t op = in.U8();
    const std::string payload = in.Blob();
    harness.Op(op, payload, &in);
  }
  harness.Finish();
  return 0;
}
