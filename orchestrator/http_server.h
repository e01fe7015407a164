#pragma once
// vped's operator endpoints on a separate port: GET /healthz (engine reachable, store usable;
// 200 "ok" or 503 with the reason) and GET /metrics (Prometheus text format).

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace vpe::orch {

class Orchestrator;

class HttpServer {
 public:
  explicit HttpServer(Orchestrator* orchestrator);
  ~HttpServer();
  // Binds "host:port" and serves on a thread of its own; fails naming the address.
  Status Start(const std::string& address);
  void Stop();
  int port() const { return port_; }

 private:
  Orchestrator* orch_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vpe::orch
