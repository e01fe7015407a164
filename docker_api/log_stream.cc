#include "docker_api/log_stream.h"

#include <algorithm>
#include <string>

namespace vpe::docker {

Status LogStreamDecoder::Feed(std::string_view chunk, const LogSink& sink) {
  if (stopped_) return OkStatus();
  if (tty_) {
    if (!chunk.empty() && !sink(StreamKind::kStdout, chunk)) stopped_ = true;
    return OkStatus();
  }
  size_t pos = 0;
  while (pos < chunk.size()) {
    if (remaining_ == 0) {
      // Collect (the rest of) a frame header.
      size_t take = std::min(kHeaderSize - header_len_, chunk.size() - pos);
      std::copy_n(chunk.data() + pos, take, header_ + header_len_);
      header_len_ += take;
      pos += take;
      if (header_len_ < kHeaderSize) break;
      header_len_ = 0;
      unsigned char kind = header_[0];
      if (kind > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        return Error(ErrorCode::kInternal,
                     "malformed multiplexed log stream: frame header starts with byte " +
                         std::to_string(kind) + " (is the container a TTY?)");
      }
      current_ = static_cast<StreamKind>(kind);
      remaining_ = (uint64_t{header_[4]} << 24) | (uint64_t{header_[5]} << 16) |
                   (uint64_t{header_[6]} << 8) | uint64_t{header_[7]};
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, chunk.size() - pos));
    remaining_ -= take;
    std::string_view piece = chunk.substr(pos, take);
    pos += take;
    if (!sink(current_, piece)) {
      stopped_ = true;
      return OkStatus();
    }
  }
  return OkStatus();
}

}  // namespace vpe::docker
