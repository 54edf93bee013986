// Stored entries: leaf data (docs/format.md §4, kind 1, and §11, kind 2 batch members) as the
// store, the auditor and a follower decode it.
//
// Input: a mode byte, then
//   mode even  one leaf data (the rest of the input): DecodeLeafData, DecodeLogEntry and
//              EntrySigningInput must agree, and a leaf that decodes must be exactly the
//              encoding of what it decodes to (decode -> encode round trip).
//   mode odd   a log: 1..12 entries, each a flags byte and a u16-length-prefixed leaf data.
//              Flags bit 7: a u16-prefixed blob follows that mutates the entry's event field
//              by field (fuzz_support.h MutateMessage). Flags bit 0 then re-signs the entry
//              with fuzz key (flags >> 1) & 63, so mutated events get past the signature check
//              and reach the key and claim rules. The entries are then checked two ways that must agree:
//                - stored in a MemoryLogStore (with the Merkle nodes, indexes and a checkpoint
//                  signed by the log key) and audited (ledger/audit);
//                - replicated into an empty follower log (Log::AppendReplicated) with that
//                  checkpoint.
//              The audit passes exactly when the follower accepts the entries; when both do,
//              the follower holds exactly these entries.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/audit/auditor.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/log.h"
#include "ledger/core/replayer.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/memory_log_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

std::string Reencode(const format::EntryView& v) {
  if (v.envelope == format::kEnvelopeSingleSignature) {
    return format::EncodeLeafData(v.recorded_time_micros, v.event_id, v.key_id, v.signature,
                                  v.event);
  }
  return format::EncodeBatchLeafData(v.recorded_time_micros, v.event_id, v.key_id,
                                     v.batch.batch_id, v.batch.batch_size, v.batch.index,
                                     v.batch.proof, v.signature, v.event);
}

void OneLeaf(const std::string& leaf) {
  const absl::StatusOr<format::EntryView> v = format::DecodeLeafData(leaf);
  FUZZ_EXPECT_VALID(v.status());
  const absl::StatusOr<core::LogEntry> e = core::DecodeLogEntry(7, leaf);
  FUZZ_CHECK(v.ok() == e.ok());
  if (!v.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(v.status()));
    return;
  }
  FUZZ_CHECK_MSG(Reencode(*v) == leaf, "decode -> encode does not give the leaf data back");
  FUZZ_CHECK(v->key_id.size() == format::kKeyIdSize);
  FUZZ_CHECK(v->signature.size() == format::kSignatureSize);
  FUZZ_CHECK(e->event_id == v->event_id && e->key_id == v->key_id &&
             e->signature == v->signature && e->event == v->event &&
             e->recorded_time_micros == v->recorded_time_micros && e->leaf_data == leaf &&
             e->leaf_hash == merkle::HashLeaf(leaf));
  FUZZ_CHECK(e->batch.has_value() == (v->envelope == format::kEnvelopeBatchSignature));
  const absl::StatusOr<std::string> input = format::EntrySigningInput(kOrigin, *v);
  if (v->envelope == format::kEnvelopeSingleSignature) {
    FUZZ_CHECK(input.ok() && *input == format::EventSigningInput(kOrigin, v->event_id, v->event));
  } else {
    FUZZ_CHECK(v->batch.proof.size() % 32 == 0);
    if (input.ok()) FUZZ_CHECK(v->batch.index < v->batch.batch_size);
    FUZZ_EXPECT_VALID(input.status());
  }
  // The replayer (auditor, followers) on it alone: never a crash.
  const core::KeyRegistry keys(Identity().admin_keys);
  core::EntryReplayer replayer(std::string(kOrigin), &keys, core::ClaimLookup(), 0, 1);
  (void)replayer.Add(0, leaf);
  (void)replayer.VerifySignatures(nullptr);
}

// Replaces the entry's key id and signature with a valid signature by `key` (when it decodes).
std::string Resign(const std::string& leaf, const crypto::Ed25519PrivateKey& key) {
  absl::StatusOr<format::EntryView> v = format::DecodeLeafData(leaf);
  if (!v.ok()) return leaf;
  const std::string key_id = KeyIdOf(key.public_key());
  format::EntryView signed_view = *v;
  signed_view.key_id = key_id;
  const absl::StatusOr<std::string> input = format::EntrySigningInput(kOrigin, signed_view);
  if (!input.ok()) return leaf;
  const std::string signature = key.Sign(*input);
  signed_view.signature = signature;
  return Reencode(signed_view);
}

// Replaces the entry's event with a structurally mutated one (fuzz_support.h MutateMessage),
// serialised canonically.
std::string MutateEvent(const std::string& leaf, Input* in) {
  const std::string blob = in->Blob(256);
  Input mutations(blob);
  absl::StatusOr<format::EntryView> v = format::DecodeLeafData(leaf);
  ledger::v1::Event event;
  if (!v.ok() || !event.ParseFromString(std::string(v->event))) return leaf;
  for (int k = 0, n = 1 + mutations.U8() % 4; k < n; ++k) MutateMessage(&event, &mutations);
  const std::string bytes = client::SerializeEvent(event);
  format::EntryView changed = *v;
  changed.event = bytes;
  return Reencode(changed);
}

void Log(Input* in) {
  const size_t count = 1 + in->U8() % 12;
  std::vector<std::string> leaves;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t flags = in->U8();
    std::string leaf = in->Blob();
    if (flags & 0x80) leaf = MutateEvent(leaf, in);
    if (flags & 1) leaf = Resign(leaf, SignerKey((flags >> 1) & 0x3f));
    leaves.push_back(std::move(leaf));
  }

  // The store, as a leader would have written it.
  store::CommitBatch batch;
  batch.expected_tree_size = 0;
  merkle::Frontier frontier;
  std::map<std::string, bool> ids;
  std::map<Hash, bool> hashes;
  int64_t last_time = 0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Hash leaf_hash = merkle::HashLeaf(leaves[i]);
    frontier.Append(leaf_hash, &batch.nodes);
    if (hashes.emplace(leaf_hash, true).second) batch.leaf_index.emplace_back(leaf_hash, i);
    absl::StatusOr<format::EntryView> v = format::DecodeLeafData(leaves[i]);
    if (v.ok()) {
      if (ids.emplace(std::string(v->event_id), true).second) {
        batch.event_ids.emplace_back(std::string(v->event_id),
                                     store::EventIdRecord{i, crypto::Sha256(v->event)});
      }
      last_time = std::max(last_time, v->recorded_time_micros);
    }
    batch.entries.push_back(leaves[i]);
  }
  const Hash root = frontier.Root();
  const std::string note = format::SignCheckpoint({std::string(kOrigin), count, root}, LogKey());
  batch.checkpoint = note;
  batch.new_head = {count, root, last_time};
  store::MemoryLogStore store;
  const absl::Status committed = store.Commit(batch);
  FUZZ_CHECK_MSG(committed.ok(), committed.ToString());

  audit::AuditOptions options;
  options.threads = 1;
  const absl::StatusOr<audit::AuditReport> report = audit::AuditLog(store, Identity(), options);
  FUZZ_CHECK_MSG(report.ok(), report.status().ToString());
  FUZZ_EXPECT_VALID(report->ok ? absl::OkStatus() : absl::DataLossError(report->problem));
  if (report->ok) {
    FUZZ_CHECK(report->tree_size == count && report->entries_checked == count &&
               report->root_hash == root && report->latest_checkpoint == note);
  } else {
    FUZZ_CHECK(!report->problem.empty());
    if (report->first_bad_sequence.has_value()) FUZZ_CHECK(*report->first_bad_sequence < count);
  }

  // A follower replicating the same entries with the same checkpoint.
  core::LogOptions follower_options;
  absl::StatusOr<std::unique_ptr<core::Log>> follower = core::Log::Open(
      std::make_unique<store::MemoryLogStore>(), Identity(), std::nullopt, follower_options);
  FUZZ_CHECK_MSG(follower.ok(), follower.status().ToString());
  const absl::StatusOr<TreeSize> applied = (*follower)->AppendReplicated(leaves, note);
  FUZZ_CHECK_MSG(applied.ok() == report->ok,
                 absl::StrCat("the audit says ", report->ok ? "intact" : report->problem,
                              " but the follower says ", applied.status().ToString()));
  if (applied.ok()) {
    FUZZ_CHECK(*applied == count);
    const store::LogHead head = (*follower)->Head();
    FUZZ_CHECK(head.tree_size == count && head.root_hash == root);
    for (size_t i = 0; i < count; ++i) {
      absl::StatusOr<core::LogEntry> e = (*follower)->GetEntry(i);
      FUZZ_CHECK(e.ok() && e->leaf_data == leaves[i]);
    }
    FUZZ_CHECK((*follower)->LatestCheckpoint() == note);
  } else {
    FUZZ_CHECK((*follower)->Head().tree_size == 0);  // refused: nothing written
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t mode = in.U8();
  if ((mode & 1) == 0) {
    ledger::fuzz::OneLeaf(in.Rest());
  } else {
    ledger::fuzz::Log(&in);
  }
  return 0;
}
