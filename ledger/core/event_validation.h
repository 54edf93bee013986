// Admission checks of the bytes a submitter sends: the envelope and the event inside it.
// Pure functions (the caller passes the time), thread-safe.
#ifndef LEDGER_CORE_EVENT_VALIDATION_H_
#define LEDGER_CORE_EVENT_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::core {

// Checks the envelope fields (version, event id syntax, key id and signature lengths, event
// size). Does not parse the event. INVALID_ARGUMENT naming the field and the limit.
absl::Status ValidateEnvelope(const ledger::v1::SignedEvent& envelope);

// Checks one event id: 1..kMaxEventIdBytes bytes of [A-Za-z0-9._:-]. INVALID_ARGUMENT
// (reason INVALID_EVENT_ID, field "event_id", message "event_id: " + EventIdProblem).
absl::Status ValidateEventId(absl::string_view event_id);

// The offset of the first byte of `s` that is not part of a valid UTF-8 sequence (overlong
// forms, surrogates and values past U+10FFFF are invalid), or npos when `s` is valid UTF-8.
size_t FirstInvalidUtf8(absl::string_view s);

// What is wrong with `id` under the event id rules, without a field name (for callers that
// check another field by these rules, e.g. a batch id); empty when it is a valid event id.
std::string EventIdProblem(absl::string_view id);

// Parses the exact signed event bytes and checks them: they parse as ledger.v1.Event with no
// unknown fields and valid UTF-8; exactly one body is set; required fields are present; every
// string, list and timestamp is within the limits of limits.h (times relative to
// `now_micros`). INVALID_ARGUMENT naming the field path (e.g.
// "event.claim_asserted.claim.statement.text") and the limit.
absl::StatusOr<ledger::v1::Event> ParseAndValidateEvent(absl::string_view event_bytes,
                                                        int64_t now_micros);

// Parses stored event bytes with the same parser but without time checks (the audit and the
// views: what was valid when admitted stays valid). DATA_LOSS when they do not parse.
absl::StatusOr<ledger::v1::Event> ParseStoredEvent(absl::string_view event_bytes);
// The same into *event, reusing its sub-messages and strings (a caller parsing many events
// into the same objects allocates little). On error *event holds no meaningful event.
absl::Status ParseStoredEventInto(absl::string_view event_bytes, ledger::v1::Event* event);

// One stored log entry as the readers of the log's content see it: the leaf data decoded
// (format::DecodeLeafData) and its event parsed (ParseStoredEvent).
struct StoredEntry {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;  // 32 bytes: the signer
  ledger::v1::Event event;
  Hash leaf_hash{};  // RFC 6962 leaf hash of the leaf data (merkle::HashLeaf)
};

// The one way to read a stored entry's content (the views, their queries): DATA_LOSS naming
// the sequence when the leaf data does not decode or its event does not parse. Checks nothing
// about signatures or rules: the log checked them at admission, the auditor and followers check
// them again with the full leaf (core::EntryReplayer).
absl::StatusOr<StoredEntry> DecodeStoredEntry(SequenceNumber sequence,
                                              absl::string_view leaf_data);
// The same into *out, reusing its strings and its event's memory (the views decode every entry
// of a catch-up into a window's entries, again and again). On error *out is meaningless.
absl::Status DecodeStoredEntryInto(SequenceNumber sequence, absl::string_view leaf_data,
                                   StoredEntry* out);

}  // namespace ledger::core

#endif  // LEDGER_CORE_EVENT_VALIDATION_H_
