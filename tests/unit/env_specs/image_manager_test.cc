#include "orchestrator/image_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "env_specs/spec.h"
#include "tests/unit/env_specs/fake_engine.h"

namespace vpe::orch {
namespace {

using testing::FakeEngine;

envspec::Spec MakeSpec(const std::string& name = "ingestion", const std::string& extra = "") {
  Result<envspec::Spec> spec =
      envspec::ParseSpec("name: " + name + "\napt: [python3]\n" + extra, name + ".yml", ".");
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return spec.value();
}

docker::Labels LabelsOf(const envspec::Spec& spec) {
  return {{"io.vpe.managed", "true"}, {"io.vpe.env", spec.name}, {"io.vpe.spec-hash", spec.hash}};
}

void WaitUntil(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(cond()) << "condition not reached within 10 s";
}

TEST(ImageManagerTest, BuildsAMissingImageWithTagAndLabels) {
  FakeEngine engine;
  ImageManager manager(engine);
  envspec::Spec spec = MakeSpec();
  Result<EnsureResult> r = manager.Ensure(spec);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->built);
  EXPECT_FALSE(r->shared);
  EXPECT_EQ(r->image, envspec::ImageTag(spec));
  EXPECT_EQ(r->image_id, "sha256:built1");
  EXPECT_EQ(engine.inspects, 1);
  EXPECT_EQ(engine.builds, 1);
  EXPECT_EQ(engine.last_build.tags, std::vector<std::string>{envspec::ImageTag(spec)});
  EXPECT_FALSE(engine.last_build.pull);
  EXPECT_EQ(engine.last_build.labels.at("io.vpe.managed"), "true");
  EXPECT_EQ(engine.last_build.labels.at("io.vpe.env"), "ingestion");
  EXPECT_EQ(engine.last_build.labels.at("io.vpe.spec-hash"), spec.hash);
  EXPECT_EQ(engine.last_build.labels.at("io.vpe.builder-version"), envspec::kBuilderVersion);
  EXPECT_EQ(engine.last_build.labels.at("io.vpe.spec"), envspec::NormalizedSpecText(spec));
}

TEST(ImageManagerTest, PresentImageCostsOneInspectAndNoBuild) {
  FakeEngine engine;
  ImageManager manager(engine);
  envspec::Spec spec = MakeSpec();
  ASSERT_TRUE(manager.Ensure(spec).ok());
  engine.inspects = 0;
  Result<EnsureResult> r = manager.Ensure(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->built);
  EXPECT_EQ(r->image_id, "sha256:built1");
  EXPECT_EQ(engine.inspects, 1);
  EXPECT_EQ(engine.builds, 1);
  EXPECT_EQ(manager.builds_started(), 1);
}

TEST(ImageManagerTest, ForceBuildsEvenWhenPresent) {
  FakeEngine engine;
  ImageManager manager(engine);
  envspec::Spec spec = MakeSpec();
  ASSERT_TRUE(manager.Ensure(spec).ok());
  Result<EnsureResult> r = manager.Ensure(spec, nullptr, /*force=*/true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->built);
  EXPECT_EQ(engine.builds, 2);
}

TEST(ImageManagerTest, RebuildsWhenTheTagHoldsAnImageWithOtherInputs) {
  FakeEngine engine;
  envspec::Spec spec = MakeSpec();
  engine.AddImage(envspec::ImageTag(spec), {{"io.vpe.spec-hash", "something-else"}}, 1, "sha256:x");
  ImageManager manager(engine);
  Result<EnsureResult> r = manager.Ensure(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->built);
}

TEST(ImageManagerTest, EightConcurrentEnsuresShareOneBuild) {
  FakeEngine engine;
  engine.HoldBuilds();
  ImageManager manager(engine);
  envspec::Spec spec = MakeSpec();
  const std::string tag = envspec::ImageTag(spec);
  std::vector<std::optional<Result<EnsureResult>>> results(8);
  std::vector<int> steps_seen(8, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = manager.Ensure(spec, [&, i](const BuildEvent& e) {
        if (e.kind == BuildEvent::Kind::kStep) ++steps_seen[i];
      });
    });
  }
  WaitUntil([&] { return manager.callers(tag) == 8; });
  engine.OpenGate();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(engine.builds, 1);
  EXPECT_EQ(engine.inspects, 1);
  int shared = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(results[i].has_value() && results[i]->ok());
    EXPECT_EQ((*results[i])->image, tag);
    EXPECT_EQ((*results[i])->image_id, "sha256:built1");
    EXPECT_TRUE((*results[i])->built);
    shared += (*results[i])->shared ? 1 : 0;
    EXPECT_EQ(steps_seen[i], 3) << "every waiter sees the build's progress";
  }
  EXPECT_EQ(shared, 7);
  EXPECT_EQ(manager.callers(tag), 0u);
}

TEST(ImageManagerTest, DifferentEnvironmentsBuildIndependently) {
  FakeEngine engine;
  ImageManager manager(engine);
  envspec::Spec a = MakeSpec("alpha");
  envspec::Spec b = MakeSpec("beta");
  std::thread ta([&] { EXPECT_TRUE(manager.Ensure(a).ok()); });
  std::thread tb([&] { EXPECT_TRUE(manager.Ensure(b).ok()); });
  ta.join();
  tb.join();
  EXPECT_EQ(engine.builds, 2);
}

TEST(ImageManagerTest, FailedBuildReachesEveryWaiterWithStepAndOutput) {
  FakeEngine engine;
  engine.HoldBuilds();
  engine.FailBuilds("The command '/bin/sh -c apt-get update' returned a non-zero code: 100",
                    {"E: Unable to locate package python3-nope"});
  ImageManager manager(engine);
  envspec::Spec spec = MakeSpec();
  const std::string tag = envspec::ImageTag(spec);
  std::vector<std::optional<Result<EnsureResult>>> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[i] = manager.Ensure(spec); });
  }
  WaitUntil([&] { return manager.callers(tag) == 4; });
  engine.OpenGate();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(engine.builds, 1);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().message,
              "building environment ingestion (" + tag +
                  "): build failed at Step 2/3 : RUN apt-get update: The command '/bin/sh -c "
                  "apt-get update' returned a non-zero code: 100\nlast output:\n"
                  "  E: Unable to locate package python3-nope");
  }
  // The failure is not remembered: the next Ensure tries again.
  engine.FailBuilds("", {});
  EXPECT_TRUE(manager.Ensure(spec).ok());
  EXPECT_EQ(engine.builds, 2);
}

TEST(ImageManagerTest, ProgressReassemblesLinesAndParsesSteps) {
  FakeEngine engine;
  ImageManager manager(engine);
  std::vector<BuildEvent> events;
  ASSERT_TRUE(manager.Ensure(MakeSpec(), [&](const BuildEvent& e) { events.push_back(e); }).ok());
  std::vector<std::string> steps;
  std::vector<std::string> output;
  for (const BuildEvent& e : events) {
    EXPECT_EQ(e.env, "ingestion");
    EXPECT_EQ(e.total_steps, 3);
    (e.kind == BuildEvent::Kind::kStep ? steps : output).push_back(e.text);
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"FROM vpe/debian:bookworm", "RUN apt-get update",
                                             "USER 65534:65534"}));
  EXPECT_EQ(output,
            (std::vector<std::string>{" ---> 9e36dbc4e832",
                                      "Get:1 http://deb.debian.org/debian bookworm InRelease"}));
}

TEST(ImageManagerTest, GarbageCollectionKeepsTheNewestAndWhatIsInUse) {
  FakeEngine engine;
  envspec::Spec spec = MakeSpec();
  docker::Labels labels = LabelsOf(spec);
  for (int i = 1; i <= 6; ++i) {
    engine.AddImage("vpe-env/ingestion:old" + std::to_string(i), labels, i,
                    "sha256:i" + std::to_string(i));
  }
  engine.AddImage("vpe-env/reporting:aaa",
                  {{"io.vpe.managed", "true"}, {"io.vpe.env", "reporting"}}, 0, "sha256:r");
  engine.AddContainer("vpe-env/ingestion:old2");  // a container uses it
  ImageManager manager(engine, {[] { return std::set<std::string>{"sha256:i1"}; }});
  Result<GcResult> r = manager.CollectGarbage("ingestion", 2, {"vpe-env/ingestion:old3"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->removed, std::vector<std::string>{"vpe-env/ingestion:old4"});
  EXPECT_EQ(r->kept_in_use,
            (std::vector<std::string>{"vpe-env/ingestion:old3", "vpe-env/ingestion:old2",
                                      "vpe-env/ingestion:old1"}));
  EXPECT_TRUE(engine.HasImage("vpe-env/ingestion:old6"));
  EXPECT_TRUE(engine.HasImage("vpe-env/ingestion:old5"));
  EXPECT_FALSE(engine.HasImage("vpe-env/ingestion:old4"));
  EXPECT_TRUE(engine.HasImage("vpe-env/reporting:aaa"));
}

TEST(ImageManagerTest, GarbageCollectionWithKeepZeroRemovesEverythingUnused) {
  FakeEngine engine;
  envspec::Spec spec = MakeSpec();
  engine.AddImage("vpe-env/ingestion:a", LabelsOf(spec), 1, "sha256:a");
  engine.AddImage("", LabelsOf(spec), 2, "sha256:dangling");
  ImageManager manager(engine);
  Result<GcResult> r = manager.CollectGarbage("ingestion", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed, (std::vector<std::string>{"sha256:dangling", "vpe-env/ingestion:a"}));
  Result<std::vector<docker::ImageSummary>> left = manager.ListImages("ingestion");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace vpe::orch
