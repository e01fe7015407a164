#include "orchestrator/orchestrator.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "env_specs/spec.h"
#include "orchestrator/container_spec.h"
#include "orchestrator/env_catalog.h"
#include "orchestrator/image_manager.h"
#include "orchestrator/log_store.h"
#include "orchestrator/runner.h"
#include "orchestrator/scheduler.h"
#include "orchestrator/store.h"
#include "orchestrator/task_runtime.h"

namespace vpe::orch {
namespace {

std::string DefaultExecutorId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "vped";
  return std::string("vped-") + host;
}

// Request fields that Submit validates; errors name the field.
Status ValidateSubmit(const Task& t, const Config& config) {
  if (t.environment.empty()) {
    return Error(ErrorCode::kInvalidArgument, "environment: required (the name of a spec)");
  }
  if (t.task_key.size() > 512) {
    return Error(ErrorCode::kInvalidArgument, "task_key: longer than 512 bytes");
  }
  for (const auto& [k, v] : t.env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "env: invalid variable name '" + k + "'");
    }
  }
  for (const auto& k : t.secret_env_keys) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "secret_env: invalid variable name '" + k + "'");
    }
    if (t.env.count(k)) {
      return Error(ErrorCode::kInvalidArgument,
                   "secret_env: '" + k + "' is also set in env; set it in one place");
    }
  }
  if (t.resources.memory_bytes < 0) {
    return Error(ErrorCode::kInvalidArgument, "resources.memory_bytes: must not be negative");
  }
  if (t.resources.memory_bytes > 0 && t.resources.memory_bytes < (6 << 20)) {
    return Error(ErrorCode::kInvalidArgument,
                 "resources.memory_bytes: the engine needs at least 6 MiB, got " +
                     std::to_string(t.resources.memory_bytes));
  }
  if (t.resources.cpus < 0 || t.resources.cpus > 1024) {
    return Error(ErrorCode::kInvalidArgument, "resources.cpus: must be between 0 and 1024");
  }
  if (t.resources.pids < 0) {
    return Error(ErrorCode::kInvalidArgument, "resources.pids: must not be negative");
  }
  if (t.timeout.count() < 0) {
    return Error(ErrorCode::kInvalidArgument, "timeout: must not be negative");
  }
  for (const auto& arg : t.command) {
    if (arg.find('\0') != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "command: an argument contains a NUL byte");
    }
  }
  (void)config;
  return OkStatus();
}

}  // namespace

Orchestrator::Orchestrator(Deps deps, Config config)
    : deps_(deps),
      config_(std::move(config)),
      executor_id_(config_.executor_id.empty() ? DefaultExecutorId() : config_.executor_id) {
  SchedulerOptions so;
  so.max_running = config_.max_concurrent;
  so.max_queued = static_cast<size_t>(config_.queue_limit);
  so.env_limits = config_.env_concurrency;
  so.default_env_limit = config_.default_env_concurrency;
  scheduler_ = std::make_unique<Scheduler>(so);
}

Orchestrator::~Orchestrator() { Shutdown(); }

std::shared_ptr<TaskRuntime> Orchestrator::Runtime(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runtimes_.find(id);
  return it == runtimes_.end() ? nullptr : it->second;
}

Status Orchestrator::Start() {
  if (Status s = Recover(); !s.ok()) return s;
  accepting_ = true;
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  reaper_ = std::thread([this] { ReapLoop(); });
  spdlog::info("event=orchestrator_started executor={} max_concurrent={} queue_limit={}",
               executor_id_, config_.max_concurrent, config_.queue_limit);
  return OkStatus();
}

void Orchestrator::Shutdown() {
  accepting_ = false;
  std::map<std::string, std::thread> runners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, rt] : runtimes_) {
      {
        std::lock_guard<std::mutex> rl(rt->mu);
        rt->detach = true;
      }
      rt->cv.notify_all();
      rt->streams->Cancel();
    }
  }
  dispatch_cv_.notify_all();
  reap_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  if (reaper_.joinable()) reaper_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    runners.swap(runners_);
  }
  for (auto& [id, t] : runners) {
    if (t.joinable()) t.join();
  }
  spdlog::info("event=orchestrator_stopped executor={}", executor_id_);
}

// Reconciles the store with the engine after a (re)start.
Status Orchestrator::Recover() {
  auto pending = deps_.store->ListNonTerminal();
  if (!pending.ok()) return pending.error().WithContext("reading unfinished tasks");
  std::set<std::string> known_containers;
  std::vector<Task> resume;
  for (const Task& t : *pending) {
    if (!t.container_id.empty()) known_containers.insert(t.container_id);
    auto rt = std::make_shared<TaskRuntime>(t.id);
    {
      std::lock_guard<std::mutex> lock(mu_);
      runtimes_[t.id] = rt;
    }
    if (t.state == TaskState::kQueued) {
      // Queued before the restart: they keep their place even past the queue limit.
      if (Status s = scheduler_->Enqueue(t.id, t.environment, t.priority); !s.ok()) {
        spdlog::warn("event=requeue_failed task={} error=\"{}\"", t.id, s.error().message);
      }
    } else {
      resume.push_back(t);
    }
  }
  // Tasks that already held a slot take it again at once, ahead of the queue.
  for (const Task& t : resume) {
    (void)scheduler_->Adopt(t.id, t.environment);
    std::lock_guard<std::mutex> lock(mu_);
    auto rt = runtimes_[t.id];
    runners_[t.id] = std::thread([this, rt] { RunTask(rt); });
  }
  // Containers of this executor that the store does not know: left by a crash between create and
  // recording the id. Remove them.
  docker::Filters filters = {{"label", {std::string(kLabelExecutor) + "=" + executor_id_}}};
  auto containers = deps_.engine->ListContainers(true, filters);
  if (!containers.ok()) return containers.error().WithContext("listing this executor's containers");
  for (const auto& c : *containers) {
    if (known_containers.count(c.id)) continue;
    auto task_label = c.labels.find(kLabelTask);
    std::string task_id = task_label == c.labels.end() ? "" : task_label->second;
    auto known = task_id.empty() ? Result<Task>(Error(ErrorCode::kNotFound, ""))
                                 : deps_.store->GetTask(task_id);
    if (known.ok() && !IsTerminal(known->state)) continue;
    spdlog::info("event=orphan_removed container={} task={}", c.id.substr(0, 12), task_id);
    (void)deps_.engine->RemoveContainer(c.id, true, true);
  }
  spdlog::info("event=recovered executor={} queued={} resumed={}", executor_id_,
               pending->size() - resume.size(), resume.size());
  return OkStatus();
}

void Orchestrator::DispatchLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    for (const std::string& id : finished_runners_) {
      auto it = runners_.find(id);
      if (it != runners_.end()) {
        if (it->second.joinable()) it->second.join();
        runners_.erase(it);
      }
      runtimes_.erase(id);
    }
    finished_runners_.clear();
    for (const ScheduledTask& st : scheduler_->TakeRunnable()) {
      const std::string& id = st.id;
      auto rt = runtimes_[id];
      if (!rt) rt = runtimes_[id] = std::make_shared<TaskRuntime>(id);
      runners_[id] = std::thread([this, rt] { RunTask(rt); });
    }
    dispatch_cv_.wait_for(lock, std::chrono::seconds(1));
  }
}

void Orchestrator::ReapLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (reap_cv_.wait_for(lock, config_.reap_interval, [this] { return stopping_; })) break;
    lock.unlock();
    auto grace = std::chrono::duration_cast<std::chrono::seconds>(2 * config_.reap_interval);
    ReapOnce(std::max(grace, std::chrono::seconds(1)));
    lock.lock();
  }
}

int Orchestrator::ReapOnce(std::chrono::seconds unknown_grace) {
  docker::Filters filters = {{"label", {std::string(kLabelExecutor) + "=" + executor_id_}}};
  auto containers = deps_.engine->ListContainers(true, filters);
  if (!containers.ok()) {
    spdlog::warn("event=reap_failed executor={} error=\"{}\"", executor_id_,
                 containers.error().message);
    return 0;
  }
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  int removed = 0;
  for (const auto& c : *containers) {
    auto label = c.labels.find(kLabelTask);
    std::string task_id = label == c.labels.end() ? "" : label->second;
    if (!task_id.empty() && Runtime(task_id)) continue;  // its runner owns it
    std::string why;
    auto task = task_id.empty() ? Result<Task>(Error(ErrorCode::kNotFound, "no task label"))
                                : deps_.store->GetTask(task_id);
    if (task.ok()) {
      if (!IsTerminal(task->state)) continue;
      why = std::string("task is ") + TaskStateName(task->state);
    } else if (task.error().code == ErrorCode::kNotFound) {
      if (now - c.created < unknown_grace.count()) continue;
      why = "task unknown to the store";
    } else {
      continue;  // the store is unwell: remove nothing
    }
    if (deps_.engine->RemoveContainer(c.id, true, true).ok()) {
      ++removed;
      spdlog::info("event=container_reaped task={} container={} why=\"{}\"", task_id,
                   c.id.substr(0, 12), why);
    }
  }
  return removed;
}

void Orchestrator::RunTask(std::shared_ptr<TaskRuntime> rt) {
  RunnerContext ctx;
  ctx.services = deps_;
  ctx.config = &config_;
  ctx.executor_id = executor_id_;
  ctx.logs_dir = config_.state_dir + "/logs";
  TaskRunner(ctx, rt).Run();
  Finished(rt->id);
}

void Orchestrator::Finished(const std::string& id) {
  scheduler_->Release(id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_runners_.push_back(id);
  }
  dispatch_cv_.notify_all();
}

Result<SubmitResult> Orchestrator::Submit(SubmitRequest req) {
  if (!accepting_) return Error(ErrorCode::kUnavailable, "vped is shutting down");
  Task& t = req.task;
  t.secret_env_keys.clear();
  for (const auto& [k, v] : req.secret_env) t.secret_env_keys.push_back(k);
  if (Status s = ValidateSubmit(t, config_); !s.ok()) return s.error();

  if (!t.task_key.empty()) {
    auto existing = deps_.store->FindByKey(t.task_key);
    if (!existing.ok()) return existing.error();
    if (existing->has_value()) return SubmitResult{**existing, false};
  }
  auto spec = deps_.catalog->Get(t.environment);
  if (!spec.ok()) return spec.error();
  EnvRuntime env;
  env.name = (*spec)->name;
  env.user = (*spec)->user;
  env.network = (*spec)->network;
  if (Status s = CheckPolicy(t, env, config_); !s.ok()) return s.error();

  t.state = TaskState::kQueued;
  t.created_at = Clock::now();
  if (scheduler_->queued() >= static_cast<size_t>(config_.queue_limit)) {
    return Error(ErrorCode::kResourceExhausted, "the queue is full (" +
                                                    std::to_string(config_.queue_limit) +
                                                    " tasks waiting); retry later");
  }
  auto created = deps_.store->CreateTask(t);
  if (!created.ok()) return created.error();
  if (!created->created) return SubmitResult{created->task, false};
  const Task& stored = created->task;
  auto rt = std::make_shared<TaskRuntime>(stored.id);
  rt->secrets = std::move(req.secret_env);
  {
    std::lock_guard<std::mutex> lock(mu_);
    runtimes_[stored.id] = rt;
  }
  if (Status s = scheduler_->Enqueue(stored.id, stored.environment, stored.priority); !s.ok()) {
    // Lost the race for the last queue place: the task is durable, so end it rather than leave
    // it QUEUED forever.
    (void)deps_.store->Transition(stored.id, TaskState::kFailed, s.error().message, TaskUpdate{});
    std::lock_guard<std::mutex> lock(mu_);
    runtimes_.erase(stored.id);
    return s.error();
  }
  if (deps_.metrics) deps_.metrics->TaskSubmitted();
  spdlog::info("event=task_submitted task={} env={} key=\"{}\" priority={}", stored.id,
               stored.environment, stored.task_key, stored.priority);
  dispatch_cv_.notify_all();
  return SubmitResult{stored, true};
}

Result<Task> Orchestrator::Get(const std::string& id) {
  if (id.empty()) return Error(ErrorCode::kInvalidArgument, "id: required");
  return deps_.store->GetTask(id);
}

Result<ListResult> Orchestrator::List(const ListQuery& query) {
  return deps_.store->ListTasks(query);
}

Result<Task> Orchestrator::Cancel(const std::string& id, const std::string& reason_in) {
  if (id.empty()) return Error(ErrorCode::kInvalidArgument, "id: required");
  auto task = deps_.store->GetTask(id);
  if (!task.ok()) return task.error();
  if (IsTerminal(task->state)) return task;  // nothing to do; cancel is idempotent
  std::string reason = reason_in.empty() ? "cancelled by request" : reason_in;
  if (scheduler_->Remove(id)) {
    auto ev = deps_.store->Transition(id, TaskState::kCancelled, reason, TaskUpdate{});
    if (!ev.ok()) return ev.error();
    spdlog::info("event=task_state task={} state=CANCELLED seq={} reason=\"{}\"", id, ev->seq,
                 reason);
    std::shared_ptr<TaskRuntime> rt;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = runtimes_.find(id);
      if (it != runtimes_.end()) {
        rt = it->second;
        runtimes_.erase(it);
      }
    }
    if (rt) rt->Bump();
    if (deps_.metrics) deps_.metrics->TaskFinished("CANCELLED", 0);
    return deps_.store->GetTask(id);
  }
  auto rt = Runtime(id);
  if (rt) {
    {
      std::lock_guard<std::mutex> lock(rt->mu);
      rt->cancel_requested = true;
      rt->cancel_reason = reason;
    }
    rt->Bump();
    spdlog::info("event=cancel_requested task={} reason=\"{}\"", id, reason);
  }
  return deps_.store->GetTask(id);
}

Status Orchestrator::Watch(const std::string& id, int64_t after_seq, int64_t log_offset, bool logs,
                           const std::function<bool(const WatchItem&)>& sink,
                           const std::function<bool()>& stop) {
  if (id.empty()) return Error(ErrorCode::kInvalidArgument, "id: required");
  if (after_seq < 0) return Error(ErrorCode::kInvalidArgument, "after_seq: must not be negative");
  if (log_offset < 0) {
    return Error(ErrorCode::kInvalidArgument, "log_offset: must not be negative");
  }
  auto first = deps_.store->GetTask(id);
  if (!first.ok()) return first.error();

  int64_t seq = after_seq;
  int64_t offset = log_offset;
  std::shared_ptr<TaskLog> log;
  bool done = false;

  // Sends every retained log byte from `offset`; false when the sink stopped.
  auto drain_logs = [&]() -> bool {
    if (!logs) return true;
    if (!log) {
      auto rt = Runtime(id);
      if (rt) {
        // While the task has a runtime, only its runner's log is read: a second reader opened
        // from disk would not see later appends.
        std::lock_guard<std::mutex> lock(rt->mu);
        log = rt->log;
        if (!log) return true;  // not started yet
      } else {
        auto opened = TaskLog::Open(config_.state_dir + "/logs", id, config_.log_cap_bytes);
        if (!opened.ok()) return true;  // nothing written yet
        log = std::shared_ptr<TaskLog>(std::move(opened).value());
      }
    }
    while (true) {
      auto records = log->ReadFrom(offset, 256 * 1024);
      if (!records.ok() || records->empty()) return true;
      for (const auto& r : *records) {
        WatchItem item;
        item.is_log = true;
        item.stream = r.stream;
        item.data = r.data;
        item.offset = r.offset;
        item.seq = seq;
        item.dropped = r.dropped;
        offset = r.end();
        if (r.data.empty() && r.dropped == 0) continue;
        if (!sink(item)) return false;
      }
    }
  };

  while (!done) {
    auto rt = Runtime(id);
    uint64_t version = 0;
    if (rt) {
      std::lock_guard<std::mutex> lock(rt->mu);
      version = rt->version;
    }
    auto events = deps_.store->EventsAfter(id, seq);
    if (!events.ok()) return events.error();
    if (!drain_logs()) return OkStatus();
    for (const TaskEvent& ev : *events) {
      if (IsTerminal(ev.state)) {
        // The runner finished the log before writing the terminal state: send all of it first.
        if (!drain_logs()) return OkStatus();
        done = true;
      }
      WatchItem item;
      item.event = ev;
      auto snapshot = deps_.store->GetTask(id);
      if (snapshot.ok()) item.task = *snapshot;
      seq = ev.seq;
      item.seq = seq;
      if (!sink(item)) return OkStatus();
    }
    if (done) break;
    if (stop && stop()) return OkStatus();
    if (!rt && events->empty()) {
      // The watcher has already seen the terminal state (after_seq at or past it): send what
      // remains of the log and end, rather than wait for events that will never come.
      auto now = deps_.store->GetTask(id);
      if (now.ok() && IsTerminal(now->state) && seq >= now->last_seq) {
        drain_logs();
        break;
      }
    }
    if (rt) {
      std::unique_lock<std::mutex> lock(rt->mu);
      rt->cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return rt->version != version; });
    } else {
      // No runtime: terminal (events above end the loop) or between handoffs; poll gently.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return OkStatus();
}

Status Orchestrator::BuildEnvironment(const std::string& name, bool force,
                                      const std::function<void(const std::string&)>& progress,
                                      EnvironmentInfo* out, bool* up_to_date) {
  if (name.empty()) return Error(ErrorCode::kInvalidArgument, "name: required");
  auto found = deps_.catalog->Get(name);
  if (!found.ok()) return found.error();
  const envspec::Spec* spec = *found;
  auto start = std::chrono::steady_clock::now();
  auto r = deps_.images->Ensure(
      *spec,
      [&](const BuildEvent& ev) {
        if (!progress) return;
        if (ev.kind == BuildEvent::Kind::kStep) {
          progress("Step " + std::to_string(ev.step) + "/" + std::to_string(ev.total_steps) +
                   " : " + ev.text);
        } else if (!ev.text.empty()) {
          progress(ev.text);
        }
      },
      force);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    if (deps_.metrics) deps_.metrics->BuildFinished(false, secs);
    return r.error();
  }
  if (r->built && deps_.metrics) deps_.metrics->BuildFinished(true, secs);
  EnvironmentRecord rec;
  rec.name = spec->name;
  rec.image_tag = r->image;
  rec.spec_hash = spec->hash;
  rec.built_at = Clock::now();
  (void)deps_.store->UpsertEnvironment(rec);
  if (up_to_date) *up_to_date = !r->built;
  if (out) {
    out->name = spec->name;
    out->description = spec->description;
    out->image = r->image;
    out->spec_hash = spec->hash;
    out->spec_path = spec->source_path;
    out->built = true;
  }
  return OkStatus();
}

Result<std::vector<EnvironmentInfo>> Orchestrator::ListEnvironments() {
  std::vector<EnvironmentInfo> out;
  for (const auto& [name, spec] : deps_.catalog->specs()) {
    EnvironmentInfo e;
    e.name = spec.name;
    e.description = spec.description;
    e.image = envspec::ImageTag(spec);
    e.spec_hash = spec.hash;
    e.spec_path = spec.source_path;
    e.built = deps_.engine->InspectImage(e.image).ok();
    out.push_back(std::move(e));
  }
  return out;
}

Status Orchestrator::Health() {
  if (Status s = deps_.engine->Ping(); !s.ok()) return s.error().WithContext("docker engine");
  auto counts = deps_.store->CountByState();
  if (!counts.ok()) return counts.error().WithContext("store");
  // Writable: the store and the task logs live in the state dir.
  std::string probe = config_.state_dir + "/.health-probe";
  FILE* f = std::fopen(probe.c_str(), "w");
  bool written = f && std::fputs("ok", f) >= 0;
  if (f && std::fclose(f) != 0) written = false;
  if (!written) {
    return Error(ErrorCode::kUnavailable, "state dir " + config_.state_dir + " is not writable");
  }
  std::remove(probe.c_str());
  return OkStatus();
}

std::string Orchestrator::RenderMetrics() {
  Metrics::Snapshot snap;
  auto counts = deps_.store->CountByState();
  if (counts.ok()) {
    for (const auto& [state, n] : *counts) snap.tasks_by_state[TaskStateName(state)] = n;
  }
  snap.queue_depth = static_cast<int64_t>(scheduler_->queued());
  snap.running = static_cast<int64_t>(scheduler_->running());
  return deps_.metrics ? deps_.metrics->Render(snap) : std::string();
}

}  // namespace vpe::orch
