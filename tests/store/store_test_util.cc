#include "tests/store/store_test_util.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "ledger/crypto/sha256.h"
#include "tests/testing/test_dir.h"

namespace ledger::store::testing {

std::string EntryData(SequenceNumber sequence) { return absl::StrCat("entry-", sequence); }

Hash LeafHash(SequenceNumber sequence) { return crypto::Sha256(EntryData(sequence)); }

std::string EventIdOf(SequenceNumber sequence) { return absl::StrCat("event-", sequence); }

EventIdRecord EventRecordOf(SequenceNumber sequence) {
  EventIdRecord record;
  record.sequence = sequence;
  record.event_hash = crypto::Sha256(absl::StrCat("event bytes ", sequence));
  return record;
}

Hash RootAt(TreeSize tree_size) { return crypto::Sha256(absl::StrCat("root-", tree_size)); }

std::string CheckpointNote(TreeSize tree_size) {
  return absl::StrCat("example.org/log\n", tree_size, "\n", HexEncode(RootAt(tree_size)), "\n");
}

CommitBatch MakeBatch(const LogHead& head, int count) {
  CommitBatch batch;
  batch.expected_tree_size = head.tree_size;
  for (int i = 0; i < count; ++i) {
    const SequenceNumber sequence = head.tree_size + i;
    batch.entries.push_back(EntryData(sequence));
    batch.nodes.push_back({merkle::NodeId{0, sequence}, LeafHash(sequence)});
    batch.leaf_index.push_back({LeafHash(sequence), sequence});
    batch.event_ids.push_back({EventIdOf(sequence), EventRecordOf(sequence)});
  }
  batch.new_head.tree_size = head.tree_size + count;
  batch.new_head.root_hash = count == 0 ? head.root_hash : RootAt(batch.new_head.tree_size);
  batch.new_head.last_recorded_time_micros = head.last_recorded_time_micros + 1;
  batch.checkpoint = CheckpointNote(batch.new_head.tree_size);
  return batch;
}

std::string FreshTestDir() {
  static int counter = 0;
  return ::ledger::testing::EmptyDir(absl::StrCat(".", ++counter));
}

}  // namespace ledger::store::testing
