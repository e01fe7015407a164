#pragma once
// Runs one task from QUEUED (or from where a previous vped left it) to a terminal state, exactly
// as DESIGN.md section 3 lays out: ensure the image, create the hardened container, register the
// wait, start, follow logs, enforce the deadline, collect exit code, OOM and the result file,
// remove the container, then write the terminal state. Every state is durable before watchers
// are woken. On detach (vped shutting down) it returns leaving the container running.
//
// Thread-safety: one TaskRunner per task, run on its own thread.

#include <memory>
#include <string>

#include "docker_api/engine.h"
#include "orchestrator/config.h"
#include "orchestrator/metrics.h"
#include "orchestrator/services.h"
#include "orchestrator/task.h"
#include "orchestrator/task_runtime.h"

namespace vpe::orch {

class Store;
class OutputFollower;
class EnvCatalog;
class ImageManager;

struct RunnerContext {
  Services services;
  const Config* config = nullptr;
  std::string executor_id;
  std::string logs_dir;
};

class TaskRunner {
 public:
  TaskRunner(const RunnerContext& ctx, std::shared_ptr<TaskRuntime> rt);
  void Run();

 private:
  enum class Outcome { kExited, kTimedOut, kCancelled, kDetached };

  Result<Task> Prepare(Task task);
  void Supervise(Task task, std::unique_ptr<docker::PendingWait> wait,
                 std::unique_ptr<OutputFollower> output);
  void Adopt(Task task);
  Status Finish(const Task& task, TaskState state, const std::string& reason,
                const struct TaskUpdate& fields);
  void Fail(const Task& task, const std::string& reason);
  bool CancelRequested(std::string* reason);
  bool Detached();
  std::string Tag(const Task& task) const;

  RunnerContext ctx_;
  std::shared_ptr<TaskRuntime> rt_;
};

}  // namespace vpe::orch
