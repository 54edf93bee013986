#include "tests/replication/fake_leader.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/memory_log_store.h"
#include "tests/testing/test_log.h"

namespace ledger::testing {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::cerr << what << ": " << v.status() << "\n";
    std::abort();
  }
  return *std::move(v);
}

}  // namespace

LeaderLog::LeaderLog(const crypto::Ed25519PrivateKey& log_key,
                     const std::vector<crypto::PublicKey>& admins)
    : clock_(kTestNowMicros) {
  core::LogIdentity identity;
  identity.origin = std::string(kTestOrigin);
  identity.log_public_key = log_key.public_key();
  identity.admin_keys = admins;
  core::LogOptions options;
  options.clock = &clock_;
  log_ = OrDie(core::Log::Open(std::make_unique<store::MemoryLogStore>(), identity, log_key,
                               options),
               "LeaderLog: Log::Open");
}

LeaderLog::LeaderLog() : LeaderLog(LogKey(), {AdminKey().public_key()}) {}

absl::Status LeaderLog::AppendClaims(const std::string& prefix, int count,
                                     const crypto::Ed25519PrivateKey& signer) {
  for (int i = 0; i < count; ++i) {
    clock_.Advance(1000);
    const std::string id = absl::StrCat(prefix, "-", i);
    absl::StatusOr<core::AppendResult> r =
        log_->Append(Sign(id, ClaimEvent(absl::StrCat("Claim ", id, ".")), signer));
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status LeaderLog::AppendBatches(const std::string& prefix, int count, int batch_size,
                                      const crypto::Ed25519PrivateKey& signer) {
  for (int start = 0; start < count; start += batch_size) {
    clock_.Advance(1000);
    std::vector<std::pair<std::string, std::string>> events;
    for (int i = start; i < count && i < start + batch_size; ++i) {
      const std::string id = absl::StrCat(prefix, "-", i);
      events.emplace_back(id, client::SerializeEvent(ClaimEvent(absl::StrCat("Claim ", id, "."))));
    }
    absl::StatusOr<std::vector<core::AppendResult>> r = log_->AppendSignedBatch(
        client::SignBatch(kTestOrigin, absl::StrCat(prefix, "-batch-", start), events, signer));
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

std::unique_ptr<core::Log> BuildBatchedLeaderLog(const std::string& prefix, int count,
                                                 int batch_size) {
  auto store = std::make_unique<store::MemoryLogStore>();
  const crypto::Ed25519PrivateKey signer = AdminKey();
  const crypto::Ed25519PrivateKey log_key = LogKey();
  merkle::Frontier frontier;
  int64_t now = kTestNowMicros;
  store::CommitBatch empty;  // the signed empty tree, as Log::Open writes it
  empty.new_head = store->Head();
  empty.checkpoint = format::SignCheckpoint({std::string(kTestOrigin), 0, merkle::EmptyRoot()},
                                            log_key);
  if (absl::Status s = store->Commit(empty); !s.ok()) {
    std::cerr << "BuildBatchedLeaderLog: " << s << "\n";
    std::abort();
  }
  for (int start = 0; start < count; start += batch_size) {
    now += 1000;
    std::vector<std::pair<std::string, std::string>> events;
    for (int i = start; i < count && i < start + batch_size; ++i) {
      const std::string id = absl::StrCat(prefix, "-", i);
      events.emplace_back(id, client::SerializeEvent(ClaimEvent(absl::StrCat("Claim ", id, "."))));
    }
    const std::string batch_id = absl::StrCat(prefix, "-batch-", start);
    const ledger::v1::SignedBatch signed_batch =
        client::SignBatch(kTestOrigin, batch_id, events, signer);
    std::map<std::pair<uint32_t, uint64_t>, Hash> nodes;
    merkle::Frontier tree;
    for (const auto& [id, event] : events) {
      std::vector<std::pair<merkle::NodeId, Hash>> added;
      tree.Append(merkle::HashLeaf(format::BatchItem(id, event)), &added);
      for (const auto& [node, h] : added) nodes[{node.level, node.index}] = h;
    }
    const merkle::NodeReader read = [&nodes](merkle::NodeId id) -> absl::StatusOr<Hash> {
      return nodes.at({id.level, id.index});
    };
    store::CommitBatch batch;
    batch.expected_tree_size = frontier.size();
    const uint32_t n = static_cast<uint32_t>(events.size());
    for (uint32_t i = 0; i < n; ++i) {
      std::string proof;
      for (const Hash& h : OrDie(merkle::InclusionProof(i, n, read), "InclusionProof")) {
        proof.append(AsStringView(h).data(), h.size());
      }
      const auto& [id, event] = events[i];
      std::string leaf = format::EncodeBatchLeafData(now, id, signed_batch.key_id(), batch_id, n,
                                                     i, proof, signed_batch.signature(), event);
      const Hash leaf_hash = merkle::HashLeaf(leaf);
      const SequenceNumber seq = frontier.size();
      frontier.Append(leaf_hash, &batch.nodes);
      batch.leaf_index.emplace_back(leaf_hash, seq);
      batch.event_ids.emplace_back(id, store::EventIdRecord{seq, crypto::Sha256(event)});
      batch.entries.push_back(std::move(leaf));
    }
    batch.new_head = {frontier.size(), frontier.Root(), now};
    batch.checkpoint =
        format::SignCheckpoint({std::string(kTestOrigin), frontier.size(), frontier.Root()},
                               log_key);
    if (absl::Status s = store->Commit(batch); !s.ok()) {
      std::cerr << "BuildBatchedLeaderLog: " << s << "\n";
      std::abort();
    }
  }
  return OrDie(core::Log::Open(std::move(store), TestIdentity(), log_key, core::LogOptions()),
               "BuildBatchedLeaderLog: Log::Open");
}

std::unique_ptr<core::Log> OpenFollowerLog(std::unique_ptr<store::LogStore> store) {
  return OrDie(core::Log::Open(std::move(store), TestIdentity(), std::nullopt, core::LogOptions()),
               "OpenFollowerLog: Log::Open");
}

absl::Status FakeEntrySource::Call() {
  const uint64_t index = calls_++;
  if (fail_ && fail_(index)) {
    ++failed_;
    return absl::UnavailableError(absl::StrCat("fake network cut at call ", index));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeEntrySource::LatestCheckpoint(
    const replication::FollowerPosition& position, absl::Duration) {
  if (absl::Status s = Call(); !s.ok()) return s;
  last_position_ = position;
  if (latest_.has_value()) return *latest_;
  return leader_->LatestCheckpoint();
}

absl::StatusOr<std::string> FakeEntrySource::CheckpointAt(TreeSize tree_size) {
  if (absl::Status s = Call(); !s.ok()) return s;
  return leader_->CheckpointAt(tree_size);
}

absl::StatusOr<replication::EntryBatch> FakeEntrySource::Entries(
    const replication::FollowerPosition& position, SequenceNumber from, size_t max_entries) {
  if (absl::Status s = Call(); !s.ok()) return s;
  last_position_ = position;
  replication::EntryBatch batch;
  const TreeSize size = leader_->Head().tree_size;
  const SequenceNumber end = std::min<uint64_t>(size, from + std::min(max_entries, page_limit_));
  if (from >= end) return batch;
  absl::Status scan = leader_->store().ScanEntries(
      from, end, [&](SequenceNumber seq, absl::string_view leaf) {
        std::string data(leaf);
        if (tamper_) tamper_(seq, &data);
        batch.leaf_datas.push_back(std::move(data));
        return true;
      });
  if (!scan.ok()) return scan;
  if (send_checkpoints_) {
    for (TreeSize s = from + 1; s <= end; ++s) {
      absl::StatusOr<std::string> cp = leader_->CheckpointAt(s);
      if (cp.ok()) batch.checkpoints[s] = *cp;
    }
  }
  return batch;
}

absl::StatusOr<std::vector<Hash>> FakeEntrySource::ConsistencyProof(TreeSize from_size,
                                                                    TreeSize to_size) {
  if (absl::Status s = Call(); !s.ok()) return s;
  absl::StatusOr<core::ConsistencyProof> proof = leader_->ProveConsistency(from_size, to_size);
  if (!proof.ok()) return proof.status();
  return proof->hashes;
}

}  // namespace ledger::testing
