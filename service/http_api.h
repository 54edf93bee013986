// The HTTP/JSON read API (docs/api.md, "HTTP/JSON read API"): GET /api/v1/... answered with the
// proto3 JSON mapping of the SAME request and response messages as the gRPC services, by calling
// the gRPC service implementations themselves, so that limits, pagination tokens and error
// reasons are identical. This adapter only maps a path and query string to a request message
// (service/query_params.h) and a response or status to an HTTP answer; every rule stays in
// LedgerServiceImpl / ClaimServiceImpl and below.
//
// Routes (relative to /api/v1/; query parameters are the request's fields):
//   log                      GetLogInfo              checkpoint          GetCheckpoint
//   entries                  ListEntries             entries/{sequence}  GetEntry
//   proofs/inclusion         GetInclusionProof       proofs/consistency  GetConsistencyProof
//   claims                   ListClaims              claims/{claim_id}   GetClaim
//   tally                    GetVerdictTally         match               MatchClaims
//   keys/{key_id, 64 hex}    GetKey                  relations           ListRelations
//   views                    GetViewStatus
// Errors: the HTTP status of the google.rpc code (docs/api.md) and a JSON body
//   {"code": "NOT_FOUND", "reason": "CLAIM_NOT_FOUND", "message": "...", "field": "..."}
// with the reason of the gRPC status's google.rpc.ErrorInfo ("field" only when one is at fault).
#ifndef SERVICE_HTTP_API_H_
#define SERVICE_HTTP_API_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "service/claim_service.h"
#include "service/ledger_service.h"

namespace ledger::service {

// One answer of the API, independent of the HTTP library that sends it.
struct JsonReply {
  int status = 200;
  std::string body;  // application/json; charset=utf-8
};

// The path prefix the API is served under.
inline constexpr absl::string_view kJsonApiPrefix = "/api/v1/";

// The HTTP status for a gRPC/google.rpc canonical code (the mapping of
// google/rpc/code.proto: INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, ...).
int HttpStatusForCode(grpc::StatusCode code);

// The JSON error body of `status` (not OK): code name, the ErrorInfo reason (the code's name when
// the status carries none), message and field.
JsonReply ErrorReply(const grpc::Status& status);

// Thread-safe (the services are). Borrows both services, which must outlive it.
class JsonApi {
 public:
  JsonApi(LedgerServiceImpl* ledger, ClaimServiceImpl* claims) : ledger_(ledger), claims_(claims) {}

  // Answers GET `path` (URL-decoded, starting with kJsonApiPrefix) with the raw `query` (without
  // '?'). An unknown route is 404 with reason NOT_FOUND; a bad query 400 with INVALID_REQUEST or
  // LIMIT_EXCEEDED naming the parameter.
  JsonReply Handle(absl::string_view path, absl::string_view query) const;

 private:
  LedgerServiceImpl* const ledger_;
  ClaimServiceImpl* const claims_;
};

}  // namespace ledger::service

#endif  // SERVICE_HTTP_API_H_
