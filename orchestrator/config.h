#pragma once
// vped's configuration: embedded defaults, overridden by an optional YAML file, overridden by
// flags (cmd/vped.cc). Everything an operator may tune lives here.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace vpe::orch {

// What requests may loosen (DESIGN.md section 5). Privileged mode and host bind mounts are never
// taken from a request, whatever this says.
struct Policy {
  std::set<std::string> allowed_networks = {"none"};  // a spec's `network` must be in here
  bool allow_unbuilt_images = false;                  // images outside built environments
  std::set<std::string> allowed_volumes;              // named volumes tasks may mount
};

struct Config {
  std::vector<std::string> listen = {"127.0.0.1:50051"};  // host:port or unix:/path
  std::string http_listen = "127.0.0.1:9464";             // /healthz, /metrics; empty: off
  std::string docker_host;                                // empty: DOCKER_HOST or the default
  std::string state_dir = "/var/lib/vped";
  std::string specs_dir = "env_specs/examples";
  std::string executor_id;  // empty: derived from the host name
  int max_concurrent = 4;
  std::map<std::string, int> env_concurrency;  // per-environment slot limits
  int default_env_concurrency = 0;             // 0: only the global limit applies
  int queue_limit = 1000;
  std::chrono::milliseconds default_timeout{std::chrono::hours(1)};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(5)};
  // How often managed containers are reaped whose task is finished (or unknown to the store
  // for two intervals).
  std::chrono::milliseconds reap_interval{std::chrono::minutes(1)};
  int64_t log_cap_bytes = 16 << 20;            // per task, on disk (head and tail kept)
  int64_t result_cap_bytes = 1 << 20;          // result.json copied out of the container
  int64_t container_log_max_bytes = 10 << 20;  // json-file driver cap in the engine
  int64_t tmp_size_bytes = 64 << 20;           // tmpfs /tmp
  int64_t default_memory_bytes = 512LL << 20;
  double default_cpus = 1.0;
  int64_t default_pids = 256;
  std::string default_user = "65534:65534";
  std::string auth_token_file;  // when set, every RPC needs "authorization: Bearer <token>"
  Policy policy;
};

// Loads `path` (YAML) over `base`. Unknown keys are errors naming the file and key.
Result<Config> LoadConfigFile(const std::string& path, Config base);

// Parses "30s", "5m", "2h", "1500ms" or a bare number of seconds.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);
// Parses "512Mi", "1Gi", "64M", "1048576".
Result<int64_t> ParseSize(const std::string& text);

}  // namespace vpe::orch
