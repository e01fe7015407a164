#include "orchestrator/metrics.h"

#include <sstream>

namespace vpe::orch {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(const std::string& name, std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream s;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    s << name << "_bucket{le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
  }
  cumulative += counts_.back();
  s << name << "_bucket{le=\"+Inf\"} " << cumulative << "\n";
  s << name << "_sum " << sum_ << "\n";
  s << name << "_count " << count_ << "\n";
  *out += s.str();
}

Metrics::Metrics()
    : task_duration_({0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}),
      build_duration_({1, 5, 15, 30, 60, 120, 300, 600, 1800}) {}

void Metrics::TaskFinished(const std::string& state, double duration_seconds) {
  task_duration_.Observe(duration_seconds);
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_by_state_[state];
}

void Metrics::BuildFinished(bool ok, double duration_seconds) {
  (ok ? builds_ok_ : builds_failed_).fetch_add(1);
  build_duration_.Observe(duration_seconds);
}

std::string Metrics::Render(const Snapshot& snap) const {
  std::string out;
  out += "# HELP vpe_tasks Tasks in the store by state.\n# TYPE vpe_tasks gauge\n";
  for (const auto& [state, n] : snap.tasks_by_state) {
    out += "vpe_tasks{state=\"" + state + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP vpe_queue_depth Tasks waiting for a slot.\n# TYPE vpe_queue_depth gauge\n";
  out += "vpe_queue_depth " + std::to_string(snap.queue_depth) + "\n";
  out += "# HELP vpe_running_tasks Tasks holding a slot.\n# TYPE vpe_running_tasks gauge\n";
  out += "vpe_running_tasks " + std::to_string(snap.running) + "\n";
  out += "# HELP vpe_tasks_submitted_total Tasks accepted since start.\n";
  out += "# TYPE vpe_tasks_submitted_total counter\n";
  out += "vpe_tasks_submitted_total " + std::to_string(submitted_.load()) + "\n";
  out += "# HELP vpe_tasks_finished_total Tasks that reached a terminal state since start.\n";
  out += "# TYPE vpe_tasks_finished_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [state, n] : finished_by_state_) {
      out += "vpe_tasks_finished_total{state=\"" + state + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP vpe_task_duration_seconds Wall time from start to terminal state.\n";
  out += "# TYPE vpe_task_duration_seconds histogram\n";
  task_duration_.Render("vpe_task_duration_seconds", &out);
  out += "# HELP vpe_builds_total Environment image builds.\n# TYPE vpe_builds_total counter\n";
  out += "vpe_builds_total{result=\"ok\"} " + std::to_string(builds_ok_.load()) + "\n";
  out += "vpe_builds_total{result=\"failed\"} " + std::to_string(builds_failed_.load()) + "\n";
  out += "# HELP vpe_build_duration_seconds Environment image build time.\n";
  out += "# TYPE vpe_build_duration_seconds histogram\n";
  build_duration_.Render("vpe_build_duration_seconds", &out);
  out += "# HELP vpe_engine_errors_total Docker engine calls that failed.\n";
  out += "# TYPE vpe_engine_errors_total counter\n";
  out += "vpe_engine_errors_total " + std::to_string(engine_errors_.load()) + "\n";
  return out;
}

}  // namespace vpe::orch
