// Projection: one view of the log, a deterministic function of its entries
// (docs/design.md, "Layers").
//
// A projection turns each log entry into writes to its own keys (view_schema.h). It reads no
// clock, no randomness and no other view: only the entry and its own prior state, through a
// ViewReader that also sees the writes already pending in the current batch (so the engine can
// apply many entries in one batch). Because of that, applying the log to an empty store gives
// the same bytes whether it is done in one go, in batches of any size, or resumed after a crash
// (tests/views/view_engine_property_test.cc checks it).
//
// The engine (view_engine.h) parses each event once, hands the same ViewEntry to every
// projection, and writes each view's watermark in the same batch as its data. Signatures are
// NOT verified again: the log verified them at admission (docs/design.md, "The append pipeline": never
// twice).
#ifndef LEDGER_VIEWS_PROJECTION_H_
#define LEDGER_VIEWS_PROJECTION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/event_validation.h"
#include "ledger/views/view_schema.h"
#include "ledger/views/view_store.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::views {

// One log entry, decoded and parsed once (core::DecodeStoredEntry) for every projection.
using ViewEntry = core::StoredEntry;

// Read access to the views' state as of the entries applied so far, pending writes included.
class ViewReader {
 public:
  virtual ~ViewReader() = default;
  // nullopt when absent (or deleted in the pending batch).
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const = 0;
};

// Implementations are thread-compatible; the engine calls Apply from one thread at a time.
class Projection {
 public:
  virtual ~Projection() = default;

  // The view's name (e.g. "claims"), unique in an engine; the tag is its key prefix byte.
  virtual absl::string_view name() const = 0;
  virtual schema::ViewTag tag() const = 0;

  // Applies the entry: reads prior state through `state`, writes only keys under
  // schema::ViewPrefix(tag(), name()) to
  // `out` (never the watermark: the engine writes it). Must be deterministic. An entry that
  // breaks the log's rules as this view knows them (e.g. a correction of a claim the view has
  // never seen) is DataLoss naming the sequence: the log admitted it, so the view or the log
  // is damaged. On error the engine discards the whole batch.
  virtual absl::Status Apply(const ViewEntry& entry, const ViewReader& state,
                             ViewBatch* out) = 0;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_PROJECTION_H_
