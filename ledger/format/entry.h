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
// Batch signatures (envelope kind 2): one signature for many events, each still provable alone.
//
//   batch item i     = u16be(len(event_id_i)) || event_id_i || SHA-256(event_i)
//   batch root       = RFC 6962 Merkle tree hash over the items, in batch order
//   batch signing input = "factledger/v1/batch" 0x00
//                      || u16be(len(origin)) || origin
//                      || u16be(len(batch_id)) || batch_id
//                      || u32be(batch size n) || batch root
//
//   leaf data v1, kind 2 = 0x01 || 0x02 || u64be(recorded_time_micros)
//                      || u16be(len(event_id)) || event_id || key_id (32)
//                      || u16be(len(batch_id)) || batch_id || u32be(n) || u32be(index)
//                      || u8(k) || k RFC 6962 inclusion-proof hashes (32 each) of item index
//                      || signature (64, the batch signature)
//                      || u32be(len(event)) || event
//
// All of these are part of the signed / on-disk format: DO NOT CHANGE. A new envelope kind
// gets a new envelope byte; existing logs stay valid.
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
inline constexpr uint8_t kEnvelopeBatchSignature = 0x02;
// The SignedEvent.version the API accepts, naming the envelope above.
inline constexpr uint32_t kSignedEventVersion1 = 1;
// SignedBatch.version, and SignedEvent.version when an entry is read back as a batch member.
inline constexpr uint32_t kSignedBatchVersion1 = 2;

inline constexpr size_t kKeyIdSize = 32;
inline constexpr size_t kSignatureSize = 64;
// Bounds of the encoding itself; the admission limits (ledger/core/limits.h) are tighter.
inline constexpr size_t kMaxEncodedEventIdSize = 0xffff;
inline constexpr size_t kMaxEncodedOriginSize = 0xffff;

// Builds the bytes an event's Ed25519 signature covers.
// Preconditions: origin and event_id shorter than 65536 bytes.
std::string EventSigningInput(absl::string_view origin, absl::string_view event_id,
                              absl::string_view event_bytes);

// Builds the bytes of batch item `event_id` / `event` (its leaf in the batch tree).
std::string BatchItem(absl::string_view event_id, absl::string_view event);

// Builds the bytes a batch signature covers. Preconditions: origin, batch_id < 65536 bytes.
std::string BatchSigningInput(absl::string_view origin, absl::string_view batch_id,
                              uint32_t batch_size, const Hash& batch_root);

// Where an entry sits in the signed batch it came from (envelope kind 2).
struct BatchMembershipView {
  absl::string_view batch_id;
  uint32_t batch_size = 0;
  uint32_t index = 0;
  absl::string_view proof;  // k * 32 bytes
};

// One stored entry, decoded. The string_views point into the leaf data it was decoded from.
struct EntryView {
  uint8_t envelope = kEnvelopeSingleSignature;
  int64_t recorded_time_micros = 0;
  absl::string_view event_id;
  absl::string_view key_id;     // 32 bytes
  absl::string_view signature;  // 64 bytes (for kind 2: the batch signature)
  absl::string_view event;      // the exact event bytes that were signed
  BatchMembershipView batch;    // kind 2 only
};

// The signing input the entry's signature must verify over: EventSigningInput for kind 1;
// for kind 2, BatchSigningInput with the batch root recomputed from the entry's item and
// membership proof. DataLoss when the membership proof is malformed (index >= size, wrong
// length).
absl::StatusOr<std::string> EntrySigningInput(absl::string_view origin, const EntryView& entry);

// Encodes the leaf data of a batch member (kind 2). `proof` is k * 32 bytes, k < 256.
std::string EncodeBatchLeafData(int64_t recorded_time_micros, absl::string_view event_id,
                                absl::string_view key_id, absl::string_view batch_id,
                                uint32_t batch_size, uint32_t index, absl::string_view proof,
                                absl::string_view signature, absl::string_view event);

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
