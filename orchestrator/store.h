#pragma once
// The durable state of vped: tasks, their state events, and environments. An abstract interface
// so the orchestrator's logic can be tested against a fake; SqliteStore (sqlite_store.h) is the
// real one.
//
// Durability: every method that writes returns only after its change is durable (committed and
// synced), so a state change may be announced to watchers as soon as Transition returns.
//
// Thread-safety: every method may be called from any thread concurrently.
//
// Errors: kNotFound names the missing task id; kFailedPrecondition names the task and the
// illegal transition; kInvalidArgument names the bad field (page_token, page_size); kUnavailable
// when the database stays locked past the busy timeout; kInternal for I/O failures (disk full,
// unwritable file), with the database's own message.
//
// Secrets: the store never sees secret environment values, only their names
// (Task::secret_env_keys). Callers must not put secret values into any field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "orchestrator/task.h"

namespace vpe::orch {

// Fields that change while a task runs. Unset optionals are left as they are.
struct TaskUpdate {
  std::optional<int64_t> exit_code;
  std::optional<bool> oom_killed;
  std::optional<std::string> result_json;
  std::optional<std::string> image;
  std::optional<std::string> container_id;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  std::optional<int64_t> log_bytes;
};

struct CreateTaskResult {
  Task task;     // as stored: the new task, or the existing one with the same task_key
  bool created;  // false: task_key matched an existing task and nothing was written
};

struct ListQuery {
  std::vector<TaskState> states;              // empty: every state
  std::string environment;                    // empty: every environment
  std::map<std::string, std::string> labels;  // each must match exactly (AND)
  int page_size = 0;                          // 0: kDefaultPageSize; capped at kMaxPageSize
  std::string page_token;                     // from ListResult::next_page_token; empty: start
  bool newest_first = false;                  // default: creation order, oldest first

  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
};

struct ListResult {
  std::vector<Task> tasks;
  std::string next_page_token;  // empty: no more pages
};

struct EnvironmentRecord {
  std::string name;
  std::string image_tag;              // vpe-env/<name>:<hash12>
  std::string spec_hash;              // full hash over the normalised spec and its inputs
  std::optional<TimePoint> built_at;  // unset: known but never built by this vped
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts `task` in state QUEUED with its first event (seq 1) in one transaction. An empty
  // task.id gets a fresh "t-<16 hex>"; an unset created_at is set to now. When task.task_key is
  // non-empty and a task with that key exists, returns that task with created == false and
  // writes nothing (SubmitTask is idempotent). A duplicate id is kAlreadyExists.
  virtual Result<CreateTaskResult> CreateTask(const Task& task) = 0;

  // Moves task `id` to `to` in one transaction: checks CanTransition(current, to)
  // (kFailedPrecondition naming the task and both states otherwise), sets state and reason,
  // applies `fields`, appends the event with seq = last_seq + 1, and returns it. started_at
  // defaults to now on RUNNING and finished_at on a terminal state, unless given in `fields`.
  virtual Result<TaskEvent> Transition(const std::string& id, TaskState to,
                                       const std::string& reason, const TaskUpdate& fields) = 0;

  // Applies `fields` without a state change (container id, image, log bytes). kNotFound.
  virtual Status UpdateTask(const std::string& id, const TaskUpdate& fields) = 0;

  virtual Result<Task> GetTask(const std::string& id) = 0;
  virtual Result<std::optional<Task>> FindByKey(const std::string& task_key) = 0;
  virtual Result<ListResult> ListTasks(const ListQuery& query) = 0;

  // State events of task `id` with seq > after_seq, in seq order. kNotFound for an unknown id.
  virtual Result<std::vector<TaskEvent>> EventsAfter(const std::string& id, int64_t after_seq) = 0;

  // Every task not in a terminal state, in creation order (recovery re-queues QUEUED ones in
  // this order, so FIFO survives a restart).
  virtual Result<std::vector<Task>> ListNonTerminal() = 0;
  // Number of tasks per state; every state is present, zero when none.
  virtual Result<std::map<TaskState, int64_t>> CountByState() = 0;

  // Inserts or replaces the record of environment `env.name`.
  virtual Status UpsertEnvironment(const EnvironmentRecord& env) = 0;
  virtual Result<std::optional<EnvironmentRecord>> GetEnvironment(const std::string& name) = 0;
  // Every known environment, by name.
  virtual Result<std::vector<EnvironmentRecord>> ListEnvironments() = 0;
};

}  // namespace vpe::orch
