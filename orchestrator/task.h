#pragma once
// Domain types of a task, free of protobuf: the gRPC service converts to and from these.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vpe::orch {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// The task state machine (DESIGN.md section 3). Transitions live in CanTransition (task.cc).
enum class TaskState {
  kQueued,     // accepted and durable; waiting for a slot
  kPreparing,  // has a slot; the environment's image is being ensured, container being created
  kRunning,    // container started
  kSucceeded,  // exit code 0
  kFailed,     // non-zero exit, OOM, or an error preparing/running it
  kTimedOut,   // deadline passed: stopped with grace, then killed
  kCancelled,  // CancelTask
  kLost,       // the store said RUNNING but the container vanished
};

const char* TaskStateName(TaskState s);  // "QUEUED", ... as in the proto
std::optional<TaskState> TaskStateFromName(const std::string& name);
bool IsTerminal(TaskState s);
// Whether `from -> to` is allowed; every other transition is a bug.
bool CanTransition(TaskState from, TaskState to);

struct TaskResources {
  int64_t memory_bytes = 0;
  double cpus = 0;
  int64_t pids = 0;
};

struct VolumeMount {
  std::string name;  // named volume; host paths are never accepted
  std::string target;
  bool read_only = false;
};

struct Task {
  std::string id;        // vped-assigned, e.g. t-<16 hex>
  std::string task_key;  // idempotency key from the scheduler
  std::string environment;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::vector<std::string> secret_env_keys;  // names only; values live in memory only
  TaskResources resources;
  std::chrono::milliseconds timeout{0};  // 0: the environment's or vped's default
  std::map<std::string, std::string> labels;
  int priority = 0;
  std::vector<VolumeMount> volumes;

  TaskState state = TaskState::kQueued;
  std::string reason;
  std::optional<int64_t> exit_code;
  bool oom_killed = false;
  std::string result_json;
  std::string image;
  std::string container_id;
  TimePoint created_at{};
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  int64_t last_seq = 0;   // seq of the latest state event
  int64_t log_bytes = 0;  // logical bytes of log produced so far
};

// One durable state change; seq increases by one per task, starting at 1 (QUEUED).
struct TaskEvent {
  std::string task_id;
  int64_t seq = 0;
  TimePoint time{};
  TaskState state = TaskState::kQueued;
  std::string reason;
};

}  // namespace vpe::orch
