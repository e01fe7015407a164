#include "orchestrator/grpc_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

namespace vpe::orch {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(TimePoint t) {
  return TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

// The one mapping between domain and proto states; both directions read it.
constexpr std::pair<TaskState, vpe::v1::TaskState> kStates[] = {
    {TaskState::kQueued, vpe::v1::QUEUED},       {TaskState::kPreparing, vpe::v1::PREPARING},
    {TaskState::kRunning, vpe::v1::RUNNING},     {TaskState::kSucceeded, vpe::v1::SUCCEEDED},
    {TaskState::kFailed, vpe::v1::FAILED},       {TaskState::kTimedOut, vpe::v1::TIMED_OUT},
    {TaskState::kCancelled, vpe::v1::CANCELLED}, {TaskState::kLost, vpe::v1::LOST},
};

vpe::v1::TaskState ToProtoState(TaskState s) {
  for (const auto& [domain, proto] : kStates) {
    if (domain == s) return proto;
  }
  return vpe::v1::TASK_STATE_UNSPECIFIED;
}

std::optional<TaskState> FromProtoState(vpe::v1::TaskState s) {
  for (const auto& [domain, proto] : kStates) {
    if (proto == s) return domain;
  }
  return std::nullopt;
}

}  // namespace

grpc::Status ToGrpcStatus(const Error& e) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case ErrorCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case ErrorCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case ErrorCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case ErrorCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case ErrorCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case ErrorCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case ErrorCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case ErrorCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case ErrorCode::kEngine:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case ErrorCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, e.message);
}

void ToProto(const Task& t, vpe::v1::Task* out) {
  out->set_id(t.id);
  out->set_task_key(t.task_key);
  out->set_environment(t.environment);
  for (const auto& c : t.command) out->add_command(c);
  out->set_state(ToProtoState(t.state));
  out->set_has_exit_code(t.exit_code.has_value());
  out->set_exit_code(static_cast<int32_t>(t.exit_code.value_or(0)));
  out->set_reason(t.reason);
  out->set_oom_killed(t.oom_killed);
  out->set_result_json(t.result_json);
  out->set_image(t.image);
  out->set_container_id(t.container_id);
  for (const auto& [k, v] : t.labels) (*out->mutable_labels())[k] = v;
  for (const auto& [k, v] : t.env) (*out->mutable_env())[k] = v;
  for (const auto& k : t.secret_env_keys) out->add_secret_env_keys(k);
  *out->mutable_created_at() = ToTimestamp(t.created_at);
  if (t.started_at) *out->mutable_started_at() = ToTimestamp(*t.started_at);
  if (t.finished_at) *out->mutable_finished_at() = ToTimestamp(*t.finished_at);
  out->set_priority(t.priority);
  out->mutable_resources()->set_memory_bytes(t.resources.memory_bytes);
  out->mutable_resources()->set_cpus(t.resources.cpus);
  out->mutable_resources()->set_pids(t.resources.pids);
  if (t.timeout.count() > 0) {
    *out->mutable_timeout() = TimeUtil::MillisecondsToDuration(t.timeout.count());
  }
  out->set_log_bytes(t.log_bytes);
  for (const auto& v : t.volumes) {
    auto* m = out->add_volumes();
    m->set_name(v.name);
    m->set_target(v.target);
    m->set_read_only(v.read_only);
  }
}

Result<SubmitRequest> FromProto(const vpe::v1::SubmitTaskRequest& req) {
  SubmitRequest r;
  Task& t = r.task;
  t.task_key = req.task_key();
  t.environment = req.environment();
  t.command.assign(req.command().begin(), req.command().end());
  t.env.insert(req.env().begin(), req.env().end());
  r.secret_env.insert(req.secret_env().begin(), req.secret_env().end());
  t.resources.memory_bytes = req.resources().memory_bytes();
  t.resources.cpus = req.resources().cpus();
  t.resources.pids = req.resources().pids();
  if (req.has_timeout()) {
    if (req.timeout().seconds() < 0 || req.timeout().nanos() < 0 ||
        req.timeout().seconds() > 315'576'000'000LL) {
      return Error(ErrorCode::kInvalidArgument, "timeout: must be a positive duration");
    }
    t.timeout = std::chrono::milliseconds(TimeUtil::DurationToMilliseconds(req.timeout()));
    if (t.timeout.count() == 0) {
      return Error(ErrorCode::kInvalidArgument, "timeout: must be at least 1ms when set");
    }
  }
  t.labels.insert(req.labels().begin(), req.labels().end());
  t.priority = req.priority();
  for (const auto& v : req.volumes()) t.volumes.push_back({v.name(), v.target(), v.read_only()});
  return r;
}

ExecutorService::ExecutorService(Orchestrator* orchestrator, std::string auth_token)
    : orch_(orchestrator), auth_token_(std::move(auth_token)) {}

grpc::Status ExecutorService::Authorize(grpc::ServerContext* ctx) const {
  if (auth_token_.empty()) return grpc::Status::OK;
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    std::string value(it->second.data(), it->second.size());
    std::string expected = "Bearer " + auth_token_;
    // Constant-time compare: the token is a secret.
    if (value.size() == expected.size()) {
      unsigned char diff = 0;
      for (size_t i = 0; i < value.size(); ++i) {
        diff |= static_cast<unsigned char>(value[i] ^ expected[i]);
      }
      if (diff == 0) return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong bearer token (metadata 'authorization: Bearer <token>')");
}

grpc::Status ExecutorService::SubmitTask(grpc::ServerContext* ctx,
                                         const vpe::v1::SubmitTaskRequest* req,
                                         vpe::v1::Task* resp) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  auto converted = FromProto(*req);
  if (!converted.ok()) return ToGrpcStatus(converted.error());
  auto r = orch_->Submit(std::move(converted).value());
  if (!r.ok()) return ToGrpcStatus(r.error());
  ToProto(r->task, resp);
  return grpc::Status::OK;
}

grpc::Status ExecutorService::GetTask(grpc::ServerContext* ctx, const vpe::v1::GetTaskRequest* req,
                                      vpe::v1::Task* resp) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  auto r = orch_->Get(req->id());
  if (!r.ok()) return ToGrpcStatus(r.error());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status ExecutorService::ListTasks(grpc::ServerContext* ctx,
                                        const vpe::v1::ListTasksRequest* req,
                                        vpe::v1::ListTasksResponse* resp) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  ListQuery q;
  for (int i = 0; i < req->states_size(); ++i) {
    auto s = FromProtoState(req->states(i));
    if (!s) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "states[" + std::to_string(i) + "]: not a task state");
    }
    q.states.push_back(*s);
  }
  q.environment = req->environment();
  q.labels.insert(req->labels().begin(), req->labels().end());
  if (req->page_size() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size: must not be negative");
  }
  q.page_size = req->page_size();
  q.page_token = req->page_token();
  auto r = orch_->List(q);
  if (!r.ok()) return ToGrpcStatus(r.error());
  for (const Task& t : r->tasks) ToProto(t, resp->add_tasks());
  resp->set_next_page_token(r->next_page_token);
  return grpc::Status::OK;
}

grpc::Status ExecutorService::WatchTask(grpc::ServerContext* ctx,
                                        const vpe::v1::WatchTaskRequest* req,
                                        grpc::ServerWriter<vpe::v1::TaskEvent>* writer) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  Status s = orch_->Watch(
      req->id(), req->after_seq(), req->log_offset(), req->logs(),
      [&](const WatchItem& item) {
        vpe::v1::TaskEvent ev;
        ev.set_seq(item.seq);
        if (item.is_log) {
          *ev.mutable_time() = ToTimestamp(Clock::now());
          auto* log = ev.mutable_log();
          log->set_stream(item.stream == LogStream::kStderr ? vpe::v1::LogChunk::STDERR
                                                            : vpe::v1::LogChunk::STDOUT);
          log->set_data(item.data);
          log->set_offset(item.offset);
          log->set_dropped(item.dropped);
        } else {
          *ev.mutable_time() = ToTimestamp(item.event.time);
          auto* st = ev.mutable_state();
          st->set_state(ToProtoState(item.event.state));
          st->set_reason(item.event.reason);
          ToProto(item.task, st->mutable_task());
        }
        return writer->Write(ev);
      },
      [&] { return ctx->IsCancelled(); });
  if (!s.ok()) return ToGrpcStatus(s.error());
  return grpc::Status::OK;
}

grpc::Status ExecutorService::CancelTask(grpc::ServerContext* ctx,
                                         const vpe::v1::CancelTaskRequest* req,
                                         vpe::v1::Task* resp) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  auto r = orch_->Cancel(req->id(), req->reason());
  if (!r.ok()) return ToGrpcStatus(r.error());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status ExecutorService::BuildEnvironment(grpc::ServerContext* ctx,
                                               const vpe::v1::BuildEnvironmentRequest* req,
                                               grpc::ServerWriter<vpe::v1::BuildEvent>* writer) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  std::mutex write_mu;
  EnvironmentInfo info;
  bool up_to_date = false;
  Status s = orch_->BuildEnvironment(
      req->name(), req->force(),
      [&](const std::string& line) {
        vpe::v1::BuildEvent ev;
        ev.set_progress(line);
        std::lock_guard<std::mutex> lock(write_mu);
        writer->Write(ev);
      },
      &info, &up_to_date);
  if (!s.ok()) return ToGrpcStatus(s.error());
  vpe::v1::BuildEvent done;
  auto* env = done.mutable_done();
  env->set_name(info.name);
  env->set_image(info.image);
  env->set_spec_hash(info.spec_hash);
  env->set_built(true);
  env->set_description(info.description);
  env->set_spec_path(info.spec_path);
  done.set_up_to_date(up_to_date);
  writer->Write(done);
  return grpc::Status::OK;
}

grpc::Status ExecutorService::ListEnvironments(grpc::ServerContext* ctx,
                                               const vpe::v1::ListEnvironmentsRequest*,
                                               vpe::v1::ListEnvironmentsResponse* resp) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  auto r = orch_->ListEnvironments();
  if (!r.ok()) return ToGrpcStatus(r.error());
  for (const auto& e : *r) {
    auto* env = resp->add_environments();
    env->set_name(e.name);
    env->set_image(e.image);
    env->set_spec_hash(e.spec_hash);
    env->set_built(e.built);
    env->set_description(e.description);
    env->set_spec_path(e.spec_path);
  }
  return grpc::Status::OK;
}

}  // namespace vpe::orch
