#include "service/http_api.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/server_context.h"
#include "ledger/base/error.h"
#include "ledger/base/types.h"
#include "service/grpc_status.h"
#include "service/query_params.h"

namespace ledger::service {
namespace {

namespace v1 = ::ledger::v1;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

// A JSON string literal (RFC 8259) of UTF-8 `s`.
std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

JsonReply ErrorFromAbsl(const absl::Status& status) { return ErrorReply(ToGrpcStatus(status)); }

JsonReply NotFound(absl::string_view path) {
  return ErrorFromAbsl(MakeError(
      absl::StatusCode::kNotFound, reason::kNotFound, "",
      absl::StrCat("no API route ", path, " (docs/api.md, \"HTTP/JSON read API\", lists them)")));
}

// Fills `req` from `query` (after any path parameters), calls `method` and answers its response
// or its status.
template <typename Req, typename Resp, typename Fn>
JsonReply Call(absl::string_view query, Req req, Fn method) {
  absl::StatusOr<QueryParams> params = ParseQuery(query);
  if (!params.ok()) return ErrorFromAbsl(params.status());
  if (absl::Status s = FillRequest(*params, &req); !s.ok()) return ErrorFromAbsl(s);
  grpc::ServerContext context;
  Resp resp;
  const grpc::Status status = method(&context, &req, &resp);
  if (!status.ok()) return ErrorReply(status);
  JsonReply reply;
  google::protobuf::util::JsonPrintOptions options;
  const auto printed = google::protobuf::util::MessageToJsonString(resp, &reply.body, options);
  if (!printed.ok()) {
    return ErrorFromAbsl(absl::InternalError(
        absl::StrCat("cannot print the response as JSON: ", printed.ToString())));
  }
  return reply;
}

}  // namespace

int HttpStatusForCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::CANCELLED: return 499;
    case grpc::StatusCode::INVALID_ARGUMENT: return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ALREADY_EXISTS: return 409;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::FAILED_PRECONDITION: return 400;
    case grpc::StatusCode::ABORTED: return 409;
    case grpc::StatusCode::OUT_OF_RANGE: return 400;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    default: return 500;
  }
}

JsonReply ErrorReply(const grpc::Status& status) {
  std::string reason = CodeName(status.error_code());
  std::string field;
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) {
        if (!info.reason().empty()) reason = info.reason();
        auto it = info.metadata().find("field");
        if (it != info.metadata().end()) field = it->second;
      }
    }
  }
  JsonReply reply;
  reply.status = HttpStatusForCode(status.error_code());
  reply.body = absl::StrCat("{\"code\":", JsonString(CodeName(status.error_code())),
                            ",\"reason\":", JsonString(reason),
                            ",\"message\":", JsonString(status.error_message()));
  if (!field.empty()) absl::StrAppend(&reply.body, ",\"field\":", JsonString(field));
  reply.body += "}";
  return reply;
}

JsonReply JsonApi::Handle(absl::string_view path, absl::string_view query) const {
  absl::string_view route = path;
  if (!absl::ConsumePrefix(&route, kJsonApiPrefix)) return NotFound(path);
  LedgerServiceImpl* const l = ledger_;
  ClaimServiceImpl* const c = claims_;
  const auto ledger = [l](auto fn) {
    return [l, fn](grpc::ServerContext* ctx, const auto* req, auto* resp) {
      return (l->*fn)(ctx, req, resp);
    };
  };
  const auto claims = [c](auto fn) {
    return [c, fn](grpc::ServerContext* ctx, const auto* req, auto* resp) {
      return (c->*fn)(ctx, req, resp);
    };
  };

  if (route == "log") {
    return Call<v1::GetLogInfoRequest, v1::GetLogInfoResponse>(
        query, {}, ledger(&LedgerServiceImpl::GetLogInfo));
  }
  if (route == "checkpoint") {
    return Call<v1::GetCheckpointRequest, v1::GetCheckpointResponse>(
        query, {}, ledger(&LedgerServiceImpl::GetCheckpoint));
  }
  if (route == "entries") {
    return Call<v1::ListEntriesRequest, v1::ListEntriesResponse>(
        query, {}, ledger(&LedgerServiceImpl::ListEntries));
  }
  if (absl::ConsumePrefix(&route, "entries/")) {
    v1::GetEntryRequest req;
    uint64_t sequence;
    if (route.empty() || route[0] == '+' || route[0] == '-' || !absl::SimpleAtoi(route, &sequence)) {
      return ErrorFromAbsl(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest,
                                     "sequence",
                                     absl::StrCat("got \"", route,
                                                  "\" in the path, want a decimal sequence number")));
    }
    req.set_sequence(sequence);
    return Call<v1::GetEntryRequest, v1::GetEntryResponse>(query, std::move(req),
                                                           ledger(&LedgerServiceImpl::GetEntry));
  }
  if (route == "proofs/inclusion") {
    return Call<v1::GetInclusionProofRequest, v1::GetInclusionProofResponse>(
        query, {}, ledger(&LedgerServiceImpl::GetInclusionProof));
  }
  if (route == "proofs/consistency") {
    return Call<v1::GetConsistencyProofRequest, v1::GetConsistencyProofResponse>(
        query, {}, ledger(&LedgerServiceImpl::GetConsistencyProof));
  }
  if (route == "claims") {
    return Call<v1::ListClaimsRequest, v1::ListClaimsResponse>(
        query, {}, claims(&ClaimServiceImpl::ListClaims));
  }
  if (absl::ConsumePrefix(&route, "claims/")) {
    v1::GetClaimRequest req;
    req.set_claim_id(std::string(route));
    return Call<v1::GetClaimRequest, v1::GetClaimResponse>(query, std::move(req),
                                                           claims(&ClaimServiceImpl::GetClaim));
  }
  if (route == "tally") {
    return Call<v1::GetVerdictTallyRequest, v1::GetVerdictTallyResponse>(
        query, {}, claims(&ClaimServiceImpl::GetVerdictTally));
  }
  if (route == "match") {
    return Call<v1::MatchClaimsRequest, v1::MatchClaimsResponse>(
        query, {}, claims(&ClaimServiceImpl::MatchClaims));
  }
  if (absl::ConsumePrefix(&route, "keys/")) {
    v1::GetKeyRequest req;
    std::string key_id;
    if (route.size() != 64 || !HexDecode(route, &key_id)) {
      return ErrorFromAbsl(MakeError(
          absl::StatusCode::kInvalidArgument, reason::kInvalidRequest, "key_id",
          absl::StrCat("got \"", route.substr(0, 80), "\" in the path, want 64 hex digits")));
    }
    req.set_key_id(key_id);
    return Call<v1::GetKeyRequest, v1::GetKeyResponse>(query, std::move(req),
                                                       claims(&ClaimServiceImpl::GetKey));
  }
  if (route == "relations") {
    return Call<v1::ListRelationsRequest, v1::ListRelationsResponse>(
        query, {}, claims(&ClaimServiceImpl::ListRelations));
  }
  if (route == "views") {
    return Call<v1::GetViewStatusRequest, v1::GetViewStatusResponse>(
        query, {}, claims(&ClaimServiceImpl::GetViewStatus));
  }
  return NotFound(path);
}

}  // namespace ledger::service
