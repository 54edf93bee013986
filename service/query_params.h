// Query strings of the HTTP/JSON read API (docs/api.md, "HTTP/JSON read API"): parsing a raw
// query string into its parameters, and filling a request message from them by field name.
//
// Parameter names are request field paths, as grpc-gateway spells them: a field's proto name or
// its JSON (lowerCamelCase) name, nested fields joined by '.' ("as_of.sequence=16",
// "saidFrom.year=2015"). Values are the text of the field's type:
//   string                 as given (UTF-8)
//   bytes                  base64, standard or URL-safe, padding optional (as proto3 JSON)
//   integers               decimal, within the field's range
//   double                 a finite decimal number
//   bool                   "true" or "false"
//   enum                   the value's name ("CORRECTED") or its number
//   ledger.v1.SaidDate     also as one value "YYYY", "YYYY-MM" or "YYYY-MM-DD"
// A repeated field takes each occurrence of its name in order; any other field may be given once,
// and one member of a oneof at most. Every refusal is INVALID_ARGUMENT with reason
// INVALID_REQUEST naming the parameter (ledger/base/error.h), or LIMIT_EXCEEDED for the limits
// below.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(QueryParams params, ParseQuery("claimant=Alexander%20Novak&page_size=5"));
//   v1::ListClaimsRequest req;
//   LEDGER_RETURN_IF_ERROR(FillRequest(params, &req));
#ifndef SERVICE_QUERY_PARAMS_H_
#define SERVICE_QUERY_PARAMS_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace ledger::service {

// Limits of one query string (part of the API: docs/api.md).
// Raw query bytes: enough for a 16 KiB statement percent-encoded three bytes per byte.
inline constexpr size_t kMaxQueryBytes = 64 * 1024;
// Parameters in one query.
inline constexpr size_t kMaxQueryParams = 64;

// Decoded (name, value) pairs, in the order given.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits `raw` (without the '?') at '&' and '=' and percent-decodes names and values ('+' is a
// space, as in HTML forms). Empty pieces ("a=1&&b=2") are skipped; "name" without '=' has the
// empty value. Errors (INVALID_ARGUMENT): over a limit (LIMIT_EXCEEDED); a '%' not followed by
// two hex digits, an empty name, or a name or value that is not UTF-8 (INVALID_REQUEST).
absl::StatusOr<QueryParams> ParseQuery(absl::string_view raw);

// Sets the fields of `message` named by `params` (see the header comment). Fields not named keep
// their values, so a caller may set path parameters first; naming one of those again is refused
// like any repeated parameter. On error `message` may be partly filled.
absl::Status FillRequest(const QueryParams& params, google::protobuf::Message* message);

}  // namespace ledger::service

#endif  // SERVICE_QUERY_PARAMS_H_
