// The signed and stored byte formats of log entries (docs/format.md is the specification;
// this header and entry.cc are its only implementation in the project).
//
//   signing input v1 = "factledger/v1/event" 0x00
//                      || u16be(len(origin)) || origin
//                      || u16be(len(event_id)) || event_id
//                      || SHA-256(event bytes)
//
//   leaf data v1     = 0x01 (entry format version) || 0x01 (envelope: one signature per event)
//                      || u64be(recorded_time_micros)
//                      || u16be(len(event_id)) || event_id
//                      || key_id (32) || signature (64)
//                      || u32be(len(event)) || event
//
//   leaf hash        = SHA-256(0x00 || leaf data)           (RFC 6962)
//
// All of these are part of the signed / on-disk format: DO NOT CHANGE. A new envelope kind
// (e.g. batch signatures) gets a new envelope byte; existing logs stay valid.
#ifndef LEDGER_FORMAT_ENTRY_H_
#define LEDGER_FORMAT_ENTRY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::format {

inline constexpr uint8_t kEntryFormatV1 = 0x01;
inline constexpr uint8_t kEnvelopeSingleSignature = 0x01;
// The SignedEvent.version the API accepts, naming the envelope above.
inline constexpr uint32_t kSignedEventVersion1 = 1;

inline constexpr size_t kKeyIdSize = 32;
inline constexpr size_t kSignatureSize = 64;
// Bounds of the encoding itself; the admission limits (ledger/core/limits.h) are tighter.
inline constexpr size_t kMaxEncodedEventIdSize = 0xffff;
inline constexpr size_t kMaxEncodedOriginSize = 0xffff;

// Builds the bytes an event's Ed25519 signature covers.
// Preconditions: origin and event_id shorter than 65536 bytes.
std::string EventSigningInput(absl::string_view origin, absl::string_view event_id,
                              absl::string_view event_bytes);

// One stored entry, decoded. The string_views point into the leaf data it was decoded from.
struct EntryView {
  int64_t recorded_time_micros = 0;
  absl::string_view event_id;
  absl::string_view key_id;     // 32 bytes
  absl::string_view signature;  // 64 bytes
  absl::string_view event;      // the exact event bytes that were signed
};

// Encodes the leaf data of an entry. Preconditions: key_id is 32 bytes, signature 64,
// event_id < 65536 bytes, event < 2^32 bytes.
std::string EncodeLeafData(int64_t recorded_time_micros, absl::string_view event_id,
                           absl::string_view key_id, absl::string_view signature,
                           absl::string_view event);

// Decodes leaf data. DataLoss naming the problem (unknown version, truncated, trailing bytes).
// The result borrows from `leaf_data`, which must outlive it.
absl::StatusOr<EntryView> DecodeLeafData(absl::string_view leaf_data);

}  // namespace ledger::format

#endif  // LEDGER_FORMAT_ENTRY_H_
