#include "ledger/core/replayer.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ledger/core/event_validation.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"

namespace ledger::core {
namespace {

// Keeps the set of remembered batch signatures small: a batch can only continue into the
// entries that follow it.
constexpr size_t kMaxRememberedSignatures = 16384;

absl::Status EntryError(SequenceNumber seq, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("entry ", seq, ": ", what));
}

}  // namespace

EntryReplayer::EntryReplayer(std::string origin, const KeyRegistry* keys, ClaimLookup claims,
                             int64_t last_recorded_time_micros, int threads)
    : origin_(std::move(origin)),
      threads_(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
      keys_(keys),
      claims_(std::move(claims)),
      last_recorded_time_micros_(last_recorded_time_micros) {}

absl::StatusOr<ReplayedEntry> EntryReplayer::Add(SequenceNumber seq, absl::string_view leaf_data) {
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf_data);
  if (!view.ok()) return EntryError(seq, view.status().message());
  if (absl::Status s = ValidateEventId(view->event_id); !s.ok()) {
    return EntryError(seq, s.message());
  }
  absl::StatusOr<ledger::v1::Event> event = ParseStoredEvent(view->event);
  if (!event.ok()) return EntryError(seq, event.status().message());
  if (view->recorded_time_micros < last_recorded_time_micros_) {
    return EntryError(seq, absl::StrCat("recorded time ", view->recorded_time_micros,
                                        " is before the previous entry's ",
                                        last_recorded_time_micros_));
  }
  if (absl::Status s = keys_.Authorize(*event, view->key_id); !s.ok()) {
    return EntryError(seq, absl::StrCat("signer not allowed: ", s.message()));
  }
  if (absl::Status s = KeyRegistry::CheckCompromiseWindow(*event, seq); !s.ok()) {
    return EntryError(seq, s.message());
  }
  const KeyRecord signer = *keys_.Find(view->key_id);
  // Claim rules are checked on a scratch overlay, so a refused entry changes nothing.
  ClaimRules claims(&claims_);
  if (absl::Status s = claims.Authorize(*event, view->key_id, signer.role); !s.ok()) {
    return EntryError(seq, absl::StrCat("breaks the claim rules: ", s.message()));
  }
  absl::StatusOr<std::vector<std::pair<std::string, ClaimRecord>>> claim_changes =
      claims.Apply(*event, view->event_id, view->key_id, seq);
  if (!claim_changes.ok()) return EntryError(seq, claim_changes.status().message());
  absl::StatusOr<std::string> message = format::EntrySigningInput(origin_, *view);
  if (!message.ok()) return EntryError(seq, message.status().message());

  // Accepted: apply.
  claims.MergeIntoParent();
  ReplayedEntry out;
  out.event_id = std::string(view->event_id);
  // An event signing input ends with SHA-256 of the event (format.md §3): not hashed twice.
  out.event_hash = view->envelope == format::kEnvelopeSingleSignature
                       ? HashFromBytes(absl::string_view(*message).substr(message->size() - 32))
                       : crypto::Sha256(view->event);
  out.leaf_hash = merkle::HashLeaf(leaf_data);
  out.recorded_time_micros = view->recorded_time_micros;
  out.key_changes = keys_.Apply(*event, seq);
  out.claim_changes = *std::move(claim_changes);
  last_recorded_time_micros_ = view->recorded_time_micros;
  if (view->envelope != format::kEnvelopeBatchSignature) {
    jobs_.push_back({signer.public_key, *std::move(message), std::string(view->signature), seq});
    return out;
  }
  // The members of a signed batch share one (key, signing input, signature): checked once.
  std::string job_key = absl::StrCat(view->key_id, view->signature, *message);
  if (verified_.count(job_key) == 0 && pending_.count(job_key) == 0) {
    jobs_.push_back({signer.public_key, *std::move(message), std::string(view->signature), seq});
    pending_.insert(std::move(job_key));
  }
  return out;
}

size_t EntryReplayer::VerifyJobs(const std::vector<SignatureJob>& jobs, size_t begin,
                                 size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (!crypto::Ed25519Verify(jobs[i].key, jobs[i].message, jobs[i].signature)) return i;
  }
  return end;
}

std::vector<EntryReplayer::SignatureJob> EntryReplayer::TakeSignatureJobs() {
  std::vector<SignatureJob> jobs = std::move(jobs_);
  jobs_.clear();
  RememberPending();
  return jobs;
}

void EntryReplayer::RememberPending() {
  if (verified_.size() > kMaxRememberedSignatures) verified_.clear();
  for (auto& k : pending_) verified_.insert(k);
  pending_.clear();
}

std::optional<SequenceNumber> EntryReplayer::VerifySignatures(uint64_t* checked) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> first_bad{jobs_.size()};
  auto work = [&] {
    for (;;) {
      size_t i = next.fetch_add(64);
      if (i >= jobs_.size()) return;
      const size_t end = std::min(jobs_.size(), i + 64);
      for (; i < end; ++i) {
        i = VerifyJobs(jobs_, i, end);
        if (i < end) {
          size_t cur = first_bad.load();
          while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads_ && static_cast<size_t>(t) * 64 < jobs_.size(); ++t) {
    pool.emplace_back(work);
  }
  work();
  for (auto& t : pool) t.join();
  const size_t bad = first_bad.load();
  if (checked != nullptr) *checked += std::min(bad + 1, jobs_.size());
  std::optional<SequenceNumber> result;
  if (bad < jobs_.size()) result = jobs_[bad].sequence;
  jobs_.clear();
  RememberPending();
  return result;
}

}  // namespace ledger::core
