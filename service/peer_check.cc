#include "service/peer_check.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger::service {
namespace {

// The peer's newest checkpoint note, or the RPC's error.
absl::StatusOr<std::string> FetchCheckpoint(const Peer& peer, absl::Duration timeout) {
  auto stub = ledger::v1::LedgerService::NewStub(peer.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  ledger::v1::GetCheckpointResponse resp;
  const grpc::Status s = stub->GetCheckpoint(&ctx, ledger::v1::GetCheckpointRequest(), &resp);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return resp.checkpoint();
}

// `cp` (verified: signed by this log's key) against the log of head `head`.
absl::Status CheckOne(const std::string& address, const format::Checkpoint& cp,
                      const core::Log& log) {
  const store::LogHead head = log.Head();
  const std::string recover = absl::StrCat(
      " Refusing to sign anything. Recover the entries from that follower: stop it, and "
      "`ledgerctl restore --backup BACKUP --data-dir NEW_DIR --db-from FOLLOWER_DIR` (its "
      "database, this log's identity and key), then serve NEW_DIR");
  if (cp.tree_size > head.tree_size) {
    return MakeError(absl::StatusCode::kFailedPrecondition, kReasonLogBehindPeer, "",
                     absl::StrCat("the log holds ", head.tree_size, " entries but follower ",
                                  address, " holds a checkpoint this log signed at tree size ",
                                  cp.tree_size, ": the log lost entries it had signed.",
                                  recover));
  }
  const store::LogStore& store = log.store();
  LEDGER_ASSIGN_OR_RETURN(
      Hash root,
      merkle::RootAt(cp.tree_size, [&store](merkle::NodeId id) { return store.GetNode(id); }));
  if (root != cp.root_hash) {
    return MakeError(absl::StatusCode::kFailedPrecondition, kReasonLogForkedFromPeer, "",
                     absl::StrCat("follower ", address, " holds a checkpoint this log signed at "
                                  "tree size ", cp.tree_size, " with another root than the log's "
                                  "(", head.tree_size, " entries) at that size: the log is not "
                                  "the history it signed (replaced or forked).",
                                  recover));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PeerCheckResult> CheckPeers(const core::Log& log, const std::vector<Peer>& peers,
                                           absl::Duration timeout) {
  const format::NoteVerifier verifier{log.identity().origin, log.identity().log_public_key};
  PeerCheckResult result;
  for (const Peer& peer : peers) {
    absl::StatusOr<std::string> note = FetchCheckpoint(peer, timeout);
    if (!note.ok()) {
      result.unreachable.push_back(absl::StrCat(peer.address, ": ", note.status().message()));
      continue;
    }
    if (note->empty()) continue;  // an empty follower holds nothing yet
    absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(*note, verifier);
    if (!cp.ok()) {
      result.foreign.push_back(absl::StrCat(peer.address, ": ", cp.status().message()));
      continue;
    }
    LEDGER_RETURN_IF_ERROR(CheckOne(peer.address, *cp, log));
    result.largest = std::max(result.largest, cp->tree_size);
  }
  return result;
}

}  // namespace ledger::service
