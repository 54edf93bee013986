#include "tests/views/view_test_util.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/views/claim_views.h"
#include "tests/testing/test_dir.h"

namespace ledger::views::testing {

ledger::v1::Claim MakeClaim(const ClaimSpec& spec) {
  ledger::v1::Claim c;
  c.mutable_claimant()->set_name(spec.claimant);
  c.mutable_claimant()->set_stable_id(spec.claimant_id);
  c.mutable_claimant()->set_role(spec.role);
  c.mutable_statement()->set_text(spec.text);
  if (spec.said_year != 0) {
    auto* d = c.mutable_said();
    d->set_year(spec.said_year);
    d->set_month(spec.said_month);
    d->set_day(spec.said_day);
    d->set_precision(spec.said_day != 0     ? ledger::v1::PartialDate::DAY
                     : spec.said_month != 0 ? ledger::v1::PartialDate::MONTH
                                            : ledger::v1::PartialDate::YEAR);
  }
  c.mutable_source()->set_url(spec.url);
  c.mutable_source()->set_publisher(spec.publisher);
  for (const std::string& t : spec.topics) c.add_topics(t);
  for (const std::string& e : spec.entities) c.add_entities()->set_name(e);
  c.set_venue(spec.venue);
  return c;
}

ledger::v1::Event AssertEvent(const ClaimSpec& spec) {
  ledger::v1::Event e;
  *e.mutable_claim_asserted()->mutable_claim() = MakeClaim(spec);
  return e;
}

ledger::v1::Event CorrectEvent(absl::string_view claim_id, const ClaimSpec& spec,
                               absl::string_view reason) {
  ledger::v1::Event e;
  auto* c = e.mutable_claim_corrected();
  c->set_corrects_claim_id(std::string(claim_id));
  *c->mutable_claim() = MakeClaim(spec);
  c->set_reason(std::string(reason));
  return e;
}

ledger::v1::Event RetractEvent(absl::string_view claim_id, absl::string_view reason) {
  ledger::v1::Event e;
  e.mutable_claim_retracted()->set_claim_id(std::string(claim_id));
  e.mutable_claim_retracted()->set_reason(std::string(reason));
  return e;
}

ledger::v1::Event AppearEvent(absl::string_view claim_id, absl::string_view url,
                              absl::string_view publisher) {
  ledger::v1::Event e;
  auto* a = e.mutable_claim_appeared();
  a->set_claim_id(std::string(claim_id));
  a->mutable_source()->set_url(std::string(url));
  a->mutable_source()->set_publisher(std::string(publisher));
  return e;
}

ledger::v1::Event ReviewEvent(absl::string_view claim_id, absl::string_view rating_text,
                              absl::string_view reviewer, int rating_value) {
  ledger::v1::Event e;
  auto* r = e.mutable_claim_reviewed();
  r->set_claim_id(std::string(claim_id));
  r->set_rating_text(std::string(rating_text));
  r->set_reviewer(std::string(reviewer));
  r->set_worst_rating(0);
  r->set_best_rating(5);
  r->set_rating_value(rating_value);
  return e;
}

ledger::v1::Event RegisterEvent(const crypto::PublicKey& key,
                                ledger::v1::KeyRegistered::Role role) {
  ledger::v1::Event e;
  auto* k = e.mutable_key_registered();
  k->set_public_key(std::string(crypto::AsStringView(key)));
  k->set_role(role);
  k->set_holder("Desk A, Example News");
  return e;
}

ledger::v1::Event RevokeEvent(const crypto::PublicKey& key, absl::string_view reason) {
  ledger::v1::Event e;
  e.mutable_key_revoked()->set_key_id(std::string(AsStringView(crypto::SignerKeyId(key))));
  e.mutable_key_revoked()->set_reason(std::string(reason));
  return e;
}

TestLedger::TestLedger(std::unique_ptr<store::LogStore> store) : clock_(kTestNowMicros) {
  if (store == nullptr) store = std::make_unique<store::MemoryLogStore>();
  core::LogIdentity identity;
  identity.origin = std::string(kTestOrigin);
  identity.log_public_key = LogKey().public_key();
  identity.admin_keys = {AdminKey().public_key()};
  core::LogOptions options;
  options.clock = &clock_;
  absl::StatusOr<std::unique_ptr<core::Log>> log =
      core::Log::Open(std::move(store), std::move(identity), LogKey(), options);
  if (!log.ok()) {
    std::cerr << "TestLedger: Log::Open failed: " << log.status() << "\n";
    std::abort();
  }
  log_ = *std::move(log);
}

absl::StatusOr<core::AppendResult> TestLedger::Append(absl::string_view event_id,
                                                      const ledger::v1::Event& event,
                                                      const crypto::Ed25519PrivateKey& key) {
  return log_->Append(Sign(event_id, event, key));
}

SequenceNumber TestLedger::MustAppend(absl::string_view event_id, const ledger::v1::Event& event,
                                      const crypto::Ed25519PrivateKey& key) {
  absl::StatusOr<core::AppendResult> r = Append(event_id, event, key);
  EXPECT_TRUE(r.ok()) << event_id << ": " << r.status();
  return r.ok() ? r->sequence : ~uint64_t{0};
}

store::LogHead CountingLogStore::Head() const {
  store::LogHead head = base().Head();
  if (limit_.has_value() && head.tree_size > *limit_) head.tree_size = *limit_;
  return head;
}

absl::StatusOr<std::string> CountingLogStore::GetEntry(SequenceNumber sequence) const {
  ++get_entry_calls_;
  if (sequence >= Head().tree_size) return absl::NotFoundError("past the (clipped) head");
  if (corrupt_sequence_ == sequence) return garbage_;
  return base().GetEntry(sequence);
}

absl::Status CountingLogStore::ScanEntries(
    SequenceNumber begin, SequenceNumber end,
    const std::function<bool(SequenceNumber, absl::string_view)>& fn) const {
  ++scan_calls_;
  end = std::min<SequenceNumber>(end, Head().tree_size);
  bool failed = false;
  absl::Status s = base().ScanEntries(begin, end, [&](SequenceNumber seq, absl::string_view leaf) {
    if (fail_scan_at_ == seq) {
      failed = true;
      return false;
    }
    ++scanned_entries_;
    if (corrupt_sequence_ == seq) return fn(seq, garbage_);
    return fn(seq, leaf);
  });
  if (failed) {
    return absl::UnavailableError(absl::StrCat("injected: reading log entry ", *fail_scan_at_));
  }
  return s;
}

absl::Status FailingViewStore::WriteAll(absl::Span<const ViewBatch* const> batches,
                                        const ViewWriteOptions& options) {
  if (remaining_ <= 0) return absl::InternalError("injected: the process died here");
  --remaining_;
  return base_->WriteAll(batches, options);
}

std::string TestDir(absl::string_view name) {
  return ::ledger::testing::EmptyDir(absl::StrCat(".", name));
}

std::unique_ptr<ViewEngine> NewMemoryEngine(size_t max_batch_entries, size_t lanes,
                                            int thread_nice) {
  ViewEngineOptions options;
  options.thread_nice = thread_nice;
  options.max_batch_entries = max_batch_entries;
  options.bulk_batch_entries = max_batch_entries;
  options.lanes = lanes;
  // Even a batch of one entry, live or bulk, goes through the lanes' threads when there are
  // several.
  options.parallel_min_entries = 1;
  options.parallel_live = true;
  absl::StatusOr<std::unique_ptr<ViewEngine>> engine = ViewEngine::Open(
      std::make_unique<MemoryViewStore>(), DefaultProjections(), options);
  if (!engine.ok()) {
    std::cerr << "NewMemoryEngine: " << engine.status() << "\n";
    std::abort();
  }
  return *std::move(engine);
}

std::map<std::string, Hash> AllDigests(const ViewEngine& engine) {
  std::map<std::string, Hash> out;
  for (const std::string& name : engine.ViewNames()) {
    absl::StatusOr<ViewDigest> d = engine.Digest(name);
    EXPECT_TRUE(d.ok()) << name << ": " << d.status();
    if (d.ok()) out[name] = d->digest;
  }
  return out;
}

}  // namespace ledger::views::testing
