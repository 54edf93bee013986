// Query strings of the HTTP/JSON read API (service/query_params.h): ParseQuery, then FillRequest
// into one of the request messages the API fills from a query.
//
// Input: a selector byte (which request message), then the raw query string.
// Invariants: every refusal is INVALID_ARGUMENT with reason INVALID_REQUEST or LIMIT_EXCEEDED;
// a FillRequest refusal names the parameter at fault (one of the parsed names); parsing is a
// round trip: the parameters, percent-encoded again, parse to the same parameters; a request
// that fills serialises and parses back equal.
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/base/error.h"
#include "ledger/v1/claim_service.pb.h"
#include "ledger/v1/ledger_service.pb.h"
#include "service/query_params.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

std::string Encode(const service::QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&name, &value}) {
      for (const unsigned char c : *s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-') {
          out.push_back(static_cast<char>(c));
        } else {
          absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
        }
      }
      if (s == &name) out += '=';
    }
  }
  return out;
}

void CheckRefusal(const absl::Status& s) {
  FUZZ_CHECK(absl::IsInvalidArgument(s));
  const std::string reason = ErrorReason(s);
  FUZZ_CHECK_MSG(reason == reason::kInvalidRequest || reason == reason::kLimitExceeded,
                 "unexpected reason " + reason);
}

template <typename M>
void Fill(const service::QueryParams& params) {
  M m;
  const absl::Status s = service::FillRequest(params, &m);
  FUZZ_EXPECT_VALID(s);
  if (!s.ok()) {
    CheckRefusal(s);
    const std::string field = ErrorField(s);
    bool named = false;
    for (const auto& p : params) named = named || p.first == field;
    FUZZ_CHECK_MSG(named, "refusal names \"" + field + "\", not a parameter");
    return;
  }
  M back;
  FUZZ_CHECK(back.ParseFromString(m.SerializeAsString()));
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(m, back));
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger::fuzz;
  Input in(data, size);
  const uint8_t selector = in.U8();
  const std::string raw = in.Rest();
  const absl::StatusOr<ledger::service::QueryParams> params = ledger::service::ParseQuery(raw);
  FUZZ_EXPECT_VALID(params.status());
  if (!params.ok()) {
    CheckRefusal(params.status());
    return 0;
  }
  const auto again = ledger::service::ParseQuery(Encode(*params));
  FUZZ_CHECK_MSG(again.ok() && *again == *params, "percent-encoded parameters parse differently");
  switch (selector % 5) {
    case 0: Fill<ledger::v1::ListClaimsRequest>(*params); break;
    case 1: Fill<ledger::v1::GetClaimRequest>(*params); break;
    case 2: Fill<ledger::v1::MatchClaimsRequest>(*params); break;
    case 3: Fill<ledger::v1::ListRelationsRequest>(*params); break;
    default: Fill<ledger::v1::GetInclusionProofRequest>(*params); break;
  }
  return 0;
}
