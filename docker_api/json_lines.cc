#include "docker_api/json_lines.h"

namespace vpe::docker {

Status JsonLineReader::Feed(std::string_view chunk, const Callback& on_value) {
  while (!chunk.empty() && !stopped_) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + chunk.size() > max_line_bytes_) {
        return Error(ErrorCode::kResourceExhausted, "streamed JSON line longer than " +
                                                        std::to_string(max_line_bytes_) + " bytes");
      }
      partial_.append(chunk);
      return OkStatus();
    }
    Status st;
    if (partial_.empty()) {
      st = ParseLine(chunk.substr(0, nl), on_value);
    } else {
      partial_.append(chunk.substr(0, nl));
      std::string line;
      line.swap(partial_);
      st = ParseLine(line, on_value);
    }
    if (!st.ok()) return st;
    chunk.remove_prefix(nl + 1);
  }
  return OkStatus();
}

Status JsonLineReader::Finish(const Callback& on_value) {
  if (stopped_ || partial_.empty()) return OkStatus();
  std::string line;
  line.swap(partial_);
  return ParseLine(line, on_value);
}

Status JsonLineReader::ParseLine(std::string_view line, const Callback& on_value) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return OkStatus();
  auto doc = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    std::string shown(line.substr(0, 200));
    return Error(ErrorCode::kInternal, "engine sent a line that is not JSON: " + shown);
  }
  if (!on_value(doc)) stopped_ = true;
  return OkStatus();
}

}  // namespace vpe::docker
