#pragma once
// Tar archives in memory, written and read with libarchive (never by hand). Used for Docker
// build contexts and for the archive API (results copied out of containers, files put in).

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vpe {

struct TarEntry {
  std::string path;  // relative, '/'-separated; directories may end with '/'
  int mode = 0644;   // permission bits
  bool is_dir = false;
  std::string content;  // empty for directories
};

// Writes a ustar/pax archive holding `entries` in order. Timestamps are fixed (0) and owners are
// root so that the same entries always give the same bytes.
Result<std::string> WriteTar(const std::vector<TarEntry>& entries);

// Reads every entry of `tar`. Fails with kResourceExhausted when the unpacked content exceeds
// max_bytes, and with kInvalidArgument on a malformed archive.
Result<std::vector<TarEntry>> ReadTar(const std::string& tar, int64_t max_bytes);

}  // namespace vpe
