// Every admission limit of the ledger, in one place. docs/api.md lists them; each has a test
// in tests/core/event_validation_test.cc. A request over a limit is refused with
// INVALID_ARGUMENT (RESOURCE_EXHAUSTED for batch sizes) naming the field and the limit, and
// nothing is written.
#ifndef LEDGER_CORE_LIMITS_H_
#define LEDGER_CORE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace ledger::core {

// Serialised Event bytes.
inline constexpr size_t kMaxEventBytes = 64 * 1024;
// SignedEvent.event_id: 1..128 bytes of [A-Za-z0-9._:-].
inline constexpr size_t kMaxEventIdBytes = 128;
// Statement.text.
inline constexpr size_t kMaxStatementTextBytes = 16 * 1024;
// Reasons and explanations (corrections, retractions, reviews, revocations).
inline constexpr size_t kMaxReasonBytes = 4 * 1024;
// URLs (source, archive, review).
inline constexpr size_t kMaxUrlBytes = 2 * 1024;
// TextQuoteSelector exact/prefix/suffix.
inline constexpr size_t kMaxQuoteBytes = 4 * 1024;
// Every other string: names, roles, titles, publishers, languages, topics, ids.
inline constexpr size_t kMaxShortStringBytes = 512;
// Claim.topics and Claim.entities.
inline constexpr size_t kMaxTopics = 32;
inline constexpr size_t kMaxEntities = 64;
// Timestamps in events (published, retrieved, review time) must lie in
// [kMinTimeMicros, now + kMaxFutureSkewMicros]; said dates in years [1, now's year].
inline constexpr int64_t kMinTimeMicros = -2208988800LL * 1000000;  // 1900-01-01T00:00:00Z
inline constexpr int64_t kMaxFutureSkewMicros = 24LL * 3600 * 1000000;  // one day
// Events appended atomically in one request.
inline constexpr size_t kMaxBatchEvents = 1000;

}  // namespace ledger::core

#endif  // LEDGER_CORE_LIMITS_H_
