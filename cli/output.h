// How ledgerctl shows entries and events: the one-line table rows of `log`, the JSON objects of
// `log --json` and `export`, the indented view of `show`, times, and progress on a terminal.
// Thread-compatible; no shared state except Progress's stderr.
#ifndef CLI_OUTPUT_H_
#define CLI_OUTPUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ledger/v1/claim.pb.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::cli {

// "2026-11-29T09:59:05Z" (RFC 3339, UTC, whole seconds).
std::string FormatTime(int64_t unix_micros);

// The short name of an event's type, as `log` prints it and `log --type` takes it:
// "assert", "correct", "retract", "review", "key+", "key-" ("?" when no body is set).
// "c2 contradicts c1", "c2 position change c1 on \"subject\" (half flip)".
std::string RelationLine(const ledger::v1::ClaimRelated& relation);
absl::string_view EventTypeName(const ledger::v1::Event& event);

// One line describing an event, e.g. `Sergei Ryabkov: "The relationship ..."`.
std::string EventSummary(const ledger::v1::Event& event);

// The proto3 JSON mapping of an event (lowerCamelCase names, bytes in base64), on one line.
std::string EventJson(const ledger::v1::Event& event);

// One entry as a JSON object (the lines of `log --json` and `export`):
//   {"sequence", "recorded_time", "recorded_time_micros", "event_id", "type", "key_id" (hex),
//    "signature" (base64), "leaf_hash" (hex), ["batch": {"batch_id", "batch_size", "index",
//    "proof" (hex)} for members of a signed batch], "event" (proto3 JSON, null if it does not
//    parse)}
// `signer_compromised` adds "signer_compromised": true (export: the entry was signed inside a
// compromise window of its key).
std::string EntryJson(const ledger::v1::Entry& entry, bool signer_compromised = false);

// One entry as a table row: sequence, recorded time, type, event id, summary.
std::string EntryRow(const ledger::v1::Entry& entry);

// The indented, human view of one event for `show`: one "  label  value" line per field that
// is set, ending with a newline.
std::string EventDetail(const ledger::v1::Event& event);

// `s` cut to at most `n` bytes, ending in "..." when cut (never inside a UTF-8 sequence).
std::string Truncate(absl::string_view s, size_t n);

// Progress on stderr, only when stderr is a terminal ("\r<what> done/total (rate/s)"), at
// most ten times a second; silent otherwise, so logs and pipes never see it.
// Thread-compatible.
class Progress {
 public:
  // `total` 0 means unknown.
  Progress(std::string what, uint64_t total);
  ~Progress();  // Calls Finish().

  void Update(uint64_t done);
  // Prints the last state and a newline (once); nothing when inactive.
  void Finish();
  bool active() const { return active_; }

 private:
  void Print(uint64_t done);

  const std::string what_;
  const uint64_t total_;
  const bool active_;
  const absl::Time start_;
  absl::Time last_print_ = absl::InfinitePast();
  uint64_t done_ = 0;
  uint64_t printed_done_ = ~uint64_t{0};
  bool finished_ = false;
};

}  // namespace ledger::cli

#endif  // CLI_OUTPUT_H_
