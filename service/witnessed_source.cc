#include "service/witnessed_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/format/checkpoint.h"

namespace ledger::service {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

}  // namespace

WitnessedEntrySource::WitnessedEntrySource(replication::EntrySource* inner,
                                           http::HttpUrl leader_http,
                                           witness::WitnessPolicy policy)
    : inner_(inner), leader_http_(std::move(leader_http)), policy_(std::move(policy)) {}

void WitnessedEntrySource::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

absl::StatusOr<std::string> WitnessedEntrySource::FetchWitnessed() {
  http::PostOptions options;
  options.timeout = absl::Seconds(5);
  options.max_reply_bytes = witness::kMaxSignedNoteBytes;
  absl::StatusOr<http::ClientReply> reply =
      http::Get(leader_http_, "/checkpoint?witnessed", options);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "the leader serves no witnessed checkpoint (GET /checkpoint?witnessed: ", reply->status,
        " ", reply->body.substr(0, 200), ")"));
  }
  absl::StatusOr<witness::PolicyResult> met = witness::CheckWitnessPolicy(reply->body, policy_);
  if (!met.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the leader's witnessed checkpoint does not meet --require-witnesses: ",
        met.status().message()));
  }
  return reply->body;
}

absl::StatusOr<std::string> WitnessedEntrySource::LatestCheckpoint(
    const replication::FollowerPosition& position, absl::Duration wait_for_growth) {
  const absl::Time deadline = absl::Now() + wait_for_growth;
  absl::StatusOr<std::string> last = absl::UnavailableError("not fetched");
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("replication is stopping");
    }
    absl::StatusOr<std::string> note = FetchWitnessed();
    if (note.ok()) {
      last = note;
      absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(*note);
      if (!cp.ok() || cp->tree_size > position.tree_size) return last;
    } else if (!last.ok()) {
      last = note.status();
    }
    if (absl::Now() + kPollInterval > deadline) return last;
    absl::MutexLock lock(&mu_);
    auto cancelled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancelled_; };
    mu_.AwaitWithTimeout(absl::Condition(&cancelled), kPollInterval);
  }
}

}  // namespace ledger::service
