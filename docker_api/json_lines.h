#pragma once
// Splits a streamed body of newline-separated JSON documents (build progress, events) into
// parsed values, correct across any chunk split. Holds at most one incomplete line, capped.
// Not thread-safe.

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vpe::docker {

class JsonLineReader {
 public:
  // Return false to stop reading.
  using Callback = std::function<bool(const nlohmann::json&)>;

  explicit JsonLineReader(size_t max_line_bytes = 16 * 1024 * 1024)
      : max_line_bytes_(max_line_bytes) {}

  // Parses every complete line in `chunk`; blank lines are skipped. Fails with kInternal on a
  // line that is not JSON and kResourceExhausted on a line longer than the cap.
  Status Feed(std::string_view chunk, const Callback& on_value);
  // Parses a last line that had no newline.
  Status Finish(const Callback& on_value);

  bool stopped() const { return stopped_; }

 private:
  Status ParseLine(std::string_view line, const Callback& on_value);

  size_t max_line_bytes_;
  std::string partial_;
  bool stopped_ = false;
};

}  // namespace vpe::docker
