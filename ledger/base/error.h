// Errors with a machine-readable reason and the offending field.
//
// Every refusal the API returns carries, besides its canonical code and message:
//   reason  an UPPER_SNAKE_CASE word that programs can switch on (docs/api.md lists them all),
//   field   the path of the offending request field, e.g. "event.claim_asserted.claim.statement.text"
//           or "events[3].signature" (empty when no single field is at fault).
// They travel as absl::Status payloads inside the library; service/grpc_status.cc turns them
// into a google.rpc.ErrorInfo in the gRPC status details.
//
// Message convention: "<field>: <what is wrong, with got and wanted>".
#ifndef LEDGER_BASE_ERROR_H_
#define LEDGER_BASE_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ledger {

// Builds an error. When `field` is not empty the message is prefixed with "<field>: ".
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                       absl::string_view message);

// The reason / field attached by MakeError; empty when none.
std::string ErrorReason(const absl::Status& status);
std::string ErrorField(const absl::Status& status);

// The same error with `prefix` put before its field and message (e.g. "events[3].").
absl::Status PrefixErrorField(const absl::Status& status, absl::string_view prefix);

// A refusal by a server that is not the leader can name the leader's address (host:port): it
// travels as the ErrorInfo's metadata["leader"] (service/grpc_status.h), so that a client can
// send the request there.
absl::Status WithLeaderHint(absl::Status status, absl::string_view leader);
// The leader named by WithLeaderHint; empty when none.
std::string ErrorLeader(const absl::Status& status);

// Reasons (part of the API; DO NOT rename). Grouped by the code they come with.
namespace reason {
// INVALID_ARGUMENT
inline constexpr absl::string_view kMalformedEvent = "MALFORMED_EVENT";
inline constexpr absl::string_view kFieldRequired = "FIELD_REQUIRED";
inline constexpr absl::string_view kLimitExceeded = "LIMIT_EXCEEDED";
inline constexpr absl::string_view kInvalidField = "INVALID_FIELD";
inline constexpr absl::string_view kTimeOutOfRange = "TIME_OUT_OF_RANGE";
inline constexpr absl::string_view kInvalidEnvelope = "INVALID_ENVELOPE";
inline constexpr absl::string_view kUnsupportedVersion = "UNSUPPORTED_VERSION";
inline constexpr absl::string_view kInvalidEventId = "INVALID_EVENT_ID";
inline constexpr absl::string_view kSignatureInvalid = "SIGNATURE_INVALID";
inline constexpr absl::string_view kInvalidRequest = "INVALID_REQUEST";
// The request bytes are not a valid protobuf message of the method's request type.
inline constexpr absl::string_view kMalformedRequest = "MALFORMED_REQUEST";
// FAILED_PRECONDITION / PERMISSION_DENIED / NOT_FOUND / ALREADY_EXISTS
inline constexpr absl::string_view kKeyNotRegistered = "KEY_NOT_REGISTERED";
inline constexpr absl::string_view kKeyRevoked = "KEY_REVOKED";
inline constexpr absl::string_view kKeyAlreadyRegistered = "KEY_ALREADY_REGISTERED";
inline constexpr absl::string_view kLastAdminKey = "LAST_ADMIN_KEY";
inline constexpr absl::string_view kAdminKeyRequired = "ADMIN_KEY_REQUIRED";
inline constexpr absl::string_view kClaimNotFound = "CLAIM_NOT_FOUND";
inline constexpr absl::string_view kKeyNotFound = "KEY_NOT_FOUND";
inline constexpr absl::string_view kNotLeader = "NOT_LEADER";
inline constexpr absl::string_view kClaimRetracted = "CLAIM_RETRACTED";
inline constexpr absl::string_view kNotClaimSubmitter = "NOT_CLAIM_SUBMITTER";
inline constexpr absl::string_view kEventIdConflict = "EVENT_ID_CONFLICT";
inline constexpr absl::string_view kNotFound = "NOT_FOUND";
inline constexpr absl::string_view kTreeSizeOutOfRange = "TREE_SIZE_OUT_OF_RANGE";
// A log restored behind a checkpoint it signed refuses appends (datadir::OpenLog).
inline constexpr absl::string_view kLogBehindSigned = "LOG_BEHIND_SIGNED";
// RESOURCE_EXHAUSTED / UNAVAILABLE
inline constexpr absl::string_view kBatchTooLarge = "BATCH_TOO_LARGE";
inline constexpr absl::string_view kDiskFull = "DISK_FULL";
inline constexpr absl::string_view kTooManyStreams = "TOO_MANY_STREAMS";
inline constexpr absl::string_view kLogStopped = "LOG_STOPPED";
inline constexpr absl::string_view kShuttingDown = "SHUTTING_DOWN";
inline constexpr absl::string_view kNoCheckpointYet = "NO_CHECKPOINT_YET";
// The claim-state map has no commitment yet (views still loading or catching up), or this
// server (a follower) cannot sign one.
inline constexpr absl::string_view kMapNotCommitted = "MAP_NOT_COMMITTED";
// Cluster mode (ledger/cluster/cluster_node.h).
inline constexpr absl::string_view kQuorumTimeout = "QUORUM_TIMEOUT";
inline constexpr absl::string_view kLogForkedFromPublished = "LOG_FORKED_FROM_PUBLISHED";
}  // namespace reason

}  // namespace ledger

#endif  // LEDGER_BASE_ERROR_H_
