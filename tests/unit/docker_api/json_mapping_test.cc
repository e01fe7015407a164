#include "docker_api/json_mapping.h"

#include <gtest/gtest.h>

namespace vpe::docker {
namespace {

using nlohmann::json;

TEST(ContainerCreateBodyTest, MapsHardenedTaskSpec) {
  ContainerSpec spec;
  spec.name = "task-1";
  spec.image = "vpe-env/ingestion:0123456789ab";
  spec.cmd = {"python3", "-m", "job"};
  spec.entrypoint = std::vector<std::string>{"/usr/bin/env"};
  spec.env = {"A=1", "PYTHONUNBUFFERED=1"};
  spec.working_dir = "/opt/pipeline";
  spec.user = "65534:65534";
  spec.labels = {{"io.vpe.managed", "true"}, {"io.vpe.task", "t1"}};
  spec.volumes = {"/vpe/out"};
  spec.stop_signal = "SIGTERM";
  spec.stop_timeout_seconds = 5;
  HostConfig& h = spec.host;
  h.memory_bytes = 512 << 20;
  h.memory_swap_bytes = 512 << 20;
  h.nano_cpus = 1000000000;
  h.pids_limit = 256;
  h.cap_drop = {"ALL"};
  h.cap_add = {"CHOWN"};
  h.security_opt = {"no-new-privileges"};
  h.readonly_rootfs = true;
  h.tmpfs = {{"/tmp", "rw,noexec,nosuid,size=64m"}};
  h.network_mode = "none";
  h.init = true;
  h.mounts = {Mount{"volume", "", "/data", true, 0, 0},
              Mount{"tmpfs", "", "/scratch", false, 1 << 20, 01777}};
  h.log_driver = "json-file";
  h.log_opts = {{"max-size", "10m"}};
  h.auto_remove = false;

  json body = ContainerCreateBody(spec);
  EXPECT_EQ(body["Image"], "vpe-env/ingestion:0123456789ab");
  EXPECT_EQ(body["Cmd"], json({"python3", "-m", "job"}));
  EXPECT_EQ(body["Entrypoint"], json({"/usr/bin/env"}));
  EXPECT_EQ(body["Env"], json({"A=1", "PYTHONUNBUFFERED=1"}));
  EXPECT_EQ(body["WorkingDir"], "/opt/pipeline");
  EXPECT_EQ(body["User"], "65534:65534");
  EXPECT_EQ(body["Labels"]["io.vpe.task"], "t1");
  EXPECT_EQ(body["Volumes"], json::parse(R"({"/vpe/out":{}})"));
  EXPECT_EQ(body["StopSignal"], "SIGTERM");
  EXPECT_EQ(body["StopTimeout"], 5);
  EXPECT_FALSE(body.contains("Name"));  // the name travels in the query
  EXPECT_FALSE(body.contains("Tty"));

  const json& hc = body["HostConfig"];
  EXPECT_EQ(hc["Memory"], 512 << 20);
  EXPECT_EQ(hc["MemorySwap"], 512 << 20);
  EXPECT_EQ(hc["NanoCpus"], 1000000000);
  EXPECT_EQ(hc["PidsLimit"], 256);
  EXPECT_EQ(hc["CapDrop"], json({"ALL"}));
  EXPECT_EQ(hc["CapAdd"], json({"CHOWN"}));
  EXPECT_EQ(hc["SecurityOpt"], json({"no-new-privileges"}));
  EXPECT_EQ(hc["ReadonlyRootfs"], true);
  EXPECT_EQ(hc["Tmpfs"]["/tmp"], "rw,noexec,nosuid,size=64m");
  EXPECT_EQ(hc["NetworkMode"], "none");
  EXPECT_EQ(hc["Init"], true);
  EXPECT_FALSE(hc.contains("Privileged"));
  EXPECT_FALSE(hc.contains("AutoRemove"));
  ASSERT_EQ(hc["Mounts"].size(), 2u);
  EXPECT_EQ(hc["Mounts"][0], json::parse(R"({"Type":"volume","Target":"/data","ReadOnly":true})"));
  EXPECT_EQ(hc["Mounts"][1], json::parse(
                                 R"({"Type":"tmpfs","Target":"/scratch",
          "TmpfsOptions":{"SizeBytes":1048576,"Mode":1023}})"));
  EXPECT_EQ(hc["LogConfig"], json::parse(R"({"Type":"json-file","Config":{"max-size":"10m"}})"));
}

TEST(ContainerCreateBodyTest, MinimalSpecLeavesDefaultsToTheEngine) {
  ContainerSpec spec;
  spec.image = "vpe/debian:bookworm";
  spec.tty = true;
  spec.host.privileged = true;
  spec.host.auto_remove = true;
  json body = ContainerCreateBody(spec);
  EXPECT_FALSE(body.contains("Cmd"));
  EXPECT_FALSE(body.contains("Entrypoint"));
  EXPECT_FALSE(body.contains("StopTimeout"));
  EXPECT_EQ(body["Tty"], true);
  EXPECT_TRUE(body["Labels"].is_object());
  EXPECT_EQ(body["HostConfig"], json::parse(R"({"Privileged":true,"AutoRemove":true})"));
}

TEST(ContainerCreateBodyTest, EmptyEntrypointIsSentToClearTheImageEntrypoint) {
  ContainerSpec spec;
  spec.image = "x";
  spec.entrypoint = std::vector<std::string>{};
  EXPECT_EQ(ContainerCreateBody(spec)["Entrypoint"], json::array());
}

TEST(ParseCreateResultTest, ReadsIdAndWarnings) {
  auto r = ParseCreateResult(json::parse(
      R"({"Id":"abc","Warnings":["Your kernel does not support swap limit capabilities"]})"));
  EXPECT_EQ(r.id, "abc");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(ParseCreateResult(json::parse(R"({"Id":"abc","Warnings":null})")).warnings.empty());
  EXPECT_TRUE(ParseCreateResult(json::parse(R"({"Id":"abc","Warnings":[]})")).warnings.empty());
}

// Recorded from dockerd 20.10 (fields trimmed to those mapped).
constexpr char kInspect[] = R"({
  "Id": "b40142620fb1142b33b5329e07d2adea8b15595fd94e410e0a1e5e9718529959",
  "Created": "2026-12-04T20:16:39.443656018Z", "Name": "/vpe-rec",
  "Image": "sha256:9e36dbc4e8320dfbb29c219cb83cbe6e7e3a0d4424e18fcc10ac3689afd613fa",
  "State": {"Status": "exited", "Running": false, "Paused": false, "Restarting": false,
            "OOMKilled": true, "Dead": false, "Pid": 0, "ExitCode": 137, "Error": "",
            "StartedAt": "2026-12-04T20:16:40.20223125Z",
            "FinishedAt": "2026-12-04T20:16:40.209749176Z"},
  "Config": {"Labels": {"io.vpe.test": "docker_api"}, "Image": "vpe/debian:bookworm"},
  "HostConfig": {"Memory": 33554432, "MemorySwap": 33554432}
})";

TEST(ParseContainerInfoTest, ReadsStateAndLabels) {
  ContainerInfo info = ParseContainerInfo(json::parse(kInspect));
  EXPECT_EQ(info.id, "b40142620fb1142b33b5329e07d2adea8b15595fd94e410e0a1e5e9718529959");
  EXPECT_EQ(info.name, "vpe-rec");
  EXPECT_EQ(info.image.rfind("sha256:", 0), 0u);
  EXPECT_EQ(info.state.status, "exited");
  EXPECT_FALSE(info.state.running);
  EXPECT_TRUE(info.state.oom_killed);
  EXPECT_EQ(info.state.exit_code, 137);
  EXPECT_EQ(info.state.started_at, "2026-12-04T20:16:40.20223125Z");
  EXPECT_EQ(info.state.finished_at, "2026-12-04T20:16:40.209749176Z");
  EXPECT_EQ(info.labels.at("io.vpe.test"), "docker_api");
  EXPECT_EQ(info.raw["HostConfig"]["Memory"], 33554432);
}

TEST(ParseContainerInfoTest, ToleratesNullsAndMissingFields) {
  ContainerInfo info =
      ParseContainerInfo(json::parse(R"({"Id":"x","State":null,"Config":{"Labels":null}})"));
  EXPECT_EQ(info.id, "x");
  EXPECT_EQ(info.state.exit_code, 0);
  EXPECT_TRUE(info.labels.empty());
  EXPECT_EQ(ParseContainerInfo(json::array()).id, "");
}

TEST(ParseContainerSummaryTest, StripsNameSlashes) {
  auto s = ParseContainerSummary(json::parse(
      R"({"Id":"i","Names":["/a","/b"],"Image":"img","State":"running","Status":"Up 2 seconds",
          "Labels":{"k":"v"},"Created":1700000000})"));
  EXPECT_EQ(s.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.labels.at("k"), "v");
  EXPECT_EQ(s.created, 1700000000);
}

TEST(ParseWaitResultTest, ReadsStatusAndError) {
  auto ok = ParseWaitResult(json::parse(R"({"Error":null,"StatusCode":3})"));
  EXPECT_EQ(ok.status_code, 3);
  EXPECT_EQ(ok.error, "");
  auto bad = ParseWaitResult(json::parse(R"({"Error":{"Message":"oops"},"StatusCode":-1})"));
  EXPECT_EQ(bad.status_code, -1);
  EXPECT_EQ(bad.error, "oops");
  EXPECT_STREQ(WaitConditionName(WaitCondition::kNextExit), "next-exit");
  EXPECT_STREQ(WaitConditionName(WaitCondition::kNotRunning), "not-running");
  EXPECT_STREQ(WaitConditionName(WaitCondition::kRemoved), "removed");
}

TEST(ParseBuildProgressTest, ReadsStreamAuxAndErrors) {
  auto step = ParseBuildProgress(json::parse(R"({"stream":"Step 2/3 : RUN false\n"})"));
  EXPECT_EQ(step.stream, "Step 2/3 : RUN false\n");
  EXPECT_TRUE(step.error.empty());
  auto aux = ParseBuildProgress(json::parse(R"({"aux":{"ID":"sha256:abc"}})"));
  EXPECT_EQ(aux.aux_id, "sha256:abc");
  auto err = ParseBuildProgress(json::parse(
      R"({"errorDetail":{"code":1,
          "message":"The command '/bin/sh -c false' returned a non-zero code: 1"},
          "error":"The command '/bin/sh -c false' returned a non-zero code: 1"})"));
  EXPECT_EQ(err.error, "The command '/bin/sh -c false' returned a non-zero code: 1");
  auto detail_only = ParseBuildProgress(json::parse(R"({"errorDetail":{"message":"m"}})"));
  EXPECT_EQ(detail_only.error, "m");
  auto status = ParseBuildProgress(json::parse(R"({"status":"Downloading","id":"x"})"));
  EXPECT_EQ(status.status, "Downloading");
}

TEST(ParseEventTest, ReadsContainerEvent) {
  auto e = ParseEvent(json::parse(
      R"({"status":"die","id":"cid","from":"img","Type":"container","Action":"die",
          "Actor":{"ID":"cid","Attributes":{"exitCode":"0","io.vpe.test":"docker_api"}},
          "scope":"local","time":1700000000,"timeNano":1700000000123456789})"));
  EXPECT_EQ(e.type, "container");
  EXPECT_EQ(e.action, "die");
  EXPECT_EQ(e.id, "cid");
  EXPECT_EQ(e.attributes.at("exitCode"), "0");
  EXPECT_EQ(e.time_nano, 1700000000123456789);
}

TEST(ParseVersionTest, ReadsApiVersions) {
  auto v = ParseVersion(json::parse(
      R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux",
          "Arch":"amd64"})"));
  EXPECT_EQ(v.version, "20.10.24+dfsg1");
  EXPECT_EQ(v.api_version, "1.41");
  EXPECT_EQ(v.min_api_version, "1.12");
  EXPECT_EQ(v.os, "linux");
}

TEST(ParseImageTest, ReadsInspectAndSummary) {
  auto i = ParseImageInfo(json::parse(
      R"({"Id":"sha256:1","RepoTags":["vpe/debian:bookworm"],"Config":{"Labels":{"a":"b"}},
          "Created":"2024-01-01T00:00:00Z","Size":207000000})"));
  EXPECT_EQ(i.repo_tags, (std::vector<std::string>{"vpe/debian:bookworm"}));
  EXPECT_EQ(i.labels.at("a"), "b");
  EXPECT_EQ(i.size, 207000000);
  auto s = ParseImageSummary(
      json::parse(R"({"Id":"sha256:1","RepoTags":null,"Labels":null,"Created":5,"Size":6})"));
  EXPECT_TRUE(s.repo_tags.empty());
  EXPECT_EQ(s.created, 5);
}

TEST(EncodeFiltersTest, EncodesAsMapOfSets) {
  EXPECT_EQ(EncodeFilters({}), "{}");
  Filters f = {{"label", {"io.vpe.managed=true", "io.vpe.executor=e1"}}, {"status", {"exited"}}};
  EXPECT_EQ(json::parse(EncodeFilters(f)),
            json::parse(R"({"label":{"io.vpe.managed=true":true,"io.vpe.executor=e1":true},
                             "status":{"exited":true}})"));
  EXPECT_EQ(EncodeStringMap({{"k", "v \"q\""}}), R"({"k":"v \"q\""})");
}

}  // namespace
}  // namespace vpe::docker
