// The followers' word before a leader signs (issue 15): a starting leader asks the followers it
// is told about (`ledgerd serve --peer`) for the newest checkpoint each holds. A checkpoint
// signed by this log's key that is larger than the log, or has another root at a size the log
// holds, means the log lost or changed what it signed (restored from an older copy, damaged
// within the anchors' trailing window, or replaced): the leader must not sign anything, or it
// would sign a fork those followers would report.
#ifndef SERVICE_PEER_CHECK_H_
#define SERVICE_PEER_CHECK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"

namespace ledger::service {

// Start-up refusals (FAILED_PRECONDITION): ledgerd exits 4.
inline constexpr absl::string_view kReasonLogBehindPeer = "LOG_BEHIND_PEER";
inline constexpr absl::string_view kReasonLogForkedFromPeer = "LOG_FORKED_FROM_PEER";

struct Peer {
  std::string address;  // for messages
  std::shared_ptr<grpc::Channel> channel;
};

struct PeerCheckResult {
  std::vector<std::string> unreachable;  // "address: error", not asked again
  std::vector<std::string> foreign;      // "address: why": not a checkpoint of this log
  TreeSize largest = 0;                  // the largest checkpoint of this log a peer holds
};

// Asks each peer (GetCheckpoint, latest; `timeout` per call) for its newest checkpoint and
// checks those signed by `log`'s key against the log: its size must be at most the log's, with
// the log's root at that size. Peers that cannot be reached, or answer with a checkpoint of
// another log, are listed in the result and otherwise ignored (the check is as strong as the
// peers that answer). Errors: FAILED_PRECONDITION, reason LOG_BEHIND_PEER or
// LOG_FORKED_FROM_PEER, naming the peer, both sizes and how to recover; a storage error
// reading the log's Merkle nodes.
absl::StatusOr<PeerCheckResult> CheckPeers(const core::Log& log, const std::vector<Peer>& peers,
                                           absl::Duration timeout);

}  // namespace ledger::service

#endif  // SERVICE_PEER_CHECK_H_
