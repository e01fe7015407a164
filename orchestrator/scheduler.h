#pragma once
// Which queued task starts next: a bounded queue ordered by priority (higher first) and FIFO
// within a priority, gated by a global slot limit and per-environment slot limits. Pure logic:
// no threads, no I/O, no clock. The orchestrator calls TakeRunnable() whenever something changed
// (a task was enqueued, a task finished, a limit changed) and starts what it returns.
//
// Thread-safety: every method may be called from any thread concurrently.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace vpe::orch {

struct SchedulerOptions {
  size_t max_queued = 10000;  // Enqueue past this is kResourceExhausted
  int max_running = 4;        // global slots; 0 or less: unlimited
  // Slots per environment; an environment not listed gets default_env_limit (0: unlimited).
  std::map<std::string, int> env_limits;
  int default_env_limit = 0;
};

// A task that TakeRunnable() moved from the queue into a slot.
struct ScheduledTask {
  std::string id;
  std::string environment;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {});

  // Queues task `id`. kResourceExhausted "queue is full (N tasks)" when max_queued tasks wait;
  // kAlreadyExists when `id` is already queued or running (a second start would be a bug).
  Status Enqueue(const std::string& id, const std::string& environment, int priority);

  // Takes a queued task out of the queue (cancel before it started). False when it is not
  // queued (unknown, or already running: the caller cancels the run and later calls Release).
  bool Remove(const std::string& id);

  // Every queued task that can start now, in start order, with its slot reserved. An environment
  // at its limit is skipped without blocking tasks of other environments behind it; within one
  // environment order is kept (a later task never overtakes an earlier one of the same env).
  std::vector<ScheduledTask> TakeRunnable();
  // Like TakeRunnable() but at most one task.
  std::optional<ScheduledTask> Next();

  // Occupies a slot for a task that is already running without going through the queue
  // (recovery re-adopts containers after a restart). May exceed the limits: the containers
  // exist; new tasks wait until enough of them finish. kAlreadyExists when queued or running.
  Status Adopt(const std::string& id, const std::string& environment);

  // Frees the slot of a running task. False when `id` holds no slot.
  bool Release(const std::string& id);

  // Changes limits; queued tasks are not dropped when max_queued shrinks.
  void SetMaxRunning(int max_running);
  void SetEnvLimit(const std::string& environment, int limit);  // 0: unlimited

  size_t queued() const;
  size_t running() const;
  size_t running(const std::string& environment) const;
  size_t queued(const std::string& environment) const;
  bool IsQueued(const std::string& id) const;
  bool IsRunning(const std::string& id) const;

 private:
  struct Key {
    int priority;
    uint64_t seq;
    bool operator<(const Key& o) const {
      if (priority != o.priority) return priority > o.priority;  // higher priority first
      return seq < o.seq;                                        // then arrival order
    }
  };
  struct Entry {
    std::string id;
    std::string environment;
  };

  int EnvLimitLocked(const std::string& environment) const;
  bool GlobalFullLocked() const;
  std::vector<ScheduledTask> TakeLocked(size_t max);

  mutable std::mutex mu_;
  SchedulerOptions options_;
  uint64_t next_seq_ = 0;
  std::map<Key, Entry> queue_;                            // start order
  std::unordered_map<std::string, Key> queued_ids_;       // id -> its key in queue_
  std::unordered_map<std::string, std::string> running_;  // id -> environment
  std::unordered_map<std::string, size_t> running_per_env_;
  std::unordered_map<std::string, size_t> queued_per_env_;
};

}  // namespace vpe::orch
