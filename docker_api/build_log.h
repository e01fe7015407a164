#pragma once
// Follows the progress of a classic-builder build: the current "Step N/M : ..." line, the last
// output lines and the image id, so that a failure can say which step failed and what it printed.
// Not thread-safe.

#include <cstddef>
#include <deque>
#include <string>

#include "common/result.h"
#include "docker_api/engine.h"

namespace vpe::docker {

class BuildLog {
 public:
  explicit BuildLog(size_t max_tail_lines = 20) : max_tail_lines_(max_tail_lines) {}

  void Add(const BuildProgress& progress);

  // "Step 3/5 : RUN false", or "" before the first step.
  const std::string& current_step() const { return current_step_; }
  const std::deque<std::string>& tail() const { return tail_; }
  // From "aux":{"ID"} (preferred) or a "Successfully built <id>" line; "" when neither came.
  std::string image_id() const { return aux_id_.empty() ? built_id_ : aux_id_; }
  // Text of an in-band error, "" when none came.
  const std::string& error() const { return error_; }

  // The error for a failed build: names the step and carries the last output lines.
  Error Failure() const;

 private:
  void AddLine(std::string line);

  size_t max_tail_lines_;
  std::string pending_;  // stream text after the last newline
  std::string current_step_;
  std::deque<std::string> tail_;
  std::string aux_id_;
  std::string built_id_;
  std::string error_;
};

}  // namespace vpe::docker
