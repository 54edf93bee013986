// The unary Append of LedgerServiceImpl (callback API, service/ledger_service.h) in cluster mode,
// in-process: PublishWaiter's rounds, and an append answered only once await_published covers
// it, with the published note (the end-to-end path over sockets is in tests/integration and
// tests/cluster).
#include "service/ledger_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_log.h"

namespace ledger::service {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::Sign;
using ::ledger::testing::TestLog;
using ::testing::ElementsAre;

// An await_published whose first call blocks until released, so that later waits queue up.
struct FakeQuorum {
  absl::Mutex mu;
  std::vector<TreeSize> calls;
  absl::Notification first_call_entered;
  absl::Notification release_first_call;
  absl::Status answer = absl::OkStatus();

  std::function<absl::Status(TreeSize, std::string*)> Fn() {
    return [this](TreeSize size, std::string* note) {
      bool first;
      {
        absl::MutexLock lock(&mu);
        first = calls.empty();
        calls.push_back(size);
      }
      if (first) {
        first_call_entered.Notify();
        release_first_call.WaitForNotification();
      }
      *note = absl::StrCat("published@", size);
      return answer;
    };
  }
};

// What one Wait's `done` received.
struct Answer {
  int times = 0;
  absl::Status status;
  std::string note;
};

TEST(PublishWaiterTest, WaitsQueuedDuringARoundAreAnsweredByOneCallForTheLargestSize) {
  FakeQuorum quorum;
  std::vector<Answer> answers(3);
  absl::Mutex mu;
  auto done = [&](int i) {
    return [&, i](absl::Status s, const std::string& note) {
      absl::MutexLock lock(&mu);
      ++answers[i].times;
      answers[i].status = s;
      answers[i].note = note;
    };
  };
  {
    PublishWaiter waiter(quorum.Fn());
    waiter.Wait(3, done(0));
    quorum.first_call_entered.WaitForNotification();
    waiter.Wait(5, done(1));
    waiter.Wait(4, done(2));
    quorum.release_first_call.Notify();
  }  // the destructor answers what is queued, then stops
  EXPECT_THAT(quorum.calls, ElementsAre(3, 5));
  for (const Answer& a : answers) {
    EXPECT_EQ(a.times, 1);
    EXPECT_TRUE(a.status.ok()) << a.status;
  }
  EXPECT_EQ(answers[0].note, "published@3");
  EXPECT_EQ(answers[1].note, "published@5");
  EXPECT_EQ(answers[2].note, "published@5");  // covers 4
}

TEST(PublishWaiterTest, AnErrorAnswersEveryWaitOfItsRound) {
  FakeQuorum quorum;
  quorum.release_first_call.Notify();
  quorum.answer = absl::UnavailableError("no quorum");
  std::vector<absl::Status> got;
  absl::Mutex mu;
  {
    PublishWaiter waiter(quorum.Fn());
    for (TreeSize size : {1, 2}) {
      waiter.Wait(size, [&](absl::Status s, const std::string&) {
        absl::MutexLock lock(&mu);
        got.push_back(s);
      });
    }
  }
  ASSERT_EQ(got.size(), 2u);
  for (const absl::Status& s : got) EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

// Append in cluster mode: a service whose await_published is a FakeQuorum answering `answer`.
absl::Status AppendInClusterMode(const absl::Status& answer, const std::string& event_id,
                                 TestLog* t, FakeQuorum* quorum,
                                 ledger::v1::AppendResponse* resp) {
  quorum->release_first_call.Notify();
  quorum->answer = answer;
  LedgerServiceOptions options;
  options.await_published = quorum->Fn();
  LedgerServiceImpl service(&t->log(), options);
  ledger::v1::AppendRequest req;
  *req.mutable_event() = Sign(event_id, ClaimEvent(), AdminKey());
  const grpc::Status s = service.AppendAndWait(&req, resp);
  return s.ok() ? absl::OkStatus()
                : absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

TEST(LedgerServiceAppendTest, InClusterModeTheAnswerCarriesThePublishedNote) {
  TestLog t;
  FakeQuorum quorum;
  ledger::v1::AppendResponse resp;
  const absl::Status s = AppendInClusterMode(absl::OkStatus(), "svc-1", &t, &quorum, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.sequence(), 0u);
  EXPECT_EQ(resp.checkpoint(), "published@1");
  absl::MutexLock lock(&quorum.mu);
  EXPECT_THAT(quorum.calls, ElementsAre(1));
}

TEST(LedgerServiceAppendTest, AQuorumErrorIsTheAnswerAndNoResultLeaks) {
  TestLog t;
  FakeQuorum quorum;
  ledger::v1::AppendResponse resp;
  const absl::Status s = AppendInClusterMode(
      absl::UnavailableError("the quorum did not hold the entry in time"), "svc-2", &t, &quorum,
      &resp);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("did not hold"));
  EXPECT_TRUE(resp.leaf_hash().empty());
  EXPECT_TRUE(resp.checkpoint().empty());
  EXPECT_EQ(t.log().Head().tree_size, 1u);  // committed locally; retrying the id is safe
}

TEST(LedgerServiceAppendTest, AMissingEventIsInvalidArgumentAndWritesNothing) {
  TestLog t;
  LedgerServiceImpl service(&t.log());
  ledger::v1::AppendRequest req;
  ledger::v1::AppendResponse resp;
  const grpc::Status s = service.AppendAndWait(&req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("event"));
  EXPECT_EQ(t.log().Head().tree_size, 0u);
}

}  // namespace
}  // namespace ledger::service
