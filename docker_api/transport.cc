#include "docker_api/transport.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "docker_api/errors.h"

namespace vpe::docker {
namespace {

// httplib polls with an int of milliseconds: stay below INT_MAX (about 24.8 days).
constexpr time_t kStreamingReadTimeoutSec = 20 * 24 * 3600;
constexpr size_t kMaxErrorBody = 1024 * 1024;

std::shared_ptr<httplib::ClientImpl> NewConnection(const Endpoint& ep) {
  std::shared_ptr<httplib::ClientImpl> cli;
  if (ep.kind == Endpoint::Kind::kUnix) {
    cli = std::make_shared<httplib::ClientImpl>(ep.socket_path, 80);
    cli->set_address_family(AF_UNIX);
  } else if (ep.tls) {
    auto ssl = std::make_shared<httplib::SSLClient>(ep.hostname, ep.port, ep.tls_cert_path,
                                                    ep.tls_key_path);
    if (!ep.tls_ca_path.empty()) ssl->set_ca_cert_path(ep.tls_ca_path);
    ssl->enable_server_certificate_verification(true);
    cli = ssl;
  } else {
    cli = std::make_shared<httplib::ClientImpl>(ep.hostname, ep.port);
  }
  cli->set_keep_alive(false);
  cli->set_url_encode(false);  // targets are escaped by docker_api/url.h
  cli->set_follow_location(false);
  cli->set_decompress(false);
  return cli;
}

void SetTimeouts(httplib::ClientImpl& cli, const Endpoint& ep, const HttpRequest& r) {
  auto split = [](std::chrono::milliseconds ms, time_t* sec, time_t* usec) {
    *sec = static_cast<time_t>(ms.count() / 1000);
    *usec = static_cast<time_t>((ms.count() % 1000) * 1000);
  };
  time_t sec = 0, usec = 0;
  split(ep.timeout, &sec, &usec);
  cli.set_connection_timeout(sec, usec);
  if (r.streaming) {
    cli.set_read_timeout(kStreamingReadTimeoutSec, 0);
    cli.set_write_timeout(std::max<time_t>(sec, 600), 0);
  } else {
    split(ep.timeout + r.extra_timeout, &sec, &usec);
    cli.set_read_timeout(sec, usec);
    cli.set_write_timeout(sec, usec);
  }
}

}  // namespace

Result<HttpResponse> Transport::Do(const HttpRequest& request) const {
  const std::string what =
      request.what.empty() ? request.method + " " + request.target : request.what;
  if (request.cancel && request.cancel->cancelled()) {
    return Error(ErrorCode::kCancelled, what + ": cancelled");
  }
  std::shared_ptr<httplib::ClientImpl> cli = NewConnection(endpoint_);
  SetTimeouts(*cli, endpoint_, request);

  httplib::Request req;
  req.method = request.method;
  req.path = (request.versioned ? api_prefix_ : std::string()) + request.target;
  if (endpoint_.kind == Endpoint::Kind::kUnix) req.set_header("Host", "localhost");
  if (!request.content_type.empty()) req.set_header("Content-Type", request.content_type);
  req.body = request.body;

  HttpResponse out;
  bool headers_seen = false;
  bool over_cap = false;
  const auto& cancel = request.cancel;
  auto is_cancelled = [&cancel] { return cancel && cancel->cancelled(); };

  req.response_handler = [&](const httplib::Response& res) {
    headers_seen = true;
    out.status = res.status;
    out.content_type = res.get_header_value("Content-Type");
    if (request.on_headers) request.on_headers(res.status);
    return !is_cancelled();
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (is_cancelled()) return false;
    if (IsSuccess(out.status) && request.on_data) {
      if (request.on_data(std::string_view(data, n))) return true;
      out.stopped = true;
      return false;
    }
    size_t cap =
        IsSuccess(out.status) ? static_cast<size_t>(request.max_body_bytes) : kMaxErrorBody;
    if (out.body.size() + n > cap) {
      if (!IsSuccess(out.status)) return true;  // keep draining, drop the excess
      over_cap = true;
      return false;
    }
    out.body.append(data, n);
    return true;
  };

  // Cancel closes the connection; the callback holds the client so it may outlive this call.
  int cancel_id = -1;
  if (cancel) cancel_id = cancel->Register([cli] { cli->stop(); });

  auto start = std::chrono::steady_clock::now();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = cli->send(req, res, err);
  if (cancel) cancel->Unregister(cancel_id);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();

  if (ok) {
    out.status = res.status;
    spdlog::debug("docker call method={} path={} status={} ms={}", req.method, req.path, out.status,
                  ms);
    return out;
  }
  if (is_cancelled()) {
    spdlog::debug("docker call cancelled method={} path={} ms={}", req.method, req.path, ms);
    return Error(ErrorCode::kCancelled, what + ": cancelled");
  }
  if (over_cap) {
    return Error(ErrorCode::kResourceExhausted, what + ": answer larger than the limit of " +
                                                    std::to_string(request.max_body_bytes) +
                                                    " bytes");
  }
  if (err == httplib::Error::Canceled && out.stopped) return out;
  std::string detail = httplib::to_string(err);
  if (headers_seen) {
    detail = "connection lost mid-stream (" + detail + ")";
  } else if (err == httplib::Error::Connection && endpoint_.kind == Endpoint::Kind::kUnix) {
    // Say why, so an operator can fix it: the usual causes differ in their fix.
    struct stat st {};
    if (::stat(endpoint_.socket_path.c_str(), &st) != 0) {
      detail = "no socket at " + endpoint_.socket_path + " (" + std::strerror(errno) +
               "; is dockerd running?)";
    } else if (!S_ISSOCK(st.st_mode)) {
      detail = endpoint_.socket_path + " is not a socket";
    } else if (::access(endpoint_.socket_path.c_str(), R_OK | W_OK) != 0) {
      detail = "no permission to use " + endpoint_.socket_path + " (" + std::strerror(errno) + ")";
    } else {
      detail = "connection refused on " + endpoint_.socket_path + " (is dockerd running?)";
    }
  }
  spdlog::warn("docker call failed method={} path={} endpoint={} error=\"{}\" ms={}", req.method,
               req.path, endpoint_.ToString(), detail, ms);
  return TransportError(endpoint_.ToString(), what, detail);
}

}  // namespace vpe::docker
