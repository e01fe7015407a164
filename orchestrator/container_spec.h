#pragma once
// Turns a task into the hardened container create request of DESIGN.md section 5. Pure: no I/O,
// so every default is unit-tested.

#include <map>
#include <string>

#include "docker_api/engine.h"
#include "orchestrator/config.h"
#include "orchestrator/task.h"

namespace vpe::orch {

inline constexpr char kLabelManaged[] = "io.vpe.managed";
inline constexpr char kLabelExecutor[] = "io.vpe.executor";
inline constexpr char kLabelTask[] = "io.vpe.task";
inline constexpr char kLabelEnv[] = "io.vpe.env";
inline constexpr char kResultDir[] = "/vpe/out";
inline constexpr char kResultPath[] = "/vpe/out/result.json";

// What a task's environment contributes, resolved from its spec and the task's overrides.
struct EnvRuntime {
  std::string name;
  std::string image;
  std::string user;     // empty: Config::default_user
  std::string workdir;  // empty: the image's
  std::string network;  // empty: none
  int64_t memory_bytes = 0;
  double cpus = 0;
  int64_t pids = 0;
};

// Limits after applying task overrides over the environment over vped's defaults.
TaskResources EffectiveResources(const Task& task, const EnvRuntime& env, const Config& config);

// Checks what a request may not do under `policy`: a network outside the allowed set, a volume
// name not allowed, a volume target that is not absolute or shadows /vpe/out, a root user.
// Errors name the field.
Status CheckPolicy(const Task& task, const EnvRuntime& env, const Config& config);

// Builds the create request. `secrets` are added to Env and never stored anywhere else.
docker::ContainerSpec BuildContainerSpec(const Task& task, const EnvRuntime& env,
                                         const Config& config, const std::string& executor_id,
                                         const std::map<std::string, std::string>& secrets);

}  // namespace vpe::orch
