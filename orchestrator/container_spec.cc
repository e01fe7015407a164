#include "orchestrator/container_spec.h"

#include <cmath>

namespace vpe::orch {
namespace {

bool IsRootUser(const std::string& user) {
  std::string u = user.substr(0, user.find(':'));
  return u.empty() || u == "root" || u == "0";
}

}  // namespace

TaskResources EffectiveResources(const Task& task, const EnvRuntime& env, const Config& config) {
  TaskResources r;
  r.memory_bytes = task.resources.memory_bytes > 0 ? task.resources.memory_bytes
                   : env.memory_bytes > 0          ? env.memory_bytes
                                                   : config.default_memory_bytes;
  r.cpus = task.resources.cpus > 0 ? task.resources.cpus
           : env.cpus > 0          ? env.cpus
                                   : config.default_cpus;
  r.pids = task.resources.pids > 0 ? task.resources.pids
           : env.pids > 0          ? env.pids
                                   : config.default_pids;
  return r;
}

Status CheckPolicy(const Task& task, const EnvRuntime& env, const Config& config) {
  std::string network = env.network.empty() ? "none" : env.network;
  if (network == "host" || network.rfind("container:", 0) == 0) {
    return Error(ErrorCode::kPermissionDenied,
                 "environment " + env.name + ": network '" + network +
                     "' is never allowed (it reaches the host or another container)");
  }
  if (!config.policy.allowed_networks.count(network)) {
    return Error(ErrorCode::kPermissionDenied,
                 "environment " + env.name + ": network '" + network +
                     "' is not in the operator's policy.allowed_networks");
  }
  std::string user = env.user.empty() ? config.default_user : env.user;
  if (IsRootUser(user)) {
    return Error(ErrorCode::kPermissionDenied, "environment " + env.name + ": user '" + user +
                                                   "' is root; tasks run as non-root");
  }
  for (size_t i = 0; i < task.volumes.size(); ++i) {
    const VolumeMount& v = task.volumes[i];
    std::string field = "volumes[" + std::to_string(i) + "]";
    if (v.name.empty() || v.name.find('/') != std::string::npos || v.name[0] == '.') {
      return Error(ErrorCode::kInvalidArgument, field + ".name: expected a named volume, got '" +
                                                    v.name + "' (host paths are never mounted)");
    }
    if (!config.policy.allowed_volumes.count(v.name)) {
      return Error(
          ErrorCode::kPermissionDenied,
          field + ".name: volume '" + v.name + "' is not in the operator's policy.allowed_volumes");
    }
    if (v.target.empty() || v.target[0] != '/' || v.target == "/" ||
        v.target.rfind(kResultDir, 0) == 0 || v.target.find("..") != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument,
                   field + ".target: expected an absolute path other than / and /vpe/out, got '" +
                       v.target + "'");
    }
  }
  return OkStatus();
}

docker::ContainerSpec BuildContainerSpec(const Task& task, const EnvRuntime& env,
                                         const Config& config, const std::string& executor_id,
                                         const std::map<std::string, std::string>& secrets) {
  docker::ContainerSpec c;
  c.name = "vpe-" + task.id;
  c.image = env.image;
  c.cmd = task.command;
  c.user = env.user.empty() ? config.default_user : env.user;
  c.working_dir = env.workdir;
  c.labels = {{kLabelManaged, "true"},
              {kLabelExecutor, executor_id},
              {kLabelTask, task.id},
              {kLabelEnv, env.name}};
  for (const auto& [k, v] : task.env) c.env.push_back(k + "=" + v);
  for (const auto& [k, v] : secrets) c.env.push_back(k + "=" + v);
  c.env.push_back(std::string("VPE_RESULT=") + kResultPath);
  c.env.push_back("VPE_TASK_ID=" + task.id);
  // The result directory is an anonymous volume: readable through the archive API after exit
  // (a tmpfs is not) and writable under a read-only root filesystem.
  c.volumes = {kResultDir};

  TaskResources r = EffectiveResources(task, env, config);
  docker::HostConfig& h = c.host;
  h.memory_bytes = r.memory_bytes;
  h.memory_swap_bytes = r.memory_bytes;  // == Memory: no swap beyond the limit
  h.nano_cpus = static_cast<int64_t>(std::llround(r.cpus * 1e9));
  h.pids_limit = r.pids;
  h.cap_drop = {"ALL"};
  h.security_opt = {"no-new-privileges"};  // the engine's default seccomp profile stays on
  h.readonly_rootfs = true;
  h.tmpfs = {{"/tmp", "rw,nosuid,nodev,noexec,size=" + std::to_string(config.tmp_size_bytes)}};
  h.network_mode = env.network.empty() ? "none" : env.network;
  h.init = true;
  h.privileged = false;
  h.log_driver = "json-file";
  h.log_opts = {{"max-size", std::to_string(config.container_log_max_bytes)}, {"max-file", "1"}};
  for (const VolumeMount& v : task.volumes) {
    docker::Mount m;
    m.type = "volume";
    m.source = v.name;
    m.target = v.target;
    m.read_only = v.read_only;
    h.mounts.push_back(m);
  }
  return c;
}

}  // namespace vpe::orch
