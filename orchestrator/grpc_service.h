#pragma once
// The gRPC adapter of the Executor service: converts protos to domain types, calls the
// Orchestrator, converts back, and maps vpe::Error codes to grpc::Status. No logic lives here.

#include <string>

#include "orchestrator/orchestrator.h"
#include "vpe/v1/executor.grpc.pb.h"

namespace vpe::orch {

grpc::Status ToGrpcStatus(const Error& error);

class ExecutorService final : public vpe::v1::Executor::Service {
 public:
  // `auth_token` non-empty: every call must carry "authorization: Bearer <token>".
  ExecutorService(Orchestrator* orchestrator, std::string auth_token);

  grpc::Status SubmitTask(grpc::ServerContext* ctx, const vpe::v1::SubmitTaskRequest* req,
                          vpe::v1::Task* resp) override;
  grpc::Status GetTask(grpc::ServerContext* ctx, const vpe::v1::GetTaskRequest* req,
                       vpe::v1::Task* resp) override;
  grpc::Status ListTasks(grpc::ServerContext* ctx, const vpe::v1::ListTasksRequest* req,
                         vpe::v1::ListTasksResponse* resp) override;
  grpc::Status WatchTask(grpc::ServerContext* ctx, const vpe::v1::WatchTaskRequest* req,
                         grpc::ServerWriter<vpe::v1::TaskEvent>* writer) override;
  grpc::Status CancelTask(grpc::ServerContext* ctx, const vpe::v1::CancelTaskRequest* req,
                          vpe::v1::Task* resp) override;
  grpc::Status BuildEnvironment(grpc::ServerContext* ctx,
                                const vpe::v1::BuildEnvironmentRequest* req,
                                grpc::ServerWriter<vpe::v1::BuildEvent>* writer) override;
  grpc::Status ListEnvironments(grpc::ServerContext* ctx,
                                const vpe::v1::ListEnvironmentsRequest* req,
                                vpe::v1::ListEnvironmentsResponse* resp) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* ctx) const;

  Orchestrator* orch_;
  std::string auth_token_;
};

// Conversions, exposed for unit tests.
void ToProto(const Task& task, vpe::v1::Task* out);
Result<SubmitRequest> FromProto(const vpe::v1::SubmitTaskRequest& req);

}  // namespace vpe::orch
