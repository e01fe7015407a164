#include "orchestrator/container_spec.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vpe::orch {
namespace {

Task SampleTask() {
  Task t;
  t.id = "t-0123456789abcdef";
  t.environment = "ingestion";
  t.command = {"python3", "extract.py"};
  t.env = {{"MODE", "full"}};
  return t;
}

EnvRuntime SampleEnv() {
  EnvRuntime e;
  e.name = "ingestion";
  e.image = "vpe-env/ingestion:0123456789ab";
  e.user = "65534:65534";
  e.workdir = "/opt/pipeline";
  e.network = "none";
  e.memory_bytes = 512LL << 20;
  e.cpus = 1.5;
  e.pids = 128;
  return e;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(ContainerSpecTest, AppliesEveryHardeningDefault) {
  Config config;
  docker::ContainerSpec c = BuildContainerSpec(SampleTask(), SampleEnv(), config, "exec-1", {});
  const docker::HostConfig& h = c.host;
  EXPECT_EQ(h.cap_drop, std::vector<std::string>{"ALL"});
  EXPECT_TRUE(h.cap_add.empty());
  EXPECT_TRUE(Contains(h.security_opt, "no-new-privileges"));
  EXPECT_FALSE(Contains(h.security_opt, "seccomp=unconfined"));
  EXPECT_TRUE(h.readonly_rootfs);
  ASSERT_EQ(h.tmpfs.count("/tmp"), 1u);
  EXPECT_NE(h.tmpfs.at("/tmp").find("size="), std::string::npos);
  EXPECT_EQ(h.network_mode, "none");
  EXPECT_EQ(h.pids_limit, 128);
  EXPECT_EQ(h.memory_bytes, 512LL << 20);
  EXPECT_EQ(h.memory_swap_bytes, h.memory_bytes);
  EXPECT_EQ(h.nano_cpus, 1'500'000'000);
  EXPECT_TRUE(h.init);
  EXPECT_FALSE(h.privileged);
  EXPECT_EQ(h.log_driver, "json-file");
  EXPECT_EQ(h.log_opts.count("max-size"), 1u);
  EXPECT_EQ(c.user, "65534:65534");
  EXPECT_EQ(c.volumes, std::vector<std::string>{"/vpe/out"});
  for (const auto& m : h.mounts) EXPECT_NE(m.type, "bind");
}

TEST(ContainerSpecTest, LabelsNameTheExecutorTaskAndEnvironment) {
  Config config;
  docker::ContainerSpec c = BuildContainerSpec(SampleTask(), SampleEnv(), config, "exec-1", {});
  EXPECT_EQ(c.labels.at("io.vpe.managed"), "true");
  EXPECT_EQ(c.labels.at("io.vpe.executor"), "exec-1");
  EXPECT_EQ(c.labels.at("io.vpe.task"), "t-0123456789abcdef");
  EXPECT_EQ(c.labels.at("io.vpe.env"), "ingestion");
  EXPECT_EQ(c.name, "vpe-t-0123456789abcdef");
}

TEST(ContainerSpecTest, SecretsReachEnvAndResultPathIsSet) {
  Config config;
  docker::ContainerSpec c =
      BuildContainerSpec(SampleTask(), SampleEnv(), config, "exec-1", {{"TOKEN", "s3cr3t"}});
  EXPECT_TRUE(Contains(c.env, "TOKEN=s3cr3t"));
  EXPECT_TRUE(Contains(c.env, "MODE=full"));
  EXPECT_TRUE(Contains(c.env, "VPE_RESULT=/vpe/out/result.json"));
}

TEST(ContainerSpecTest, TaskOverridesBeatEnvironmentWhichBeatsDefaults) {
  Config config;
  Task t = SampleTask();
  EnvRuntime e = SampleEnv();
  t.resources.memory_bytes = 64 << 20;
  TaskResources r = EffectiveResources(t, e, config);
  EXPECT_EQ(r.memory_bytes, 64 << 20);
  EXPECT_EQ(r.cpus, 1.5);
  e.pids = 0;
  EXPECT_EQ(EffectiveResources(t, e, config).pids, config.default_pids);
}

TEST(ContainerSpecTest, EmptyNetworkMeansNone) {
  Config config;
  EnvRuntime e = SampleEnv();
  e.network.clear();
  EXPECT_EQ(BuildContainerSpec(SampleTask(), e, config, "x", {}).host.network_mode, "none");
}

TEST(PolicyTest, RefusesHostNetworkEvenWhenListed) {
  Config config;
  config.policy.allowed_networks.insert("host");
  EnvRuntime e = SampleEnv();
  e.network = "host";
  Status s = CheckPolicy(SampleTask(), e, config);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(s.error().message.find("never allowed"), std::string::npos);
}

TEST(PolicyTest, RefusesNetworkOutsidePolicy) {
  Config config;
  EnvRuntime e = SampleEnv();
  e.network = "bridge";
  Status s = CheckPolicy(SampleTask(), e, config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("policy.allowed_networks"), std::string::npos);
  config.policy.allowed_networks.insert("bridge");
  EXPECT_TRUE(CheckPolicy(SampleTask(), e, config).ok());
}

TEST(PolicyTest, RefusesRootUser) {
  Config config;
  for (const char* user : {"root", "0", "0:0", "root:root"}) {
    EnvRuntime e = SampleEnv();
    e.user = user;
    EXPECT_FALSE(CheckPolicy(SampleTask(), e, config).ok()) << user;
  }
}

TEST(PolicyTest, VolumesMustBeNamedAllowedAndAbsolute) {
  Config config;
  config.policy.allowed_volumes = {"data"};
  Task t = SampleTask();
  t.volumes = {{"/etc", "/host-etc", false}};
  Status s = CheckPolicy(t, SampleEnv(), config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("volumes[0].name"), std::string::npos);
  EXPECT_NE(s.error().message.find("host paths are never mounted"), std::string::npos);

  t.volumes = {{"other", "/data", false}};
  s = CheckPolicy(t, SampleEnv(), config);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);

  t.volumes = {{"data", "relative", false}};
  s = CheckPolicy(t, SampleEnv(), config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("volumes[0].target"), std::string::npos);

  t.volumes = {{"data", "/vpe/out", false}};
  EXPECT_FALSE(CheckPolicy(t, SampleEnv(), config).ok());

  t.volumes = {{"data", "/data", true}};
  EXPECT_TRUE(CheckPolicy(t, SampleEnv(), config).ok());
  docker::ContainerSpec c = BuildContainerSpec(t, SampleEnv(), config, "x", {});
  ASSERT_EQ(c.host.mounts.size(), 1u);
  EXPECT_EQ(c.host.mounts[0].type, "volume");
  EXPECT_EQ(c.host.mounts[0].source, "data");
  EXPECT_TRUE(c.host.mounts[0].read_only);
}

}  // namespace
}  // namespace vpe::orch
