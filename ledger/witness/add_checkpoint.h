// The bytes of the C2SP tlog-witness add-checkpoint call (c2sp.org/tlog-witness):
//
//   POST <submission prefix>/add-checkpoint
//   old <size, decimal without leading zeros>\n
//   <base64 consistency proof hash>\n      (0..63 lines)
//   \n
//   <the signed checkpoint note>
//
// answered 200 with cosignature lines (cosignature.h), or 409 Conflict with the witness's
// latest cosigned size as "<size>\n" (Content-Type text/x.tlog.size).
// Part of the served format (docs/format.md §14): DO NOT CHANGE.
//
// Pure functions, thread-safe.
#ifndef LEDGER_WITNESS_ADD_CHECKPOINT_H_
#define LEDGER_WITNESS_ADD_CHECKPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::witness {

inline constexpr absl::string_view kAddCheckpointPath = "/add-checkpoint";
inline constexpr absl::string_view kTlogSizeContentType = "text/x.tlog.size";
// The spec: "The client MUST NOT send more than 63 consistency proof lines."
inline constexpr size_t kMaxConsistencyProofLines = 63;
// A request body: the old size line (<= 25 bytes), 63 proof lines (45 bytes each) and a note
// (<= 16 KiB, cosignature.h's kMaxSignedNoteBytes) fit well under this.
inline constexpr size_t kMaxAddCheckpointBodyBytes = 32 * 1024;

struct AddCheckpointRequest {
  TreeSize old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the signed note, verbatim (not checked here)
};

std::string EncodeAddCheckpointRequest(const AddCheckpointRequest& request);

// Parses a request body. InvalidArgument naming the line and what is wrong: a body over
// kMaxAddCheckpointBodyBytes; an old size line that is not "old <decimal>" without leading
// zeros (or over 2^64 - 1); a proof line that is not canonical padded base64 of 32 bytes; more
// than 63 proof lines; no empty line; an empty checkpoint. The checkpoint itself is checked by
// its verifier.
absl::StatusOr<AddCheckpointRequest> ParseAddCheckpointRequest(absl::string_view body);

// "<size>\n", the body of a 409 reply.
std::string EncodeTlogSize(TreeSize size);
// Parses a 409 body. InvalidArgument unless it is exactly a decimal without leading zeros and a
// newline.
absl::StatusOr<TreeSize> ParseTlogSize(absl::string_view body);

}  // namespace ledger::witness

#endif  // LEDGER_WITNESS_ADD_CHECKPOINT_H_
