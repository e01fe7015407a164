#include "orchestrator/config.h"

#include <yaml-cpp/yaml.h>

#include "env_specs/units.h"

namespace vpe::orch {
namespace {

Error ConfigError(const std::string& path, const YAML::Node& node, const std::string& key,
                  const std::string& what) {
  std::string where = path;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where +=
        ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  }
  return Error(ErrorCode::kInvalidArgument, where + ": " + key + ": " + what);
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto d = envspec::ParseDuration(text);
  if (!d) {
    return Error(ErrorCode::kInvalidArgument,
                 "expected a duration like 30s, 5m or 2h, got '" + text + "'");
  }
  return *d;
}

Result<int64_t> ParseSize(const std::string& text) {
  auto s = envspec::ParseSize(text);
  if (!s)
    return Error(ErrorCode::kInvalidArgument, "expected a size like 512Mi, got '" + text + "'");
  return *s;
}

Result<Config> LoadConfigFile(const std::string& path, Config c) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Error(ErrorCode::kInvalidArgument, path + ": cannot read the config file");
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return c;
  if (!root.IsMap()) return ConfigError(path, root, "(top level)", "expected a mapping");
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      auto str = [&]() { return v.as<std::string>(); };
      if (key == "listen") {
        c.listen.clear();
        if (v.IsSequence()) {
          for (const auto& x : v) c.listen.push_back(x.as<std::string>());
        } else {
          c.listen.push_back(str());
        }
      } else if (key == "http_listen") {
        c.http_listen = str();
      } else if (key == "docker_host") {
        c.docker_host = str();
      } else if (key == "state_dir") {
        c.state_dir = str();
      } else if (key == "specs_dir") {
        c.specs_dir = str();
      } else if (key == "executor_id") {
        c.executor_id = str();
      } else if (key == "max_concurrent") {
        c.max_concurrent = v.as<int>();
        if (c.max_concurrent < 1) return ConfigError(path, v, key, "expected a number >= 1");
      } else if (key == "env_concurrency") {
        for (const auto& e : v) c.env_concurrency[e.first.as<std::string>()] = e.second.as<int>();
      } else if (key == "default_env_concurrency") {
        c.default_env_concurrency = v.as<int>();
      } else if (key == "queue_limit") {
        c.queue_limit = v.as<int>();
        if (c.queue_limit < 1) return ConfigError(path, v, key, "expected a number >= 1");
      } else if (key == "default_timeout" || key == "stop_grace" || key == "reap_interval") {
        auto d = ParseDuration(str());
        if (!d.ok()) return ConfigError(path, v, key, d.error().message);
        (key == "default_timeout" ? c.default_timeout
         : key == "stop_grace"    ? c.stop_grace
                                  : c.reap_interval) = *d;
      } else if (key == "log_cap" || key == "result_cap" || key == "container_log_max" ||
                 key == "tmp_size" || key == "default_memory") {
        auto s = ParseSize(str());
        if (!s.ok()) return ConfigError(path, v, key, s.error().message);
        if (key == "log_cap")
          c.log_cap_bytes = *s;
        else if (key == "result_cap")
          c.result_cap_bytes = *s;
        else if (key == "container_log_max")
          c.container_log_max_bytes = *s;
        else if (key == "tmp_size")
          c.tmp_size_bytes = *s;
        else
          c.default_memory_bytes = *s;
      } else if (key == "default_cpus") {
        c.default_cpus = v.as<double>();
      } else if (key == "default_pids") {
        c.default_pids = v.as<int64_t>();
      } else if (key == "default_user") {
        c.default_user = str();
      } else if (key == "auth_token_file") {
        c.auth_token_file = str();
      } else if (key == "policy") {
        for (const auto& p : v) {
          const std::string pk = p.first.as<std::string>();
          if (pk == "allowed_networks") {
            c.policy.allowed_networks.clear();
            for (const auto& x : p.second) c.policy.allowed_networks.insert(x.as<std::string>());
          } else if (pk == "allowed_volumes") {
            for (const auto& x : p.second) c.policy.allowed_volumes.insert(x.as<std::string>());
          } else if (pk == "allow_unbuilt_images") {
            c.policy.allow_unbuilt_images = p.second.as<bool>();
          } else {
            return ConfigError(path, p.first, "policy." + pk,
                               "unknown key (expected allowed_networks, allowed_volumes, "
                               "allow_unbuilt_images)");
          }
        }
      } else {
        return ConfigError(path, kv.first, key, "unknown key");
      }
    }
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) +
                                                  ": wrong type: " + e.msg);
  }
  return c;
}

}  // namespace vpe::orch
