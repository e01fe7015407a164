#include "tests/integration/docker_api/engine_fixture.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace vpe::docker::testing {

std::string EngineTest::DockerHost() {
  const char* host = std::getenv("DOCKER_HOST");
  return host == nullptr ? "" : host;
}

Result<std::unique_ptr<Client>> EngineTest::ConnectTo(const std::string& host) const {
  ConnectOptions options;
  options.host = host;
  options.timeout = std::chrono::seconds(30);
  return Client::Connect(options);
}

void EngineTest::SetUp() {
  static std::atomic<int> counter{0};
  run_id_ = std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
  const std::string host = DockerHost();
  ASSERT_FALSE(host.empty())
      << "DOCKER_HOST is not set: the docker_api integration tests need a running Docker engine "
         "(e.g. export DOCKER_HOST=unix:///var/lib/vpe-engine/docker.sock after starting the "
         "project's private engine)";
  auto client = ConnectTo(host);
  ASSERT_TRUE(client.ok()) << "no Docker engine answers at DOCKER_HOST=" << host << ": "
                           << client.error().ToString();
  engine_ = std::move(client).value();
  auto image = engine_->InspectImage(kImage);
  ASSERT_TRUE(image.ok()) << "base image " << kImage
                          << " is missing (no registry is reachable; bootstrap it first): "
                          << image.error().ToString();
}

void EngineTest::TearDown() {
  if (!engine_) return;
  auto containers = engine_->ListContainers(true, TestFilter());
  EXPECT_TRUE(containers.ok()) << containers.error().ToString();
  if (containers.ok()) {
    for (const ContainerSummary& c : *containers) {
      EXPECT_OK(engine_->RemoveContainer(c.id, /*force=*/true, /*volumes=*/true));
    }
  }
  auto images = engine_->ListImages(TestFilter());
  EXPECT_TRUE(images.ok()) << images.error().ToString();
  if (images.ok()) {
    for (const ImageSummary& i : *images) EXPECT_OK(engine_->RemoveImage(i.id, /*force=*/true));
  }
  for (const std::string& v : volumes_) EXPECT_OK(engine_->RemoveVolume(v, /*force=*/true));
}

Labels EngineTest::TestLabels() const {
  return {{kTestLabel, kTestLabelValue}, {kRunLabel, run_id_}};
}

Filters EngineTest::TestFilter() const {
  return {
      {"label",
       {std::string(kTestLabel) + "=" + kTestLabelValue, std::string(kRunLabel) + "=" + run_id_}}};
}

ContainerSpec EngineTest::Spec(std::vector<std::string> cmd) const {
  ContainerSpec spec;
  spec.image = kImage;
  spec.cmd = std::move(cmd);
  spec.labels = TestLabels();
  spec.host.network_mode = "none";
  return spec;
}

std::string EngineTest::UniqueName(const std::string& prefix) const {
  return prefix + "-" + run_id_;
}

Result<int64_t> EngineTest::RunToExit(const ContainerSpec& spec, std::string* id_out) {
  auto created = engine_->CreateContainer(spec);
  if (!created.ok()) return created.error();
  if (id_out != nullptr) *id_out = created->id;
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  if (!wait.ok()) return wait.error();
  Status started = engine_->StartContainer(created->id);
  if (!started.ok()) return started.error();
  auto result = (*wait)->Get();
  if (!result.ok()) return result.error();
  return result->status_code;
}

Status EngineTest::ReadLogs(const std::string& id, std::string* out, std::string* err) {
  LogOptions options;
  return engine_->Logs(id, options, [&](StreamKind kind, std::string_view data) {
    (kind == StreamKind::kStderr ? err : out)->append(data);
    return true;
  });
}

}  // namespace vpe::docker::testing
