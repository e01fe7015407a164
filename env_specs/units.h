#pragma once
// Sizes ("512Mi", "2G", "1048576") and durations ("30s", "5m", "2h", "1h30m") as written in
// environment specs.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace vpe::envspec {

// Bytes from a size: an integer with an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or
// K, M, G, T (powers of 1000). Empty on any other text, on zero and on overflow.
std::optional<int64_t> ParseSize(const std::string& text);

// A duration: one or more <integer><unit> groups with units ms, s, m, h, d ("1h30m").
// Empty on any other text, on zero and on overflow.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);

// The shortest exact spelling of a size ("512Mi", "1G", "1000") and of a duration ("30m").
std::string FormatSize(int64_t bytes);
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace vpe::envspec
