#pragma once
// The executor's logic: accepts tasks, schedules them into slots, runs each in its own hardened
// container (runner.h), and answers queries and watches. Knows no protobuf: the gRPC service
// (grpc_service.h) converts and delegates.
//
// Thread-safety: every public method may be called from any thread. Watch blocks its caller until
// the task ends or the caller stops it; everything else returns promptly.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "docker_api/engine.h"
#include "orchestrator/config.h"
#include "orchestrator/log_store.h"
#include "orchestrator/metrics.h"
#include "orchestrator/services.h"
#include "orchestrator/store.h"
#include "orchestrator/task.h"

namespace vpe::envspec {
struct Spec;
}

namespace vpe::orch {

class Store;
class Scheduler;
class EnvCatalog;
class ImageManager;
class TaskRuntime;

struct SubmitRequest {
  Task task;                                      // id, state and times are assigned by Submit
  std::map<std::string, std::string> secret_env;  // kept in memory only
};

struct SubmitResult {
  Task task;
  bool created = false;  // false: an existing task with the same task_key
};

struct WatchItem {
  bool is_log = false;
  TaskEvent event;  // !is_log
  Task task;        // !is_log: the task as of this event
  LogStream stream = LogStream::kStdout;
  std::string data;  // is_log
  int64_t offset = 0;
  int64_t dropped = 0;  // is_log: bytes dropped by the cap at `offset` (data empty)
  int64_t seq = 0;      // the latest state seq the watcher has seen
};

struct EnvironmentInfo {
  std::string name;
  std::string description;
  std::string image;
  std::string spec_hash;
  std::string spec_path;
  bool built = false;
};

class Orchestrator {
 public:
  using Deps = Services;
  Orchestrator(Deps deps, Config config);
  ~Orchestrator();

  // Reconciles the store with the engine (re-adopts or collects containers, requeues tasks) and
  // starts dispatching.
  Status Start();
  // Stops accepting and dispatching; running containers keep running for a later vped to adopt.
  void Shutdown();

  Result<SubmitResult> Submit(SubmitRequest request);
  Result<Task> Get(const std::string& id);
  Result<ListResult> List(const ListQuery& query);
  Result<Task> Cancel(const std::string& id, const std::string& reason);
  // Delivers state events after `after_seq` and (with `logs`) log data from `log_offset`, in
  // order, until the terminal state has been delivered and the log drained. `sink` returning
  // false, or `stop()` returning true, ends the watch early (OK).
  Status Watch(const std::string& id, int64_t after_seq, int64_t log_offset, bool logs,
               const std::function<bool(const WatchItem&)>& sink,
               const std::function<bool()>& stop);

  Status BuildEnvironment(const std::string& name, bool force,
                          const std::function<void(const std::string&)>& progress,
                          EnvironmentInfo* out, bool* up_to_date);
  Result<std::vector<EnvironmentInfo>> ListEnvironments();

  // For /healthz and /metrics.
  Status Health();
  std::string RenderMetrics();
  const std::string& executor_id() const { return executor_id_; }

 private:
  friend class TaskRunner;
  void DispatchLoop();
  void ReapLoop();
  // Removes this executor's containers whose task is finished, or unknown to the store and
  // older than `unknown_grace`. Returns how many were removed.
  int ReapOnce(std::chrono::seconds unknown_grace);
  void RunTask(std::shared_ptr<TaskRuntime> rt);
  Status Recover();
  std::shared_ptr<TaskRuntime> Runtime(const std::string& id);
  void Notify(const std::string& id);
  void Finished(const std::string& id);
  Result<Task> FailQueued(const Task& task, const std::string& reason);

  Deps deps_;
  Config config_;
  std::string executor_id_;
  std::unique_ptr<Scheduler> scheduler_;

  std::mutex mu_;
  std::condition_variable dispatch_cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<TaskRuntime>> runtimes_;  // non-terminal tasks
  std::map<std::string, std::thread> runners_;
  std::vector<std::string> finished_runners_;
  std::thread dispatcher_;
  std::condition_variable reap_cv_;
  std::thread reaper_;
  std::atomic<bool> accepting_{false};
};

}  // namespace vpe::orch
