#include "orchestrator/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "orchestrator/orchestrator.h"

namespace vpe::orch {

HttpServer::HttpServer(Orchestrator* orchestrator)
    : orch_(orchestrator), server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument,
                 "--http-listen: expected host:port, got '" + address + "'");
  }
  std::string host = address.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return Error(ErrorCode::kInvalidArgument,
                 "--http-listen: expected host:port, got '" + address + "'");
  }
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Status s = orch_->Health();
    if (s.ok()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(s.error().message + "\n", "text/plain");
    }
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(orch_->RenderMetrics(), "text/plain; version=0.0.4");
  });
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    return Error(ErrorCode::kUnavailable,
                 "cannot listen for HTTP on " + address + " (port taken or address invalid)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("event=http_listening address={}:{}", host, port_);
  return OkStatus();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vpe::orch
