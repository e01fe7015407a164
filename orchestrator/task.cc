#include "orchestrator/task.h"

namespace vpe::orch {

const char* TaskStateName(TaskState s) {
  switch (s) {
    case TaskState::kQueued:
      return "QUEUED";
    case TaskState::kPreparing:
      return "PREPARING";
    case TaskState::kRunning:
      return "RUNNING";
    case TaskState::kSucceeded:
      return "SUCCEEDED";
    case TaskState::kFailed:
      return "FAILED";
    case TaskState::kTimedOut:
      return "TIMED_OUT";
    case TaskState::kCancelled:
      return "CANCELLED";
    case TaskState::kLost:
      return "LOST";
  }
  return "UNKNOWN";
}

std::optional<TaskState> TaskStateFromName(const std::string& name) {
  for (TaskState s :
       {TaskState::kQueued, TaskState::kPreparing, TaskState::kRunning, TaskState::kSucceeded,
        TaskState::kFailed, TaskState::kTimedOut, TaskState::kCancelled, TaskState::kLost}) {
    if (name == TaskStateName(s)) return s;
  }
  return std::nullopt;
}

bool IsTerminal(TaskState s) {
  return s == TaskState::kSucceeded || s == TaskState::kFailed || s == TaskState::kTimedOut ||
         s == TaskState::kCancelled || s == TaskState::kLost;
}

bool CanTransition(TaskState from, TaskState to) {
  if (IsTerminal(from)) return false;  // terminal states are final: a result is never rewritten
  switch (to) {
    case TaskState::kQueued:
      return false;  // only the initial state
    case TaskState::kPreparing:
      return from == TaskState::kQueued;  // a slot became free
    case TaskState::kRunning:
      return from == TaskState::kPreparing;  // the container started
    case TaskState::kSucceeded:
    case TaskState::kTimedOut:
      return from == TaskState::kRunning;  // only a started container exits or times out
    case TaskState::kFailed:
      // Preparing fails when the image build or the create fails; running when the exit is
      // non-zero. A queued task fails when recovery finds its environment gone.
      return true;
    case TaskState::kCancelled:
      return true;  // cancel is allowed from every non-terminal state
    case TaskState::kLost:
      // Recovery: the store said a container existed but the engine has none.
      return from == TaskState::kRunning || from == TaskState::kPreparing;
  }
  return false;
}

}  // namespace vpe::orch
