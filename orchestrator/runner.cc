#include "orchestrator/runner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "env_specs/spec.h"
#include "orchestrator/container_spec.h"
#include "orchestrator/env_catalog.h"
#include "orchestrator/image_manager.h"
#include "orchestrator/log_store.h"
#include "orchestrator/store.h"

namespace vpe::orch {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Removes a container on every path out of the runner unless released (detach on shutdown).
class ContainerGuard {
 public:
  ContainerGuard(docker::Engine* engine, std::string id, std::string task_id)
      : engine_(engine), id_(std::move(id)), task_id_(std::move(task_id)) {}
  ~ContainerGuard() { Remove(); }
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;

  void Release() { id_.clear(); }
  void Remove() {
    if (id_.empty()) return;
    Status s = engine_->RemoveContainer(id_, /*force=*/true, /*volumes=*/true);
    if (!s.ok()) {
      spdlog::warn("event=container_remove_failed task={} container={} error=\"{}\"", task_id_,
                   id_.substr(0, 12), s.error().message);
    } else {
      spdlog::info("event=container_removed task={} container={}", task_id_, id_.substr(0, 12));
    }
    id_.clear();
  }

 private:
  docker::Engine* engine_;
  std::string id_;
  std::string task_id_;
};

}  // namespace

// Copies a container's output into the task log and wakes watchers. Attached before start, the
// output arrives live and whole; an adopted container (vped restarted) is followed through the
// engine's log from the moment of adoption.
class OutputFollower {
 public:
  OutputFollower(docker::Engine* engine, std::string cid, std::shared_ptr<TaskRuntime> rt,
                 std::string tag)
      : engine_(engine), cid_(std::move(cid)), rt_(std::move(rt)), tag_(std::move(tag)) {}
  ~OutputFollower() { Join(); }

  // Attaches; returns once the engine accepted the attach (true) or failed to (false).
  bool AttachBeforeStart() {
    auto attached = std::make_shared<std::promise<bool>>();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto answer = [attached, answered](bool ok) {
      if (!answered->exchange(true)) attached->set_value(ok);
    };
    std::future<bool> result = attached->get_future();
    thread_ = std::thread([this, answer] {
      Status s = engine_->Attach(
          cid_, /*tty=*/false,
          [this](docker::StreamKind k, std::string_view d) { return Sink(k, d); },
          [answer] { answer(true); }, rt_->streams);
      answer(false);
      End(s, "attach");
    });
    return result.get();
  }

  void FollowLogs(int64_t since_unix) {
    Join();
    done_ = false;
    thread_ = std::thread([this, since_unix] {
      docker::LogOptions lo;
      lo.follow = true;
      lo.since_unix = since_unix;
      Status s = engine_->Logs(
          cid_, lo, [this](docker::StreamKind k, std::string_view d) { return Sink(k, d); },
          rt_->streams);
      End(s, "logs follow");
    });
  }

  bool done() const { return done_; }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool Sink(docker::StreamKind stream, std::string_view data) {
    auto r = rt_->log->Append(
        stream == docker::StreamKind::kStderr ? LogStream::kStderr : LogStream::kStdout, data);
    if (!r.ok()) spdlog::warn("event=log_append_failed {} error=\"{}\"", tag_, r.error().message);
    rt_->Bump();
    return true;
  }
  void End(const Status& s, const char* how) {
    if (!s.ok() && s.error().code != ErrorCode::kCancelled) {
      spdlog::warn("event=output_follow_ended {} container={} via=\"{}\" error=\"{}\"", tag_,
                   cid_.substr(0, 12), how, s.error().message);
    }
    done_ = true;
    rt_->Bump();
  }

  docker::Engine* engine_;
  std::string cid_;
  std::shared_ptr<TaskRuntime> rt_;
  std::string tag_;
  std::thread thread_;
  std::atomic<bool> done_{false};
};

namespace {

EnvRuntime RuntimeFromSpec(const envspec::Spec& spec, const std::string& image) {
  EnvRuntime env;
  env.name = spec.name;
  env.image = image;
  env.user = spec.user;
  env.workdir = spec.workdir;
  env.network = spec.network;
  env.memory_bytes = spec.resources.memory_bytes;
  env.cpus = spec.resources.cpus;
  env.pids = spec.resources.pids;
  return env;
}

std::string HumanBytes(int64_t n) {
  if (n >= (1LL << 30) && n % (1LL << 30) == 0) return std::to_string(n >> 30) + "Gi";
  if (n >= (1LL << 20) && n % (1LL << 20) == 0) return std::to_string(n >> 20) + "Mi";
  return std::to_string(n) + " bytes";
}

}  // namespace

TaskRunner::TaskRunner(const RunnerContext& ctx, std::shared_ptr<TaskRuntime> rt)
    : ctx_(ctx), rt_(std::move(rt)) {}

std::string TaskRunner::Tag(const Task& task) const {
  return "task=" + task.id + " env=" + task.environment;
}

bool TaskRunner::CancelRequested(std::string* reason) {
  std::lock_guard<std::mutex> lock(rt_->mu);
  if (reason) *reason = rt_->cancel_reason;
  return rt_->cancel_requested;
}

bool TaskRunner::Detached() {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->detach;
}

Status TaskRunner::Finish(const Task& task, TaskState state, const std::string& reason,
                          const TaskUpdate& fields) {
  TaskUpdate f = fields;
  if (rt_->log) {
    // The log is complete before a terminal state is announced, and durable with it.
    if (IsTerminal(state)) (void)rt_->log->Sync();
    f.log_bytes = rt_->log->total_bytes();
  }
  auto ev = ctx_.services.store->Transition(task.id, state, reason, f);
  if (!ev.ok()) {
    spdlog::error("event=transition_failed {} to={} error=\"{}\"", Tag(task), TaskStateName(state),
                  ev.error().message);
    return ev.error();
  }
  spdlog::info("event=task_state {} state={} seq={} exit_code={} reason=\"{}\"", Tag(task),
               TaskStateName(state), ev->seq,
               fields.exit_code ? std::to_string(*fields.exit_code) : "-", reason);
  if (IsTerminal(state) && ctx_.services.metrics) {
    double seconds = 0;
    if (task.started_at) {
      seconds = std::chrono::duration<double>(Clock::now() - *task.started_at).count();
    }
    ctx_.services.metrics->TaskFinished(TaskStateName(state), seconds);
  }
  rt_->Bump();
  return OkStatus();
}

void TaskRunner::Fail(const Task& task, const std::string& reason) {
  (void)Finish(task, TaskState::kFailed, reason, TaskUpdate{});
}

void TaskRunner::Run() {
  auto loaded = ctx_.services.store->GetTask(rt_->id);
  if (!loaded.ok()) {
    spdlog::error("event=runner_load_failed task={} error=\"{}\"", rt_->id, loaded.error().message);
    return;
  }
  Task task = std::move(loaded).value();
  if (IsTerminal(task.state)) return;
  auto log = TaskLog::Open(ctx_.logs_dir, task.id, ctx_.config->log_cap_bytes);
  if (!log.ok() && log.error().code == ErrorCode::kNotFound) {
    log = TaskLog::Create(ctx_.logs_dir, task.id, ctx_.config->log_cap_bytes);
  }
  if (!log.ok()) {
    Fail(task, "cannot open the task log: " + log.error().message);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(rt_->mu);
    rt_->log = std::shared_ptr<TaskLog>(std::move(log).value());
  }

  if (!task.container_id.empty()) {
    Adopt(std::move(task));
    return;
  }
  if (task.state == TaskState::kQueued) {
    if (!Finish(task, TaskState::kPreparing, "", TaskUpdate{}).ok()) return;
    task.state = TaskState::kPreparing;
  }
  auto prepared = Prepare(task);
  (void)prepared;
}

// PREPARING -> RUNNING: image, policy, create, wait, start.
Result<Task> TaskRunner::Prepare(Task task) {
  std::string cancel_reason;
  auto spec = ctx_.services.catalog->Get(task.environment);
  if (!spec.ok()) {
    Fail(task, spec.error().message);
    return spec.error();
  }
  auto ensured = ctx_.services.images->Ensure(**spec, [&](const BuildEvent& ev) {
    spdlog::debug("event=build_progress {} step={}/{} text=\"{}\"", Tag(task), ev.step,
                  ev.total_steps, ev.text);
  });
  if (!ensured.ok()) {
    Fail(task, "building environment " + task.environment + ": " + ensured.error().message);
    return ensured.error();
  }
  if (Detached()) return Error(ErrorCode::kCancelled, "detached");
  if (CancelRequested(&cancel_reason)) {
    (void)Finish(task, TaskState::kCancelled, cancel_reason, TaskUpdate{});
    return Error(ErrorCode::kCancelled, cancel_reason);
  }
  EnvRuntime env = RuntimeFromSpec(**spec, ensured->image);
  Status policy = CheckPolicy(task, env, *ctx_.config);
  if (!policy.ok()) {
    Fail(task, policy.error().message);
    return policy.error();
  }
  if (!task.secret_env_keys.empty() && rt_->secrets.size() != task.secret_env_keys.size()) {
    std::string reason =
        "secret_env values are held in memory only and were lost when vped restarted; "
        "resubmit the task";
    Fail(task, reason);
    return Error(ErrorCode::kFailedPrecondition, reason);
  }
  docker::ContainerSpec cs =
      BuildContainerSpec(task, env, *ctx_.config, ctx_.executor_id, rt_->secrets);
  auto created = ctx_.services.engine->CreateContainer(cs);
  if (!created.ok() && created.error().code == ErrorCode::kAlreadyExists) {
    // A container of this task left by a vped that died between create and recording its id.
    spdlog::info("event=stale_container_removed {} container={}", Tag(task), cs.name);
    (void)ctx_.services.engine->RemoveContainer(cs.name, /*force=*/true, /*volumes=*/true);
    created = ctx_.services.engine->CreateContainer(cs);
  }
  if (!created.ok()) {
    if (ctx_.services.metrics) ctx_.services.metrics->EngineError();
    Fail(task, "creating the container: " + created.error().message);
    return created.error();
  }
  const std::string cid = created->id;
  ContainerGuard guard(ctx_.services.engine, cid, task.id);
  spdlog::info("event=container_created {} container={} image={}", Tag(task), cid.substr(0, 12),
               env.image);
  if (!created->warnings.empty()) {
    std::string joined;
    for (const auto& w : created->warnings) joined += (joined.empty() ? "" : "; ") + w;
    guard.Remove();
    Fail(task, "the engine dropped a container setting, refusing to run (fail closed): " + joined);
    return Error(ErrorCode::kFailedPrecondition, joined);
  }
  TaskUpdate ids;
  ids.container_id = cid;
  ids.image = env.image;
  if (Status s = ctx_.services.store->UpdateTask(task.id, ids); !s.ok()) {
    guard.Remove();
    Fail(task, "recording the container id: " + s.error().message);
    return s.error();
  }
  task.container_id = cid;
  task.image = env.image;

  // The wait is registered before start so that even an instant exit is seen.
  auto wait = ctx_.services.engine->Wait(cid, docker::WaitCondition::kNextExit);
  if (!wait.ok()) {
    guard.Remove();
    Fail(task, "registering the container wait: " + wait.error().message);
    return wait.error();
  }
  if (CancelRequested(&cancel_reason)) {
    (*wait)->Cancel();
    guard.Remove();
    (void)Finish(task, TaskState::kCancelled, cancel_reason, TaskUpdate{});
    return Error(ErrorCode::kCancelled, cancel_reason);
  }
  auto output = std::make_unique<OutputFollower>(ctx_.services.engine, cid, rt_, Tag(task));
  bool attached = output->AttachBeforeStart();
  if (!attached) {
    spdlog::warn("event=attach_failed {} container={} fallback=logs", Tag(task), cid.substr(0, 12));
  }
  if (Status s = ctx_.services.engine->StartContainer(cid); !s.ok()) {
    (*wait)->Cancel();
    rt_->streams->Cancel();
    output.reset();
    if (ctx_.services.metrics) ctx_.services.metrics->EngineError();
    guard.Remove();
    Fail(task, "starting the container: " + s.error().message);
    return s.error();
  }
  TaskUpdate started;
  started.started_at = Clock::now();
  task.started_at = started.started_at;
  if (!attached) output->FollowLogs(0);
  if (!Finish(task, TaskState::kRunning, "", started).ok()) {
    (*wait)->Cancel();
    rt_->streams->Cancel();
    return Error(ErrorCode::kInternal, "cannot record RUNNING");
  }
  task.state = TaskState::kRunning;
  guard.Release();  // Supervise owns the container from here
  Supervise(task, std::move(wait).value(), std::move(output));
  return task;
}

// A container left by a previous vped: collect it if it exited, follow it if it runs.
void TaskRunner::Adopt(Task task) {
  auto info = ctx_.services.engine->InspectContainer(task.container_id);
  if (!info.ok() && info.error().code == ErrorCode::kNotFound) {
    if (task.state == TaskState::kRunning) {
      (void)Finish(task, TaskState::kLost,
                   "container " + task.container_id.substr(0, 12) + " vanished while vped was away",
                   TaskUpdate{});
      return;
    }
    // PREPARING: the container was never started; create it again.
    task.container_id.clear();
    (void)Prepare(task);
    return;
  }
  if (!info.ok()) {
    Fail(task,
         "inspecting container " + task.container_id.substr(0, 12) + ": " + info.error().message);
    return;
  }
  spdlog::info("event=container_adopted {} container={} status={}", Tag(task),
               task.container_id.substr(0, 12), info->state.status);
  if (task.state == TaskState::kPreparing && info->state.status == "created") {
    (void)ctx_.services.engine->RemoveContainer(task.container_id, true, true);
    task.container_id.clear();
    (void)Prepare(task);
    return;
  }
  if (task.state == TaskState::kPreparing) {
    TaskUpdate started;
    started.started_at = Clock::now();
    task.started_at = started.started_at;
    if (!Finish(task, TaskState::kRunning, "adopted after restart", started).ok()) return;
    task.state = TaskState::kRunning;
  }
  auto wait = ctx_.services.engine->Wait(task.container_id, docker::WaitCondition::kNotRunning);
  if (!wait.ok()) {
    Fail(task, "registering the container wait: " + wait.error().message);
    (void)ctx_.services.engine->RemoveContainer(task.container_id, true, true);
    return;
  }
  // Output written while no vped was watching stays in the engine's log only.
  auto output =
      std::make_unique<OutputFollower>(ctx_.services.engine, task.container_id, rt_, Tag(task));
  output->FollowLogs(
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count());
  Supervise(task, std::move(wait).value(), std::move(output));
}

void TaskRunner::Supervise(Task task, std::unique_ptr<docker::PendingWait> wait,
                           std::unique_ptr<OutputFollower> output) {
  const std::string cid = task.container_id;
  ContainerGuard guard(ctx_.services.engine, cid, task.id);
  const Config& cfg = *ctx_.config;

  const envspec::Spec* spec = ctx_.services.catalog->Find(task.environment);
  milliseconds timeout = task.timeout.count() > 0 ? task.timeout
                         : spec                   ? spec->resources.timeout
                                                  : cfg.default_timeout;
  TimePoint started = task.started_at.value_or(Clock::now());
  auto deadline = steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(
                                            (started + timeout) - Clock::now());

  // Wait: a transport error means "engine unavailable", not "exited": ping with backoff, then
  // look again.
  Result<docker::WaitResult> wait_result = Error(ErrorCode::kInternal, "no wait result");
  std::thread wait_thread([&, this] {
    std::unique_ptr<docker::PendingWait> w = std::move(wait);
    while (true) {
      docker::PendingWait* raw = w.get();
      int cancel_id = rt_->streams->Register([raw] { raw->Cancel(); });
      wait_result = w->Get();
      rt_->streams->Unregister(cancel_id);
      if (wait_result.ok() || wait_result.error().code != ErrorCode::kUnavailable) break;
      spdlog::warn("event=engine_unavailable {} container={} error=\"{}\"", Tag(task),
                   cid.substr(0, 12), wait_result.error().message);
      if (ctx_.services.metrics) ctx_.services.metrics->EngineError();
      int backoff_ms = 200;
      while (!Detached() && !ctx_.services.engine->Ping().ok()) {
        std::this_thread::sleep_for(milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 5000);
      }
      if (Detached()) break;
      auto again = ctx_.services.engine->Wait(cid, docker::WaitCondition::kNotRunning);
      if (!again.ok()) {
        wait_result = again.error();
        break;
      }
      w = std::move(again).value();
    }
    {
      std::lock_guard<std::mutex> lock(rt_->mu);
      rt_->exited = true;
    }
    rt_->Bump();
  });

  Outcome outcome = Outcome::kExited;
  std::string cancel_reason;
  {
    std::unique_lock<std::mutex> lock(rt_->mu);
    rt_->cv.wait_until(lock, deadline,
                       [&] { return rt_->exited || rt_->cancel_requested || rt_->detach; });
    if (rt_->detach) {
      outcome = Outcome::kDetached;
    } else if (!rt_->exited) {
      outcome = rt_->cancel_requested ? Outcome::kCancelled : Outcome::kTimedOut;
      cancel_reason = rt_->cancel_reason;
    }
  }

  if (outcome == Outcome::kDetached) {
    rt_->streams->Cancel();
    wait_thread.join();
    output->Join();
    guard.Release();
    spdlog::info("event=task_detached {} container={}", Tag(task), cid.substr(0, 12));
    return;
  }
  if (outcome == Outcome::kTimedOut || outcome == Outcome::kCancelled) {
    int grace_s = static_cast<int>((cfg.stop_grace.count() + 999) / 1000);
    spdlog::info("event=container_stopping {} container={} why={} grace_s={}", Tag(task),
                 cid.substr(0, 12), outcome == Outcome::kTimedOut ? "timeout" : "cancel", grace_s);
    Status s = ctx_.services.engine->StopContainer(cid, grace_s);
    if (!s.ok()) {
      (void)ctx_.services.engine->KillContainer(cid, "SIGKILL");
    }
    std::unique_lock<std::mutex> lock(rt_->mu);
    if (!rt_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return rt_->exited; })) {
      lock.unlock();
      (void)ctx_.services.engine->KillContainer(cid, "SIGKILL");
    }
  }
  wait_thread.join();
  // The log stream ends with the container; give it a moment to drain, then cut it.
  for (int i = 0; i < 100 && !output->done(); ++i) std::this_thread::sleep_for(milliseconds(20));
  if (!output->done()) rt_->streams->Cancel();
  output->Join();

  TaskUpdate fields;
  auto info = ctx_.services.engine->InspectContainer(cid);
  if (info.ok()) {
    fields.exit_code = info->state.exit_code;
    fields.oom_killed = info->state.oom_killed;
  } else if (wait_result.ok()) {
    fields.exit_code = wait_result->status_code;
  }
  std::string result_error;
  if (outcome == Outcome::kExited) {
    auto files = ctx_.services.engine->GetArchive(cid, kResultPath, cfg.result_cap_bytes);
    if (files.ok()) {
      for (const auto& e : *files) {
        if (e.is_dir) continue;
        if (static_cast<int64_t>(e.content.size()) > cfg.result_cap_bytes) {
          result_error = "the result file " + std::string(kResultPath) + " is " +
                         std::to_string(e.content.size()) + " bytes, over the cap of " +
                         HumanBytes(cfg.result_cap_bytes);
        } else if (!nlohmann::json::accept(e.content)) {
          result_error = "the result file " + std::string(kResultPath) + " is not valid JSON";
        } else {
          fields.result_json = e.content;
        }
        break;
      }
    } else if (files.error().code == ErrorCode::kResourceExhausted) {
      result_error = "the result file " + std::string(kResultPath) + " is over the cap of " +
                     HumanBytes(cfg.result_cap_bytes);
    } else if (files.error().code != ErrorCode::kNotFound) {
      spdlog::warn("event=result_copy_failed {} error=\"{}\"", Tag(task), files.error().message);
    }
  }
  guard.Remove();

  switch (outcome) {
    case Outcome::kTimedOut:
      (void)Finish(task, TaskState::kTimedOut,
                   "timed out after " + std::to_string(timeout.count() / 1000) + " s", fields);
      return;
    case Outcome::kCancelled:
      (void)Finish(task, TaskState::kCancelled, cancel_reason, fields);
      return;
    default:
      break;
  }
  int64_t code = fields.exit_code.value_or(-1);
  if (fields.oom_killed.value_or(false)) {
    auto r = EffectiveResources(task, spec ? RuntimeFromSpec(*spec, "") : EnvRuntime{}, cfg);
    (void)Finish(task, TaskState::kFailed,
                 "out of memory: killed at the memory limit of " + HumanBytes(r.memory_bytes),
                 fields);
  } else if (!wait_result.ok() && !info.ok()) {
    (void)Finish(task, TaskState::kFailed,
                 "lost track of the container: " + wait_result.error().message, fields);
  } else if (code != 0) {
    (void)Finish(task, TaskState::kFailed, "exited with code " + std::to_string(code), fields);
  } else if (!result_error.empty()) {
    (void)Finish(task, TaskState::kFailed, result_error, fields);
  } else {
    (void)Finish(task, TaskState::kSucceeded, "", fields);
  }
}

}  // namespace vpe::orch
