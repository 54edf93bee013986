#include "service/follower_map_audit.h"

#include <chrono>
#include <deque>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/logging.h"
#include "ledger/base/thread_name.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/views/map_audit.h"

namespace ledger::service {

FollowerMapAudit::FollowerMapAudit(std::shared_ptr<grpc::Channel> leader, const core::Log* log,
                                   views::ClaimStateMap* state_map, absl::Duration poll_interval,
                                   int thread_nice)
    : leader_(std::move(leader)), log_(log), state_map_(state_map), poll_interval_(poll_interval) {
  thread_ = std::thread([this, thread_nice] {
    LowerCurrentThreadPriority(thread_nice);
    Run();
  });
}

FollowerMapAudit::~FollowerMapAudit() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FollowerMapAudit::Run() {
  SetCurrentThreadName("map-audit");
  const format::NoteVerifier verifier{log_->identity().origin, log_->identity().log_public_key};
  auto stub = ledger::v1::ClaimService::NewStub(leader_);
  views::MapAuditor auditor;
  std::deque<format::MapCheckpoint> queue;
  TreeSize from = 1;
  auto fail = [this](const absl::Status& s, TreeSize size) {
    LogEvent(LogLevel::kError,
             "the leader's claim-state map commitment does not match this follower's copy of "
             "the log: this follower serves no map proofs until an operator looks",
             {{"tree_size", absl::StrCat(size)}, {"error", std::string(s.message())},
              {"hint", "compare `ledgerctl verify-map` against the leader and this follower"}});
    state_map_->SetAuditFailure(absl::DataLossError(absl::StrCat(
        "this follower found the leader's claim-state map commitment at tree size ", size,
        " inconsistent with the log: ", s.message())));
    stop_ = true;
  };
  while (!stop_) {
    // New commitments of the leader, verified with the log key.
    ledger::v1::ListMapCheckpointsRequest req;
    req.set_from_tree_size(from);
    req.set_page_size(1000);
    ledger::v1::ListMapCheckpointsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (stub->ListMapCheckpoints(&ctx, req, &resp).ok()) {
      for (const ledger::v1::MapCheckpointInfo& info : resp.checkpoints()) {
        if (info.tree_size() < from) continue;
        absl::StatusOr<format::MapCheckpoint> m = format::VerifyMapCheckpoint(info.note(), verifier);
        if (!m.ok()) {
          fail(m.status(), info.tree_size());
          return;
        }
        if (m->checkpoint.tree_size >= auditor.size()) queue.push_back(*m);
        from = info.tree_size() + 1;
      }
    }
    // Those this follower holds: recompute from its own entries.
    const TreeSize head = log_->Head().tree_size;
    TreeSize verified = 0;
    while (!queue.empty() && queue.front().checkpoint.tree_size <= head && !stop_) {
      const TreeSize target = queue.front().checkpoint.tree_size;
      absl::Status feed;
      absl::Status scan = log_->store().ScanEntries(
          auditor.size(), target, [&](SequenceNumber seq, absl::string_view leaf) {
            feed = auditor.Feed(seq, leaf);
            return feed.ok();
          });
      if (!scan.ok() || !feed.ok()) {
        fail(scan.ok() ? feed : scan, target);
        return;
      }
      if (absl::Status s = auditor.Check(queue.front()); !s.ok()) {
        fail(s, target);
        return;
      }
      verified = target;
      queue.pop_front();
    }
    if (verified > 0) {
      verified_ = verified;
      LogEvent(LogLevel::kInfo, "the leader's claim-state map commitments verified",
               {{"up_to_tree_size", absl::StrCat(verified)}});
    }
    const absl::Time until = absl::Now() + poll_interval_;
    while (!stop_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace ledger::service
