#include "env_specs/units.h"

#include <cctype>
#include <limits>
#include <utility>
#include <vector>

namespace vpe::envspec {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Reads the leading decimal digits of text[*pos...]; empty when there are none or on overflow.
std::optional<int64_t> ReadInt(const std::string& text, size_t* pos) {
  size_t start = *pos;
  int64_t v = 0;
  while (*pos < text.size() && std::isdigit(static_cast<unsigned char>(text[*pos]))) {
    int digit = text[*pos] - '0';
    if (v > (kMax - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
    ++*pos;
  }
  if (*pos == start) return std::nullopt;
  return v;
}

std::optional<int64_t> Multiply(int64_t a, int64_t b) {
  if (a != 0 && b > kMax / a) return std::nullopt;
  return a * b;
}

}  // namespace

std::optional<int64_t> ParseSize(const std::string& text) {
  size_t pos = 0;
  std::optional<int64_t> n = ReadInt(text, &pos);
  if (!n || *n == 0) return std::nullopt;
  std::string suffix = text.substr(pos);
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"", 1},
      {"K", 1000},
      {"M", 1000 * 1000},
      {"G", 1000LL * 1000 * 1000},
      {"T", 1000LL * 1000 * 1000 * 1000},
      {"Ki", 1LL << 10},
      {"Mi", 1LL << 20},
      {"Gi", 1LL << 30},
      {"Ti", 1LL << 40},
  };
  for (const auto& [name, factor] : kUnits) {
    if (suffix == name) return Multiply(*n, factor);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t pos = 0;
  int64_t total = 0;
  while (pos < text.size()) {
    std::optional<int64_t> n = ReadInt(text, &pos);
    if (!n) return std::nullopt;
    int64_t factor = 0;
    if (text.compare(pos, 2, "ms") == 0) {
      factor = 1;
      pos += 2;
    } else if (pos < text.size()) {
      switch (text[pos]) {
        case 's':
          factor = 1000;
          break;
        case 'm':
          factor = 60 * 1000;
          break;
        case 'h':
          factor = 3600 * 1000;
          break;
        case 'd':
          factor = 24 * 3600 * 1000;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    } else {
      return std::nullopt;  // a number without a unit
    }
    std::optional<int64_t> ms = Multiply(*n, factor);
    if (!ms || total > kMax - *ms) return std::nullopt;
    total += *ms;
  }
  if (total == 0) return std::nullopt;
  return std::chrono::milliseconds(total);
}

std::string FormatSize(int64_t bytes) {
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"Ti", 1LL << 40}, {"T", 1000LL * 1000 * 1000 * 1000},
      {"Gi", 1LL << 30}, {"G", 1000LL * 1000 * 1000},
      {"Mi", 1LL << 20}, {"M", 1000 * 1000},
      {"Ki", 1LL << 10}, {"K", 1000},
  };
  for (const auto& [name, factor] : kUnits) {
    if (bytes >= factor && bytes % factor == 0) return std::to_string(bytes / factor) + name;
  }
  return std::to_string(bytes);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"d", 24LL * 3600 * 1000}, {"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}};
  for (const auto& [name, factor] : kUnits) {
    if (ms >= factor && ms % factor == 0) return std::to_string(ms / factor) + name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace vpe::envspec
