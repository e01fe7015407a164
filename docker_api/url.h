#pragma once
// Percent-encoding for request targets (the HTTP client's own URL encoding is turned off so that
// every byte is encoded exactly once, here).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vpe::docker {

// Encodes everything but RFC 3986 unreserved characters: for query values.
std::string QueryEscape(std::string_view s);
// Like QueryEscape but keeps '/', ':' and '@': for path parts such as image references.
std::string PathEscape(std::string_view s);

// Builds "?k=v&k2=v2" (empty when no parameters), values escaped.
class Query {
 public:
  Query& Add(std::string key, std::string value);
  Query& Add(std::string key, bool value) { return Add(std::move(key), value ? "1" : "0"); }
  Query& Add(std::string key, const char* value) { return Add(std::move(key), std::string(value)); }
  Query& Add(std::string key, int64_t value) { return Add(std::move(key), std::to_string(value)); }
  Query& Add(std::string key, int value) { return Add(std::move(key), std::to_string(value)); }
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace vpe::docker
