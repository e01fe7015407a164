// vped: the executor daemon. Flags over an optional YAML config over embedded defaults; see
// orchestrator/config.h for every setting.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "docker_api/client.h"
#include "orchestrator/config.h"
#include "orchestrator/env_catalog.h"
#include "orchestrator/grpc_service.h"
#include "orchestrator/http_server.h"
#include "orchestrator/image_manager.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/sqlite_store.h"

namespace fs = std::filesystem;
using vpe::orch::Config;

namespace {

int Fail(const std::string& message) {
  spdlog::critical("event=startup_failed error=\"{}\"", message);
  std::cerr << "vped: " << message << "\n";
  return 1;
}

// The state dir must exist and be writable; checked with a real write.
vpe::Status CheckStateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir + "/logs", ec);
  if (ec) {
    return vpe::Error(vpe::ErrorCode::kFailedPrecondition,
                      "state dir " + dir + " cannot be created: " + ec.message());
  }
  std::string probe = dir + "/.write-probe";
  {
    std::ofstream f(probe);
    f << "ok";
    if (!f.good()) {
      return vpe::Error(vpe::ErrorCode::kFailedPrecondition,
                        "state dir " + dir + " is not writable");
    }
  }
  fs::remove(probe, ec);
  return vpe::OkStatus();
}

// One executor id per state dir, kept across restarts so recovery finds its own containers.
std::string ExecutorId(const std::string& dir) {
  std::string path = dir + "/executor-id";
  std::ifstream in(path);
  std::string id;
  if (in && std::getline(in, id) && !id.empty()) return id;
  unsigned char bytes[6];
  RAND_bytes(bytes, sizeof(bytes));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "vped-%02x%02x%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  std::ofstream out(path);
  out << buf << "\n";
  return buf;
}

std::string ReadToken(const std::string& path, vpe::Status* status) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty()) {
    *status = vpe::Error(vpe::ErrorCode::kFailedPrecondition,
                         "auth token file " + path + " is missing, unreadable or empty");
  }
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vped: runs each pipeline task in its own short-lived, hardened Docker container"};
  std::string config_file;
  std::vector<std::string> listen;
  std::string http_listen, docker_host, state_dir, specs_dir, executor_id, auth_token_file;
  std::string default_timeout, stop_grace, reap_interval, log_cap, result_cap, log_level = "info";
  int max_concurrent = 0, queue_limit = 0;
  std::vector<std::string> env_concurrency, allow_networks, allow_volumes;
  app.add_option("--config", config_file, "YAML config file (flags override it)");
  app.add_option("--listen", listen, "gRPC address: host:port or unix:/path (repeatable)");
  app.add_option("--http-listen", http_listen, "host:port for /healthz and /metrics ('' = off)");
  app.add_option("--docker-host", docker_host, "Docker engine: unix:///path or tcp://host:port");
  app.add_option("--state-dir", state_dir, "SQLite store, task logs, executor id");
  app.add_option("--specs-dir", specs_dir, "directory of environment specs");
  app.add_option("--max-concurrent", max_concurrent, "global limit of running tasks");
  app.add_option("--env-concurrency", env_concurrency, "per-environment limit NAME=N (repeatable)");
  app.add_option("--queue-limit", queue_limit,
                 "tasks waiting for a slot before RESOURCE_EXHAUSTED");
  app.add_option("--default-timeout", default_timeout, "task timeout when none is set (e.g. 1h)");
  app.add_option("--stop-grace", stop_grace, "SIGTERM grace before SIGKILL (e.g. 5s)");
  app.add_option("--reap-interval", reap_interval,
                 "how often leftover containers of finished tasks are removed (e.g. 1m)");
  app.add_option("--log-cap", log_cap, "log bytes kept per task (head and tail, e.g. 16Mi)");
  app.add_option("--result-cap", result_cap, "result.json size cap (e.g. 1Mi)");
  app.add_option("--executor-id", executor_id,
                 "labels this vped's containers (default: per state dir)");
  app.add_option("--auth-token-file", auth_token_file, "require 'authorization: Bearer <token>'");
  app.add_option("--allow-network", allow_networks, "network specs may use (repeatable)");
  app.add_option("--allow-volume", allow_volumes, "named volume tasks may mount (repeatable)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");

  Config config;
  if (!config_file.empty()) {
    auto loaded = vpe::orch::LoadConfigFile(config_file, config);
    if (!loaded.ok()) return Fail(loaded.error().message);
    config = *loaded;
  }
  if (!listen.empty()) config.listen = listen;
  if (app.count("--http-listen")) config.http_listen = http_listen;
  if (!docker_host.empty()) config.docker_host = docker_host;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!specs_dir.empty()) config.specs_dir = specs_dir;
  if (!executor_id.empty()) config.executor_id = executor_id;
  if (!auth_token_file.empty()) config.auth_token_file = auth_token_file;
  if (max_concurrent < 0) return Fail("--max-concurrent: expected a number >= 1");
  if (max_concurrent > 0) config.max_concurrent = max_concurrent;
  if (queue_limit > 0) config.queue_limit = queue_limit;
  for (const auto& kv : env_concurrency) {
    auto eq = kv.find('=');
    int n = 0;
    try {
      n = eq == std::string::npos ? 0 : std::stoi(kv.substr(eq + 1));
    } catch (...) {
    }
    if (n < 1) return Fail("--env-concurrency: expected NAME=N with N >= 1, got '" + kv + "'");
    config.env_concurrency[kv.substr(0, eq)] = n;
  }
  for (const auto& n : allow_networks) config.policy.allowed_networks.insert(n);
  for (const auto& v : allow_volumes) config.policy.allowed_volumes.insert(v);
  auto duration_flag = [&](const std::string& flag, const std::string& v,
                           std::chrono::milliseconds* out) -> vpe::Status {
    if (v.empty()) return vpe::OkStatus();
    auto d = vpe::orch::ParseDuration(v);
    if (!d.ok()) return d.error().WithContext(flag);
    *out = *d;
    return vpe::OkStatus();
  };
  auto size_flag = [&](const std::string& flag, const std::string& v, int64_t* out) -> vpe::Status {
    if (v.empty()) return vpe::OkStatus();
    auto s = vpe::orch::ParseSize(v);
    if (!s.ok()) return s.error().WithContext(flag);
    *out = *s;
    return vpe::OkStatus();
  };
  for (vpe::Status s :
       {duration_flag("--default-timeout", default_timeout, &config.default_timeout),
        duration_flag("--stop-grace", stop_grace, &config.stop_grace),
        duration_flag("--reap-interval", reap_interval, &config.reap_interval),
        size_flag("--log-cap", log_cap, &config.log_cap_bytes),
        size_flag("--result-cap", result_cap, &config.result_cap_bytes)}) {
    if (!s.ok()) return Fail(s.error().message);
  }

  // Signals are taken by sigwait below, on the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (vpe::Status s = CheckStateDir(config.state_dir); !s.ok()) return Fail(s.error().message);
  if (config.executor_id.empty()) config.executor_id = ExecutorId(config.state_dir);
  std::string token;
  if (!config.auth_token_file.empty()) {
    vpe::Status s;
    token = ReadToken(config.auth_token_file, &s);
    if (!s.ok()) return Fail(s.error().message);
  }

  vpe::docker::ConnectOptions copts;
  if (!config.docker_host.empty()) copts.host = config.docker_host;
  auto engine = vpe::docker::Client::Connect(copts);
  if (!engine.ok()) return Fail("cannot use the Docker engine: " + engine.error().message);

  auto store = vpe::orch::SqliteStore::Open(config.state_dir + "/vped.db");
  if (!store.ok()) return Fail("cannot open the store: " + store.error().message);

  auto catalog = vpe::orch::EnvCatalog::Load(config.specs_dir);
  if (!catalog.ok()) return Fail(catalog.error().message);

  vpe::orch::ImageManager images(**engine);
  vpe::orch::Metrics metrics;
  vpe::orch::Orchestrator::Deps deps;
  deps.engine = engine->get();
  deps.store = store->get();
  deps.catalog = &catalog.value();
  deps.images = &images;
  deps.metrics = &metrics;
  vpe::orch::Orchestrator orchestrator(deps, config);
  if (vpe::Status s = orchestrator.Start(); !s.ok()) return Fail(s.error().message);

  vpe::orch::ExecutorService service(&orchestrator, token);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(config.listen.size(), 0);
  for (size_t i = 0; i < config.listen.size(); ++i) {
    const std::string& addr = config.listen[i];
    if (addr.rfind("unix:", 0) == 0) {
      std::string path = addr.substr(addr.rfind("unix://", 0) == 0 ? 7 : 5);
      std::error_code ec;
      fs::remove(path, ec);  // a stale socket from a previous run
    }
    builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &ports[i]);
  }
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(16 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    orchestrator.Shutdown();
    return Fail("cannot listen for gRPC on " + config.listen.front() +
                " (port taken, address invalid, or no permission)");
  }
  for (size_t i = 0; i < config.listen.size(); ++i) {
    const std::string& addr = config.listen[i];
    if (addr.rfind("unix:", 0) != 0 && ports[i] == 0) {
      server->Shutdown();
      orchestrator.Shutdown();
      return Fail("cannot listen for gRPC on " + addr + " (port taken or address invalid)");
    }
    if (addr.rfind("unix:", 0) == 0) {
      std::string path = addr.substr(addr.rfind("unix://", 0) == 0 ? 7 : 5);
      chmod(path.c_str(), 0660);
    }
    std::string shown = addr;
    if (addr.rfind("unix:", 0) != 0 && addr.size() > 2 && addr.substr(addr.size() - 2) == ":0") {
      shown = addr.substr(0, addr.size() - 1) + std::to_string(ports[i]);
    }
    spdlog::info("event=grpc_listening address={}", shown);
    // Machine-readable for scripts and tests that pass port 0.
    std::cout << "vped: listening on " << shown << std::endl;
  }
  vpe::orch::HttpServer http(&orchestrator);
  if (!config.http_listen.empty()) {
    if (vpe::Status s = http.Start(config.http_listen); !s.ok()) {
      server->Shutdown();
      orchestrator.Shutdown();
      return Fail(s.error().message);
    }
    std::cout << "vped: http on " << config.http_listen.substr(0, config.http_listen.rfind(':'))
              << ":" << http.port() << std::endl;
  }
  spdlog::info("event=vped_ready executor={} engine={} state_dir={} specs_dir={}",
               config.executor_id, copts.host, config.state_dir, config.specs_dir);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("event=shutdown_started signal={}", sig);
  // Stop accepting first; running containers stay up for the next vped to adopt.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  orchestrator.Shutdown();
  http.Stop();
  spdlog::info("event=shutdown_done");
  return 0;
}
