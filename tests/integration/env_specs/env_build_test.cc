// Environments built for real on the engine at DOCKER_HOST (a project-private dockerd, see
// scripts/engine.sh). Without DOCKER_HOST or a reachable engine these tests fail; they never
// skip. Each test builds copies of the specs under run-unique names (<name>-<run id>) and
// removes those images, containers and volumes by label in TearDown. The suite first ensures the
// real examples (vpe-env/ingestion, vpe-env/reporting) so that the copies share their cached
// apt layers; those are the project's own images and stay.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "docker_api/client.h"
#include "env_specs/spec.h"
#include "orchestrator/image_manager.h"

namespace vpe::orch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kTestLabel[] = "io.vpe.test";
constexpr char kRunLabel[] = "io.vpe.test.run";

std::string DockerHost() {
  const char* h = std::getenv("DOCKER_HOST");
  return h != nullptr ? h : "";
}

std::string RandomHex(int n) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < n; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Counts image "tag" events for the given tags: the classic builder tags once per build, even
// when every layer came from the cache; a cache hit in Ensure tags nothing.
class TagEventCounter {
 public:
  TagEventCounter(docker::Engine& engine, std::set<std::string> tags) : tags_(std::move(tags)) {
    // "since" is in whole seconds: start at the next second so no earlier event is replayed.
    auto now = std::chrono::system_clock::now();
    auto next = std::chrono::ceil<std::chrono::seconds>(now);
    std::this_thread::sleep_until(next + std::chrono::milliseconds(50));
    int64_t since =
        std::chrono::duration_cast<std::chrono::seconds>(next.time_since_epoch()).count();
    thread_ = std::thread([this, &engine, since] {
      status_ = engine.Events(
          {{"type", {"image"}}},
          [this](const docker::Event& e) {
            auto name = e.attributes.find("name");
            if (e.action == "tag" && name != e.attributes.end() && tags_.count(name->second) > 0) {
              ++count_;
            }
            return true;
          },
          cancel_, since);
    });
  }
  // Waits for late events, stops listening and returns the count.
  int Stop() {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    cancel_->Cancel();
    thread_.join();
    return count_;
  }
  ~TagEventCounter() {
    if (thread_.joinable()) {
      cancel_->Cancel();
      thread_.join();
    }
  }

 private:
  std::set<std::string> tags_;
  std::shared_ptr<docker::CancelToken> cancel_ = std::make_shared<docker::CancelToken>();
  std::thread thread_;
  std::atomic<int> count_{0};
  Status status_;
};

class EnvBuildTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (DockerHost().empty()) return;  // SetUp reports it
    Result<std::unique_ptr<docker::Client>> engine = docker::Client::Connect({DockerHost()});
    if (!engine.ok()) return;
    ImageManager manager(**engine);
    for (const char* file : {"ingestion.yml", "reporting.yml"}) {
      Result<envspec::Spec> spec =
          envspec::ParseSpecFile(std::string(VPE_EXAMPLES_DIR) + "/" + file);
      if (spec.ok()) {
        Result<EnsureResult> r = manager.Ensure(*spec);
        std::cout << "example " << file << ": "
                  << (r.ok() ? (r->built ? "built " : "present ") + r->image : r.error().message)
                  << "\n";
      }
    }
  }

  void SetUp() override {
    ASSERT_FALSE(DockerHost().empty())
        << "DOCKER_HOST is not set: these tests need a Docker engine (scripts/engine.sh start; "
           "export DOCKER_HOST=$(scripts/engine.sh host))";
    Result<std::unique_ptr<docker::Client>> engine = docker::Client::Connect({DockerHost()});
    ASSERT_TRUE(engine.ok()) << "no Docker engine at " << DockerHost() << ": "
                             << engine.error().message;
    engine_ = std::move(engine.value());
    ASSERT_TRUE(engine_->InspectImage(envspec::kDefaultBase).ok())
        << "the base image " << envspec::kDefaultBase << " is missing: images/base/bootstrap.sh";
    run_ = "it" + RandomHex(8);
    char tmpl[] = "/tmp/vpe-envspec-it-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!engine_) return;
    docker::Filters by_run = {{"label", {std::string(kRunLabel) + "=" + run_}}};
    Result<std::vector<docker::ContainerSummary>> containers =
        engine_->ListContainers(true, by_run);
    if (containers.ok()) {
      for (const auto& c : *containers) EXPECT_TRUE(engine_->RemoveContainer(c.id).ok());
    }
    for (const std::string& v : volumes_) EXPECT_TRUE(engine_->RemoveVolume(v, true).ok());
    ImageManager manager(*engine_);
    for (const std::string& env : envs_) {
      Result<GcResult> gc = manager.CollectGarbage(env, 0);
      EXPECT_TRUE(gc.ok()) << gc.error().message;
      Result<std::vector<docker::ImageSummary>> left = manager.ListImages(env);
      EXPECT_TRUE(left.ok() && left->empty()) << "images of " << env << " left behind";
    }
  }

  // A run-unique environment name, registered for cleanup.
  std::string Name(const std::string& base) {
    std::string n = base + "-" + run_;
    envs_.push_back(n);
    return n;
  }

  // Copies the examples into the test directory, renamed to run-unique names.
  void CopyExamples() {
    fs::copy(VPE_EXAMPLES_DIR, dir_, fs::copy_options::recursive);
    for (const std::string& env : {std::string("ingestion"), std::string("reporting")}) {
      fs::path p = fs::path(dir_) / (env + ".yml");
      std::string text = ReadFile(p);
      size_t pos = text.find("name: " + env + "\n");
      ASSERT_NE(pos, std::string::npos);
      text.replace(pos, 6 + env.size(), "name: " + Name(env));
      std::ofstream(p, std::ios::trunc) << text;
    }
  }

  envspec::Spec Parse(const std::string& file) {
    Result<envspec::Spec> spec = envspec::ParseSpecFile(dir_ + "/" + file);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    return spec.ok() ? spec.value() : envspec::Spec{};
  }

  envspec::Spec WriteAndParse(const std::string& file, const std::string& yaml) {
    std::ofstream(dir_ + "/" + file) << yaml;
    return Parse(file);
  }

  // Runs `script` with sh in `image` (its own user), /data on `volume`; returns exit code and
  // combined output. The container stays for *id_out (removed in TearDown).
  int64_t Run(const std::string& image, const std::string& script, const std::string& volume,
              std::string* output, std::string* id_out = nullptr) {
    docker::ContainerSpec spec;
    spec.image = image;
    spec.cmd = {"sh", "-c", script};
    spec.labels = {{kTestLabel, "env_specs"}, {kRunLabel, run_}};
    spec.host.network_mode = "none";
    if (!volume.empty()) spec.host.mounts.push_back({"volume", volume, "/data"});
    Result<docker::CreateResult> created = engine_->CreateContainer(spec);
    EXPECT_TRUE(created.ok()) << created.error().message;
    if (!created.ok()) return -1;
    if (id_out != nullptr) *id_out = created->id;
    auto wait = engine_->Wait(created->id, docker::WaitCondition::kNextExit);
    EXPECT_TRUE(wait.ok());
    EXPECT_TRUE(engine_->StartContainer(created->id).ok());
    Result<docker::WaitResult> exit = (*wait)->Get();
    EXPECT_TRUE(exit.ok());
    docker::LogOptions lo;
    EXPECT_TRUE(engine_
                    ->Logs(created->id, lo,
                           [&](docker::StreamKind, std::string_view d) {
                             output->append(d);
                             return true;
                           })
                    .ok());
    return exit.ok() ? exit->status_code : -1;
  }

  std::string Volume() {
    std::string v = "vpe-envspec-" + run_;
    EXPECT_TRUE(engine_->CreateVolume(v, {{kTestLabel, "env_specs"}, {kRunLabel, run_}}).ok());
    volumes_.push_back(v);
    return v;
  }

  std::map<std::string, int64_t> ImagesOf(const std::string& env) {
    std::map<std::string, int64_t> out;
    ImageManager manager(*engine_);
    Result<std::vector<docker::ImageSummary>> images = manager.ListImages(env);
    EXPECT_TRUE(images.ok());
    if (images.ok()) {
      for (const auto& i : *images) out[i.id] = i.created;
    }
    return out;
  }

  std::unique_ptr<docker::Client> engine_;
  std::string run_;
  std::string dir_;
  std::vector<std::string> envs_;
  std::vector<std::string> volumes_;
};

TEST_F(EnvBuildTest, BuildsBothExamplesRunsThePipelineAndFindsThemAgainWithoutABuild) {
  CopyExamples();
  envspec::Spec ingestion = Parse("ingestion.yml");
  envspec::Spec reporting = Parse("reporting.yml");
  ImageManager manager(*engine_);
  for (const envspec::Spec* spec : {&ingestion, &reporting}) {
    Result<EnsureResult> r = manager.Ensure(*spec);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->built);
    Result<docker::ImageInfo> info = engine_->InspectImage(r->image);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->id, r->image_id);
    EXPECT_EQ(info->labels["io.vpe.managed"], "true");
    EXPECT_EQ(info->labels["io.vpe.env"], spec->name);
    EXPECT_EQ(info->labels["io.vpe.spec-hash"], spec->hash);
    EXPECT_EQ(info->labels["io.vpe.builder-version"], envspec::kBuilderVersion);
    EXPECT_EQ(info->labels["io.vpe.spec"], envspec::NormalizedSpecText(*spec));
  }

  // The images work: the pipeline passes its data through a named volume at /data, as the demo.
  std::string volume = Volume();
  std::string out;
  ASSERT_EQ(Run(envspec::ImageTag(ingestion),
                "id -u && stat -c %u:%g /vpe/out && python3 extract.py && python3 transform.py "
                "&& python3 load.py && cat \"$VPE_RESULT\"",
                volume, &out),
            0)
      << out;
  EXPECT_NE(out.find("65534\n65534:65534\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\"rows_loaded\": 4"), std::string::npos) << out;
  EXPECT_NE(out.find("\"revenue_total\": 465.49"), std::string::npos) << out;
  out.clear();
  std::string report_id;
  ASSERT_EQ(Run(envspec::ImageTag(reporting), "python3 report.py", volume, &out, &report_id), 0)
      << out;
  // The result is readable from the exited container through the archive API (the /vpe/out
  // volume), which is how vped collects it.
  Result<std::vector<docker::ArchiveEntry>> result =
      engine_->GetArchive(report_id, "/vpe/out/result.json", 1 << 20);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].content,
            R"({"customers": 3, "revenue_total": 465.49, "rows": 4, "top_customer": "initech"})");

  // Again, with a fresh manager: one inspect each, no build, no new image, no tag event.
  std::map<std::string, int64_t> before_i = ImagesOf(ingestion.name);
  std::map<std::string, int64_t> before_r = ImagesOf(reporting.name);
  TagEventCounter events(*engine_, {envspec::ImageTag(ingestion), envspec::ImageTag(reporting)});
  ImageManager again(*engine_);
  auto start = Clock::now();
  for (const envspec::Spec* spec : {&ingestion, &reporting}) {
    Result<EnsureResult> r = again.Ensure(*spec);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->built);
  }
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(again.builds_started(), 0);
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(events.Stop(), 0) << "a cache hit must not build or tag anything";
  EXPECT_EQ(ImagesOf(ingestion.name), before_i);
  EXPECT_EQ(ImagesOf(reporting.name), before_r);
}

TEST_F(EnvBuildTest, EightConcurrentEnsuresProduceExactlyOneBuild) {
  std::string name = Name("burst");
  envspec::Spec spec = WriteAndParse(
      "burst.yml", "name: " + name + "\nsetup: [\"sleep 1 && echo " + run_ + " > /burst\"]\n");
  const std::string tag = envspec::ImageTag(spec);
  TagEventCounter events(*engine_, {tag});
  ImageManager manager(*engine_);
  std::vector<std::optional<Result<EnsureResult>>> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = manager.Ensure(spec); });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value() && r->ok()) << (r && !r->ok() ? r->error().message : "");
    ids.insert((*r)->image_id);
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(manager.builds_started(), 1);
  EXPECT_EQ(events.Stop(), 1) << "the engine tagged " << tag << " more than once";
  EXPECT_EQ(ImagesOf(name).size(), 1u);
}

TEST_F(EnvBuildTest, MissingAptPackageFailsWithTheAptError) {
  std::string name = Name("aptfail");
  std::string package = "vpe-no-such-package-" + run_;
  envspec::Spec spec = WriteAndParse("aptfail.yml", "name: " + name + "\napt: [" + package + "]\n");
  ImageManager manager(*engine_);
  Result<EnsureResult> r = manager.Ensure(spec);
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.error().message;
  EXPECT_EQ(msg.rfind("building environment " + name + " (" + envspec::ImageTag(spec) + "): ", 0),
            0u)
      << msg;
  EXPECT_NE(msg.find("RUN apt-get update"), std::string::npos) << msg;
  EXPECT_NE(msg.find("E: Unable to locate package " + package), std::string::npos) << msg;
  EXPECT_TRUE(ImagesOf(name).empty());
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
  double seconds = 0;
};

CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  auto start = Clock::now();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

TEST_F(EnvBuildTest, CliBuildAllTwiceSaysUpToDateForBothTheSecondTime) {
  CopyExamples();
  const std::string cmd = std::string(VPE_CLI_PATH) + " env build --all --specs-dir " + dir_ +
                          " --docker-host " + DockerHost();
  CommandResult first = RunCommand(cmd);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("ingestion-" + run_ + ": built vpe-env/ingestion-" + run_),
            std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("reporting-" + run_ + ": built"), std::string::npos) << first.output;
  // Piped output: plain step lines, no terminal control sequences.
  EXPECT_NE(first.output.find("ingestion-" + run_ + ": step 1/"), std::string::npos);
  EXPECT_EQ(first.output.find('\r'), std::string::npos);

  CommandResult second = RunCommand(cmd);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("ingestion-" + run_ + ": up to date (vpe-env/ingestion-" + run_),
            std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("reporting-" + run_ + ": up to date"), std::string::npos)
      << second.output;
  EXPECT_EQ(second.output.find("step"), std::string::npos) << second.output;
  EXPECT_LT(second.seconds, 1.0) << "a cache hit must be well under a second";
  std::cout << "vpe env build --all: first " << first.seconds << " s, second (up to date) "
            << second.seconds << " s\n";
}

TEST_F(EnvBuildTest, CliBuildNamesEveryFailedEnvironmentAndExitsNonZero) {
  std::string bad1 = Name("bad-one");
  std::string bad2 = Name("bad-two");
  std::string good = Name("good");
  std::ofstream(dir_ + "/bad1.yml") << "name: " << bad1 << "\nsetup: [\"exit 3\"]\n";
  std::ofstream(dir_ + "/bad2.yml") << "name: " << bad2 << "\nsetup: [\"echo nope >&2; false\"]\n";
  std::ofstream(dir_ + "/good.yml") << "name: " << good << "\n";
  CommandResult r = RunCommand(std::string(VPE_CLI_PATH) + " env --specs-dir " + dir_ +
                               " --docker-host " + DockerHost() + " build --all --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("2 of 3 environment(s) failed: " + bad1 + ", " + bad2), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"status\": \"built\""), std::string::npos) << r.output;
}

}  // namespace
}  // namespace vpe::orch
