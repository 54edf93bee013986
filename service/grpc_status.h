// The one place where absl::Status becomes grpc::Status.
#ifndef SERVICE_GRPC_STATUS_H_
#define SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ledger::service {

// Same canonical code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace ledger::service

#endif  // SERVICE_GRPC_STATUS_H_
