// Containers: create, wait, start, stop, kill, remove, inspect, list; API negotiation; errors.
#include <chrono>
#include <set>

#include "docker_api/api_version.h"
#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

using std::chrono::steady_clock;

class ContainerLifecycleTest : public EngineTest {};

TEST_F(ContainerLifecycleTest, ConnectNegotiatesApiVersion) {
  EXPECT_OK(engine_->Ping());
  auto v = engine_->Version();
  ASSERT_OK(v);
  EXPECT_GE(CompareApiVersions(engine_->api_version(), kMinApiVersion), 0);
  EXPECT_LE(CompareApiVersions(engine_->api_version(), kMaxApiVersion), 0);
  EXPECT_EQ(engine_->api_version(), NegotiateApiVersion(v->api_version, v->version).value());
  EXPECT_FALSE(v->version.empty());
  EXPECT_FALSE(v->api_version.empty());
  EXPECT_EQ(engine_->engine_version().api_version, v->api_version);
}

TEST_F(ContainerLifecycleTest, ConnectToMissingSocketIsUnavailable) {
  auto c = ConnectTo("unix:///tmp/vpe-no-such-dir/docker.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable) << c.error().ToString();
  EXPECT_NE(c.error().message.find("/tmp/vpe-no-such-dir/docker.sock"), std::string::npos);
}

TEST_F(ContainerLifecycleTest, RunsToCompletionAndReadsExitCode) {
  ContainerSpec spec = Shell("echo hello; exit 3");
  spec.name = UniqueName("vpe-test-exit");
  std::string id;
  auto code = RunToExit(spec, &id);
  ASSERT_OK(code);
  EXPECT_EQ(*code, 3);
  auto info = engine_->InspectContainer(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->name, spec.name);
  EXPECT_EQ(info->state.status, "exited");
  EXPECT_FALSE(info->state.running);
  EXPECT_FALSE(info->state.oom_killed);
  EXPECT_EQ(info->state.exit_code, 3);
  EXPECT_NE(info->state.started_at.rfind("0001-", 0), 0u) << info->state.started_at;
  EXPECT_NE(info->state.finished_at.rfind("0001-", 0), 0u) << info->state.finished_at;
  // Same second at least: for a fast exit the engine may stamp FinishedAt a little before
  // StartedAt (seen: 1 ms), so the order of the sub-second digits is not a fact to rely on.
  EXPECT_GE(info->state.finished_at.substr(0, 19), info->state.started_at.substr(0, 19));
  EXPECT_EQ(info->labels.at(kTestLabel), kTestLabelValue);
  std::string out, err;
  ASSERT_OK(ReadLogs(id, &out, &err));
  EXPECT_EQ(out, "hello\n");
}

TEST_F(ContainerLifecycleTest, WaitRegisteredBeforeStartCatchesFastExit) {
  for (int i = 0; i < 5; ++i) {
    auto created = engine_->CreateContainer(Spec({"true"}));
    ASSERT_OK(created);
    auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
    ASSERT_OK(wait);
    ASSERT_OK(engine_->StartContainer(created->id));
    auto result = (*wait)->Get();
    ASSERT_OK(result);
    EXPECT_EQ(result->status_code, 0);
    EXPECT_EQ(result->error, "");
  }
}

TEST_F(ContainerLifecycleTest, WaitOnMissingContainerIsNotFound) {
  auto wait = engine_->Wait("vpe-no-such-container-" + run_id_, WaitCondition::kNotRunning);
  ASSERT_FALSE(wait.ok());
  EXPECT_EQ(wait.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(wait.error().http_status, 404);
}

TEST_F(ContainerLifecycleTest, CancelledWaitReturnsCancelled) {
  auto created = engine_->CreateContainer(Spec({"sleep", "300"}));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  (*wait)->Cancel();
  auto result = (*wait)->Get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled) << result.error().ToString();
}

TEST_F(ContainerLifecycleTest, KillsRunningContainer) {
  auto created = engine_->CreateContainer(Spec({"sleep", "300"}));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  ASSERT_OK(engine_->StartContainer(created->id));  // already running: 304 is fine
  ASSERT_OK(engine_->KillContainer(created->id, "SIGKILL"));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 137);
  // Killing a stopped container is an engine error, not a transport one.
  Status again = engine_->KillContainer(created->id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kEngine);
  EXPECT_EQ(again.error().http_status, 409);
}

TEST_F(ContainerLifecycleTest, KillDeliversChosenSignal) {
  auto created = engine_->CreateContainer(
      Shell("trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  // Wait until the trap is installed (the shell printed "ready").
  LogOptions follow;
  follow.follow = true;
  ASSERT_OK(engine_->Logs(created->id, follow, [](StreamKind, std::string_view data) {
    return data.find("ready") == std::string_view::npos;
  }));
  ASSERT_OK(engine_->KillContainer(created->id, "SIGUSR1"));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 42);
}

TEST_F(ContainerLifecycleTest, StopsWithGracePeriodThenKills) {
  // sleep as PID 1 ignores SIGTERM, so stop must escalate to SIGKILL after the grace period.
  auto created = engine_->CreateContainer(Spec({"sleep", "300"}));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  auto start = steady_clock::now();
  ASSERT_OK(engine_->StopContainer(created->id, 1));
  auto elapsed = steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 137);
  ASSERT_OK(engine_->StopContainer(created->id, 1));  // already stopped: 304 is fine
}

TEST_F(ContainerLifecycleTest, StopsGracefullyWhenTheProcessHandlesSigterm) {
  auto created =
      engine_->CreateContainer(Shell("trap 'exit 0' TERM; while true; do sleep 0.1; done"));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  ASSERT_OK(engine_->StopContainer(created->id, 30));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 0);
}

TEST_F(ContainerLifecycleTest, RemoveIsIdempotentAndMissingIsSuccess) {
  auto created = engine_->CreateContainer(Spec({"sleep", "300"}));
  ASSERT_OK(created);
  ASSERT_OK(engine_->StartContainer(created->id));
  ASSERT_OK(engine_->RemoveContainer(created->id, /*force=*/true, /*volumes=*/true));
  ASSERT_OK(engine_->RemoveContainer(created->id));
  ASSERT_OK(engine_->RemoveContainer("vpe-no-such-container-" + run_id_));
  auto gone = engine_->InspectContainer(created->id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(gone.error().http_status, 404);
  EXPECT_NE(gone.error().message.find("No such container"), std::string::npos)
      << gone.error().message;
}

TEST_F(ContainerLifecycleTest, RemovingRunningContainerWithoutForceIsEngineError) {
  auto created = engine_->CreateContainer(Spec({"sleep", "300"}));
  ASSERT_OK(created);
  ASSERT_OK(engine_->StartContainer(created->id));
  Status st = engine_->RemoveContainer(created->id, /*force=*/false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kEngine);
  EXPECT_EQ(st.error().http_status, 409);
}

TEST_F(ContainerLifecycleTest, CreateWithTakenNameIsAlreadyExists) {
  ContainerSpec spec = Spec({"true"});
  spec.name = UniqueName("vpe-test-dup");
  ASSERT_OK(engine_->CreateContainer(spec));
  auto second = engine_->CreateContainer(spec);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(second.error().http_status, 409);
  EXPECT_NE(second.error().message.find(spec.name), std::string::npos);
}

TEST_F(ContainerLifecycleTest, CreateFromMissingImageIsNotFound) {
  ContainerSpec spec = Spec({"true"});
  spec.image = "vpe-test/no-such-image:" + run_id_;
  auto created = engine_->CreateContainer(spec);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kNotFound);
}

TEST_F(ContainerLifecycleTest, ListsContainersByLabel) {
  std::set<std::string> mine;
  for (int i = 0; i < 3; ++i) {
    ContainerSpec spec = Spec({"true"});
    spec.labels["io.vpe.test.pick"] = i < 2 ? "yes" : "no";
    auto created = engine_->CreateContainer(spec);
    ASSERT_OK(created);
    if (i < 2) mine.insert(created->id);
  }
  Filters filters = TestFilter();
  filters["label"].push_back("io.vpe.test.pick=yes");
  auto all = engine_->ListContainers(/*all=*/true, filters);
  ASSERT_OK(all);
  std::set<std::string> got;
  for (const ContainerSummary& c : *all) {
    got.insert(c.id);
    EXPECT_EQ(c.labels.at("io.vpe.test.pick"), "yes");
    EXPECT_EQ(c.state, "created");
  }
  EXPECT_EQ(got, mine);
  auto running = engine_->ListContainers(/*all=*/false, filters);
  ASSERT_OK(running);
  EXPECT_TRUE(running->empty());
}

TEST_F(ContainerLifecycleTest, MemoryLimitedContainerReportsOomKilled) {
  ContainerSpec spec = Spec({"python3", "-c", "s = 'x' * (512 << 20); print(len(s))"});
  spec.host.memory_bytes = 32 << 20;
  spec.host.memory_swap_bytes = 32 << 20;
  auto created = engine_->CreateContainer(spec);
  ASSERT_OK(created);
  EXPECT_TRUE(created->warnings.empty()) << created->warnings.front();
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 137);
  auto info = engine_->InspectContainer(created->id);
  ASSERT_OK(info);
  EXPECT_TRUE(info->state.oom_killed);
  EXPECT_EQ(info->state.exit_code, 137);
  EXPECT_EQ(info->raw["HostConfig"]["Memory"], 32 << 20);
  EXPECT_EQ(info->raw["HostConfig"]["MemorySwap"], 32 << 20);
}

TEST_F(ContainerLifecycleTest, CreatesAndRemovesVolumes) {
  const std::string name = UniqueName("vpe-test-vol");
  TrackVolume(name);
  ASSERT_OK(engine_->CreateVolume(name, TestLabels()));
  ContainerSpec spec = Shell("echo kept > /data/f");
  spec.host.mounts = {Mount{"volume", name, "/data", false, 0, 0}};
  auto code = RunToExit(spec);
  ASSERT_OK(code);
  EXPECT_EQ(*code, 0);
  ContainerSpec reader = Shell("cat /data/f");
  reader.host.mounts = {Mount{"volume", name, "/data", true, 0, 0}};
  std::string id;
  ASSERT_OK(RunToExit(reader, &id));
  std::string out, err;
  ASSERT_OK(ReadLogs(id, &out, &err));
  EXPECT_EQ(out, "kept\n");
  // In use by the (stopped) containers: removal refused until they are gone.
  ASSERT_FALSE(engine_->RemoveVolume(name).ok());
  auto list = engine_->ListContainers(true, TestFilter());
  ASSERT_OK(list);
  for (const ContainerSummary& c : *list) ASSERT_OK(engine_->RemoveContainer(c.id));
  ASSERT_OK(engine_->RemoveVolume(name));
  Status missing = engine_->RemoveVolume(name);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ContainerLifecycleTest, TagsInspectsAndUntagsImages) {
  const std::string repo = "vpe-test/tagged";
  const std::string tag = run_id_;
  ASSERT_OK(engine_->TagImage(kImage, repo, tag));
  auto base = engine_->InspectImage(kImage);
  ASSERT_OK(base);
  auto tagged = engine_->InspectImage(repo + ":" + tag);
  ASSERT_OK(tagged);
  EXPECT_EQ(tagged->id, base->id);
  Filters by_ref = {{"reference", {repo + ":" + tag}}};
  auto listed = engine_->ListImages(by_ref);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, base->id);
  ASSERT_OK(engine_->RemoveImage(repo + ":" + tag));  // untags only; the base image stays
  EXPECT_OK(engine_->InspectImage(kImage));
  auto gone = engine_->InspectImage(repo + ":" + tag);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace vpe::docker::testing
