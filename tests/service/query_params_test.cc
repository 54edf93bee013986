// Query strings of the HTTP/JSON read API (service/query_params.h): decoding, every field type,
// repeated and oneof fields, the SaidDate shorthand, and each refusal naming its parameter.
#include "service/query_params.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/v1/claim_service.pb.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::service {
namespace {

namespace v1 = ::ledger::v1;

template <typename M>
absl::Status Fill(absl::string_view query, M* m) {
  absl::StatusOr<QueryParams> params = ParseQuery(query);
  if (!params.ok()) return params.status();
  return FillRequest(*params, m);
}

TEST(ParseQueryTest, DecodesPercentAndPlusAndSkipsEmptyPieces) {
  const auto p = ParseQuery("a=x%20y+z&&b&c=%E2%80%94");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0], std::make_pair(std::string("a"), std::string("x y z")));
  EXPECT_EQ((*p)[1], std::make_pair(std::string("b"), std::string("")));
  EXPECT_EQ((*p)[2].second, "\xE2\x80\x94");
}

TEST(ParseQueryTest, RefusesBadEscapesNonUtf8AndEmptyNames) {
  for (const char* q : {"a=%2", "a=%zz", "a=%C3%28", "=1", "a=%ED%A0%80"}) {
    const auto p = ParseQuery(q);
    EXPECT_TRUE(absl::IsInvalidArgument(p.status())) << q;
    EXPECT_EQ(ErrorReason(p.status()), "INVALID_REQUEST") << q;
  }
}

TEST(ParseQueryTest, LimitsAreLimitExceeded) {
  std::string many;
  for (size_t i = 0; i <= kMaxQueryParams; ++i) absl::StrAppend(&many, "a", i, "=1&");
  EXPECT_EQ(ErrorReason(ParseQuery(many).status()), "LIMIT_EXCEEDED");
  EXPECT_EQ(ErrorReason(ParseQuery(std::string(kMaxQueryBytes + 1, 'a')).status()),
            "LIMIT_EXCEEDED");
  EXPECT_TRUE(ParseQuery(std::string(kMaxQueryBytes, 'a')).ok());
}

TEST(FillRequestTest, EveryScalarType) {
  v1::MatchClaimsRequest m;
  ASSERT_TRUE(Fill("text=hi&min_score=0.5&limit=7&min_watermark=18446744073709551615", &m).ok());
  EXPECT_EQ(m.text(), "hi");
  EXPECT_DOUBLE_EQ(m.min_score(), 0.5);
  EXPECT_EQ(m.limit(), 7);
  EXPECT_EQ(m.min_watermark(), UINT64_MAX);
  v1::GetViewStatusRequest v;
  ASSERT_TRUE(Fill("with_digests=true", &v).ok());
  EXPECT_TRUE(v.with_digests());
  v1::GetInclusionProofRequest p;
  // Bytes: URL-safe base64 without padding is accepted as well as standard.
  ASSERT_TRUE(Fill("leaf_hash=3q2-7w", &p).ok());
  EXPECT_EQ(p.leaf_hash(), "\xde\xad\xbe\xef");
}

TEST(FillRequestTest, EnumsByNameOrNumberAndRepeatedFields) {
  v1::ListRelationsRequest r;
  ASSERT_TRUE(Fill("claimant=X&relations=REPEATS&relations=4", &r).ok());
  ASSERT_EQ(r.relations_size(), 2);
  EXPECT_EQ(r.relations(0), v1::ClaimRelated::REPEATS);
  EXPECT_EQ(r.relations(1), v1::ClaimRelated::POSITION_CHANGE);
  v1::ListClaimsRequest l;
  const absl::Status s = Fill("status=SOMETIMES", &l);
  EXPECT_EQ(ErrorField(s), "status");
  EXPECT_NE(s.message().find("one of CLAIM_STATUS_UNSPECIFIED, ACTIVE"), std::string::npos)
      << s.message();
}

TEST(FillRequestTest, SaidDateWholeOrByField) {
  v1::ListClaimsRequest l;
  ASSERT_TRUE(Fill("said_from=2015-08&saidTo.year=2016", &l).ok());
  EXPECT_EQ(l.said_from().year(), 2015);
  EXPECT_EQ(l.said_from().month(), 8);
  EXPECT_EQ(l.said_from().day(), 0);
  EXPECT_EQ(l.said_to().year(), 2016);
  v1::ListClaimsRequest bad;
  EXPECT_EQ(ErrorField(Fill("said_from=2015-8-x", &bad)), "said_from");
  v1::ListClaimsRequest twice;
  EXPECT_EQ(ErrorField(Fill("said_from=2015&said_from.year=2016", &twice)), "said_from.year");
}

TEST(FillRequestTest, RefusalsNameTheParameter) {
  struct Case {
    const char* query;
    const char* field;
    const char* says;
  };
  for (const Case& c : {Case{"page_size=2147483648", "page_size", "32-bit signed"},
                        Case{"page_size=1&page_size=2", "page_size", "more than once"},
                        Case{"claimant=a&status=ACTIVE", "status", "claimant is already set"},
                        Case{"as_of=1", "as_of", "names a message"},
                        Case{"claimant.name=x", "claimant.name", "not a message field"},
                        Case{"min_watermark=-1", "min_watermark", "unsigned"},
                        Case{"page_token=***", "page_token", "base64"},
                        Case{"nope=1", "nope", "has no field \"nope\""}}) {
    v1::ListClaimsRequest m;
    const absl::Status s = Fill(c.query, &m);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.query;
    EXPECT_EQ(ErrorReason(s), "INVALID_REQUEST") << c.query;
    EXPECT_EQ(ErrorField(s), c.field) << c.query;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << c.query << ": " << s.message();
  }
}

TEST(FillRequestTest, AFieldSetFromThePathCannotBeGivenAgain) {
  v1::GetClaimRequest m;
  m.set_claim_id("from-the-path");
  EXPECT_EQ(ErrorField(Fill("claim_id=other", &m)), "claim_id");
  EXPECT_EQ(m.claim_id(), "from-the-path");
}

}  // namespace
}  // namespace ledger::service
