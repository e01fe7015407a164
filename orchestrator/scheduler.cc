#include "orchestrator/scheduler.h"

#include <unordered_set>
#include <utility>

namespace vpe::orch {

Scheduler::Scheduler(SchedulerOptions options) : options_(std::move(options)) {}

Status Scheduler::Enqueue(const std::string& id, const std::string& environment, int priority) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queued_ids_.count(id) != 0 || running_.count(id) != 0) {
    return Error(ErrorCode::kAlreadyExists, "task " + id + " is already scheduled");
  }
  if (queue_.size() >= options_.max_queued) {
    return Error(ErrorCode::kResourceExhausted,
                 "queue is full (" + std::to_string(queue_.size()) + " tasks)");
  }
  Key key{priority, next_seq_++};
  queue_.emplace(key, Entry{id, environment});
  queued_ids_.emplace(id, key);
  ++queued_per_env_[environment];
  return OkStatus();
}

bool Scheduler::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queued_ids_.find(id);
  if (it == queued_ids_.end()) return false;
  auto q = queue_.find(it->second);
  if (--queued_per_env_[q->second.environment] == 0) queued_per_env_.erase(q->second.environment);
  queue_.erase(q);
  queued_ids_.erase(it);
  return true;
}

int Scheduler::EnvLimitLocked(const std::string& environment) const {
  auto it = options_.env_limits.find(environment);
  return it != options_.env_limits.end() ? it->second : options_.default_env_limit;
}

bool Scheduler::GlobalFullLocked() const {
  return options_.max_running > 0 && running_.size() >= static_cast<size_t>(options_.max_running);
}

std::vector<ScheduledTask> Scheduler::TakeLocked(size_t max) {
  std::vector<ScheduledTask> out;
  // Environments found full on this pass: their later tasks are skipped too, which keeps FIFO
  // within an environment and lets other environments' tasks through.
  std::unordered_set<std::string> blocked;
  for (auto it = queue_.begin(); it != queue_.end() && out.size() < max;) {
    if (GlobalFullLocked()) break;
    const Entry& e = it->second;
    if (blocked.count(e.environment) != 0) {
      ++it;
      continue;
    }
    int limit = EnvLimitLocked(e.environment);
    if (limit > 0 && running_per_env_[e.environment] >= static_cast<size_t>(limit)) {
      blocked.insert(e.environment);
      ++it;
      continue;
    }
    running_.emplace(e.id, e.environment);
    ++running_per_env_[e.environment];
    if (--queued_per_env_[e.environment] == 0) queued_per_env_.erase(e.environment);
    queued_ids_.erase(e.id);
    out.push_back(ScheduledTask{e.id, e.environment});
    it = queue_.erase(it);
  }
  return out;
}

std::vector<ScheduledTask> Scheduler::TakeRunnable() {
  std::lock_guard<std::mutex> lock(mu_);
  return TakeLocked(queue_.size());
}

std::optional<ScheduledTask> Scheduler::Next() {
  std::lock_guard<std::mutex> lock(mu_);
  auto v = TakeLocked(1);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

Status Scheduler::Adopt(const std::string& id, const std::string& environment) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queued_ids_.count(id) != 0 || running_.count(id) != 0) {
    return Error(ErrorCode::kAlreadyExists, "task " + id + " is already scheduled");
  }
  running_.emplace(id, environment);
  ++running_per_env_[environment];
  return OkStatus();
}

bool Scheduler::Release(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return false;
  if (--running_per_env_[it->second] == 0) running_per_env_.erase(it->second);
  running_.erase(it);
  return true;
}

void Scheduler::SetMaxRunning(int max_running) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.max_running = max_running;
}

void Scheduler::SetEnvLimit(const std::string& environment, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.env_limits[environment] = limit;
}

size_t Scheduler::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t Scheduler::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.size();
}

size_t Scheduler::running(const std::string& environment) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_per_env_.find(environment);
  return it == running_per_env_.end() ? 0 : it->second;
}

size_t Scheduler::queued(const std::string& environment) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queued_per_env_.find(environment);
  return it == queued_per_env_.end() ? 0 : it->second;
}

bool Scheduler::IsQueued(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_ids_.count(id) != 0;
}

bool Scheduler::IsRunning(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.count(id) != 0;
}

}  // namespace vpe::orch
