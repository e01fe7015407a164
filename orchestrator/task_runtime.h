#pragma once
// The in-memory side of a non-terminal task: what must never be stored (secret values), what
// the runner and watchers share (the log, a change counter), and the requests made to the runner
// (cancel, detach on shutdown). Owned by the Orchestrator through shared_ptr; guarded by `mu`.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "docker_api/engine.h"

namespace vpe::orch {

class TaskLog;

class TaskRuntime {
 public:
  explicit TaskRuntime(std::string task_id) : id(std::move(task_id)) {}

  // Wakes watchers and the runner: a state was written, log data was appended, or a request
  // (cancel, detach) was made.
  void Bump() {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++version;
    }
    cv.notify_all();
  }

  const std::string id;
  std::map<std::string, std::string> secrets;  // values of secret_env, memory only

  std::mutex mu;
  std::condition_variable cv;
  uint64_t version = 0;
  bool cancel_requested = false;
  std::string cancel_reason;
  bool detach = false;  // vped is shutting down: leave the container running
  bool exited = false;  // the container's wait returned
  std::shared_ptr<TaskLog> log;
  // Cancels the runner's streaming engine calls (log follow, wait) on cancel or detach.
  std::shared_ptr<docker::CancelToken> streams = std::make_shared<docker::CancelToken>();
};

}  // namespace vpe::orch
