// The one place where absl::Status becomes grpc::Status, and where gRPC's own refusals get the
// same shape as ours.
#ifndef SERVICE_GRPC_STATUS_H_
#define SERVICE_GRPC_STATUS_H_

#include <memory>

#include "absl/status/status.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace ledger::service {

// Same canonical code, same message. Every error carries a google.rpc.ErrorInfo (domain
// "factledger.dev") in grpc-status-details-bin: its reason is the one attached with MakeError,
// or, when none was, the canonical code's name (e.g. "DATA_LOSS"), so a client can always read
// a reason; a field attached with MakeError also travels as metadata["field"] and a BadRequest.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Creates the server interceptor that turns gRPC's answer to request bytes that are not a
// valid protobuf message (INTERNAL with an empty message: nothing of ours ever returns that)
// into INVALID_ARGUMENT, reason MALFORMED_REQUEST, naming the method. Install with
// ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MalformedRequestInterceptorFactory();

}  // namespace ledger::service

#endif  // SERVICE_GRPC_STATUS_H_
