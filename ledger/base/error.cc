#include "ledger/base/error.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

constexpr absl::string_view kReasonUrl = "type.factledger.dev/reason";
constexpr absl::string_view kFieldUrl = "type.factledger.dev/field";
constexpr absl::string_view kLeaderUrl = "type.factledger.dev/leader";

std::string Payload(const absl::Status& status, absl::string_view url) {
  absl::optional<absl::Cord> p = status.GetPayload(url);
  return p.has_value() ? std::string(*p) : std::string();
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                       absl::string_view message) {
  absl::Status s(code, field.empty() ? std::string(message) : absl::StrCat(field, ": ", message));
  if (!reason.empty()) s.SetPayload(kReasonUrl, absl::Cord(reason));
  if (!field.empty()) s.SetPayload(kFieldUrl, absl::Cord(field));
  return s;
}

std::string ErrorReason(const absl::Status& status) { return Payload(status, kReasonUrl); }
std::string ErrorField(const absl::Status& status) { return Payload(status, kFieldUrl); }
std::string ErrorLeader(const absl::Status& status) { return Payload(status, kLeaderUrl); }

absl::Status WithLeaderHint(absl::Status status, absl::string_view leader) {
  if (!status.ok() && !leader.empty()) status.SetPayload(kLeaderUrl, absl::Cord(leader));
  return status;
}

absl::Status PrefixErrorField(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status s(status.code(), absl::StrCat(prefix, status.message()));
  status.ForEachPayload([&s](absl::string_view url, const absl::Cord& payload) {
    s.SetPayload(url, payload);
  });
  const std::string field = ErrorField(status);
  s.SetPayload(kFieldUrl, absl::Cord(field.empty() ? std::string(prefix.substr(
                                                         0, prefix.size() - (absl::EndsWith(prefix, ".") ? 1 : 0)))
                                                   : absl::StrCat(prefix, field)));
  return s;
}

}  // namespace ledger
