#include "service/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ledger/base/error.h"

namespace ledger::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  std::string reason = ErrorReason(status);
  if (reason.empty()) reason = absl::StatusCodeToString(status.code());
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("factledger.dev");
  const std::string field = ErrorField(status);
  if (!field.empty()) {
    (*info.mutable_metadata())["field"] = field;
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(field);
    violation->set_description(message);
    details.add_details()->PackFrom(bad_request);
  }
  if (const std::string leader = ErrorLeader(status); !leader.empty()) {
    (*info.mutable_metadata())["leader"] = leader;
  }
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

namespace {

class MalformedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(const char* method)
      : method_(method == nullptr ? "" : method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status sent = methods->GetSendStatus();
      // gRPC's generated handlers answer a request that does not parse with INTERNAL and the
      // message's InitializationErrorString(), which is empty for proto3 messages.
      if (sent.error_code() == grpc::StatusCode::INTERNAL && sent.error_message().empty()) {
        methods->ModifySendStatus(ToGrpcStatus(MakeError(
            absl::StatusCode::kInvalidArgument, reason::kMalformedRequest, "",
            absl::StrCat("the request to ", method_,
                         " is not a valid protobuf message of its request type; build it with "
                         "the .proto files of this API (docs/api.md)"))));
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
};

class MalformedRequestFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MalformedRequestInterceptor(info->method());
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MalformedRequestInterceptorFactory() {
  return std::make_unique<MalformedRequestFactory>();
}

}  // namespace ledger::service
