#include "docker_api/build_log.h"

namespace vpe::docker {

void BuildLog::Add(const BuildProgress& progress) {
  if (!progress.aux_id.empty()) aux_id_ = progress.aux_id;
  if (!progress.error.empty() && error_.empty()) error_ = progress.error;
  if (progress.stream.empty()) return;
  pending_ += progress.stream;
  size_t nl;
  while ((nl = pending_.find('\n')) != std::string::npos) {
    AddLine(pending_.substr(0, nl));
    pending_.erase(0, nl + 1);
  }
  // Bound a line without newline: keep it as a line of its own.
  if (pending_.size() > 4096) {
    AddLine(pending_);
    pending_.clear();
  }
}

namespace {

// The engine colours a RUN step's stderr with ANSI escapes ("\x1b[91m"); drop them.
std::string StripAnsi(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) ++j;
      i = j;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

void BuildLog::AddLine(std::string line) {
  line = StripAnsi(line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return;
  if (line.rfind("Step ", 0) == 0) current_step_ = line;
  static const std::string kBuilt = "Successfully built ";
  if (line.rfind(kBuilt, 0) == 0) built_id_ = line.substr(kBuilt.size());
  tail_.push_back(std::move(line));
  while (tail_.size() > max_tail_lines_) tail_.pop_front();
}

Error BuildLog::Failure() const {
  std::string msg = "build failed";
  if (!current_step_.empty()) msg += " at " + current_step_;
  msg += ": " + (error_.empty() ? std::string("no image id reported") : error_);
  std::deque<std::string> lines = tail_;
  if (!pending_.empty()) lines.push_back(pending_);
  if (!lines.empty()) {
    msg += "\nlast output:";
    for (const std::string& l : lines) msg += "\n  " + l;
  }
  return Error(ErrorCode::kEngine, msg);
}

}  // namespace vpe::docker
