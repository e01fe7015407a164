#pragma once
// One HTTP exchange with the engine over a connection of its own (Unix socket, TCP, or TCP+TLS),
// so calls from many threads never share state. Streams bodies to a callback synchronously from
// the socket reader: a slow callback slows the reading. Cancellation closes the connection.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "docker_api/connect_options.h"
#include "docker_api/engine.h"

namespace vpe::docker {

struct HttpRequest {
  std::string method = "GET";
  std::string target;     // path and query, e.g. "/containers/abc/json"
  bool versioned = true;  // prefix with "/v<api>"
  std::string what;       // for messages: "inspect container abc"
  std::string body;
  std::string content_type;
  // Streaming calls (waits, follows, builds, events) have no read timeout.
  bool streaming = false;
  // Extra read time on top of the call timeout (e.g. a stop's grace period).
  std::chrono::milliseconds extra_timeout{0};
  // Called once the status line and headers arrived.
  std::function<void(int status)> on_headers;
  // When set, a 2xx body goes here chunk by chunk instead of into HttpResponse::body; returning
  // false stops reading (HttpResponse::stopped).
  std::function<bool(std::string_view data)> on_data;
  // Cap on a body collected into HttpResponse::body (kResourceExhausted past it).
  int64_t max_body_bytes = 256 * 1024 * 1024;
  std::shared_ptr<CancelToken> cancel;
};

struct HttpResponse {
  int status = 0;
  std::string body;  // a non-2xx body always lands here (capped at 1 MiB)
  std::string content_type;
  bool stopped = false;  // on_data returned false
};

class Transport {
 public:
  explicit Transport(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // Sets the "/v1.41" prefix of versioned requests; call before sharing the transport.
  void set_api_prefix(std::string prefix) { api_prefix_ = std::move(prefix); }
  const Endpoint& endpoint() const { return endpoint_; }

  // Performs `request`. Errors: kUnavailable on any transport failure (also a stream cut midway),
  // kCancelled when request.cancel fired, kResourceExhausted past max_body_bytes. A non-2xx answer
  // is not an error here: the caller maps HttpResponse::status.
  Result<HttpResponse> Do(const HttpRequest& request) const;

 private:
  Endpoint endpoint_;
  std::string api_prefix_;
};

}  // namespace vpe::docker
