#pragma once
// Prometheus metrics of vped, rendered in the text exposition format for /metrics.
// Thread-safe: every method may be called from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vpe::orch {

// A cumulative histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count lines of `name`.
  void Render(const std::string& name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // one per bound, plus +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void TaskFinished(const std::string& state, double duration_seconds);
  void BuildFinished(bool ok, double duration_seconds);
  void EngineError() { engine_errors_.fetch_add(1); }
  void TaskSubmitted() { submitted_.fetch_add(1); }

  // Gauges are sampled when rendering.
  struct Snapshot {
    std::map<std::string, int64_t> tasks_by_state;
    int64_t queue_depth = 0;
    int64_t running = 0;
  };
  std::string Render(const Snapshot& snapshot) const;

 private:
  Histogram task_duration_;
  Histogram build_duration_;
  std::atomic<uint64_t> builds_ok_{0};
  std::atomic<uint64_t> builds_failed_{0};
  std::atomic<uint64_t> engine_errors_{0};
  std::atomic<uint64_t> submitted_{0};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> finished_by_state_;
};

}  // namespace vpe::orch
