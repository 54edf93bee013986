// A follower's EntrySource that lets it follow its leader only as far as a witnessed
// checkpoint (ledgerd serve --follow ... --require-witnesses K --witness-key VKEY ...
// --leader-http URL; docs/c2sp.md "Witness cosigning").
//
// LatestCheckpoint answers the leader's witnessed checkpoint (GET <leader-http>/checkpoint
// ?witnessed, served by a leader with --witness) once it is cosigned by `policy`; every other
// call goes to the wrapped source (the leader's Replicate stream). So the follower replicates,
// verifies and serves a checkpoint only when enough of the witnesses it trusts cosigned it, and
// holds at the last such checkpoint otherwise: a leader showing this follower a history the
// witnesses did not see cannot move it. The cosigned note is what the follower stores for that
// size (its own /checkpoint then carries the cosignatures). Not witnessed yet, or the policy
// not met: UNAVAILABLE naming why (the follower retries with backoff and logs it).
//
// Thread-compatible like every EntrySource, except Cancel() (any thread).
#ifndef SERVICE_WITNESSED_SOURCE_H_
#define SERVICE_WITNESSED_SOURCE_H_

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/replication/entry_source.h"
#include "ledger/witness/cosignature.h"
#include "service/http/http_client.h"

namespace ledger::service {

class WitnessedEntrySource : public replication::EntrySource {
 public:
  // `inner` is borrowed and must outlive this source.
  WitnessedEntrySource(replication::EntrySource* inner, http::HttpUrl leader_http,
                       witness::WitnessPolicy policy);

  // Polls the leader's witnessed checkpoint (every 200 ms, up to `wait_for_growth`) until it
  // is larger than position.tree_size, and answers the last one that met the policy.
  absl::StatusOr<std::string> LatestCheckpoint(const replication::FollowerPosition& position,
                                               absl::Duration wait_for_growth) override;
  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override {
    return inner_->CheckpointAt(tree_size);
  }
  absl::StatusOr<replication::EntryBatch> Entries(const replication::FollowerPosition& position,
                                                  SequenceNumber from,
                                                  size_t max_entries) override {
    return inner_->Entries(position, from, max_entries);
  }
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override {
    return inner_->ConsistencyProof(from_size, to_size);
  }

  // Ends a LatestCheckpoint poll at once (it fails with CANCELLED), and every later one.
  void Cancel();

 private:
  // One fetch: the note when it meets the policy, else why not.
  absl::StatusOr<std::string> FetchWitnessed();

  replication::EntrySource* const inner_;
  const http::HttpUrl leader_http_;
  const witness::WitnessPolicy policy_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ledger::service

#endif  // SERVICE_WITNESSED_SOURCE_H_
