#pragma once
// Decodes the engine's log/attach stream. Without a TTY the engine multiplexes stdout and stderr
// into frames of an 8-byte header (stream byte, three zero bytes, big-endian uint32 payload size)
// followed by the payload; with a TTY the stream is raw bytes, reported as stdout.
//
// The decoder is correct for any split of the input into chunks and never buffers more than one
// frame header: payload bytes are handed to the sink as they arrive, so a frame larger than a
// chunk reaches the sink in pieces (in order). Not thread-safe; one decoder per stream.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "docker_api/engine.h"

namespace vpe::docker {

class LogStreamDecoder {
 public:
  explicit LogStreamDecoder(bool tty) : tty_(tty) {}

  // Decodes `chunk`, calling `sink` for every piece of payload. Fails with kInternal on a
  // malformed frame header. After the sink returns false, stops and sets stopped(); later calls
  // do nothing.
  Status Feed(std::string_view chunk, const LogSink& sink);

  // True once the sink asked to stop.
  bool stopped() const { return stopped_; }
  // True when the input so far ended exactly between frames (a clean end of stream).
  bool AtFrameBoundary() const { return tty_ || (header_len_ == 0 && remaining_ == 0); }

  static constexpr size_t kHeaderSize = 8;

 private:
  bool tty_;
  bool stopped_ = false;
  unsigned char header_[kHeaderSize] = {};
  size_t header_len_ = 0;   // header bytes collected so far
  uint64_t remaining_ = 0;  // payload bytes still due for the current frame
  StreamKind current_ = StreamKind::kStdout;
};

}  // namespace vpe::docker
