// Client-side signing: turns an Event into the SignedEvent a server accepts.
// Used by ledgerctl, the tests and the benchmarks (any other client can do the same from
// docs/format.md).
#ifndef LEDGER_CLIENT_EVENT_SIGNER_H_
#define LEDGER_CLIENT_EVENT_SIGNER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::client {

// Serialises `event` deterministically; these exact bytes are signed and sent.
std::string SerializeEvent(const ledger::v1::Event& event);

// An event id derived from the event's bytes ("ev-" + 32 hex digits of their SHA-256), so that
// submitting the same event twice is idempotent.
std::string ContentEventId(absl::string_view event_bytes);

// Signs `event_bytes` for the log `origin` under `event_id` (docs/format.md, signing input v1).
ledger::v1::SignedEvent SignEventBytes(absl::string_view origin, absl::string_view event_id,
                                       std::string event_bytes,
                                       const crypto::Ed25519PrivateKey& key);

// SerializeEvent + SignEventBytes; an empty event_id means ContentEventId.
ledger::v1::SignedEvent SignEvent(absl::string_view origin, absl::string_view event_id,
                                  const ledger::v1::Event& event,
                                  const crypto::Ed25519PrivateKey& key);

// Builds a SignedBatch (docs/format.md §11) of `events` (event id, serialised event) signed
// once by `key`. Preconditions: 1..1000 events.
ledger::v1::SignedBatch SignBatch(absl::string_view origin, absl::string_view batch_id,
                                  const std::vector<std::pair<std::string, std::string>>& events,
                                  const crypto::Ed25519PrivateKey& key);

}  // namespace ledger::client

#endif  // LEDGER_CLIENT_EVENT_SIGNER_H_
