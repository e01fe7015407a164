// Build: an image from a tar context that installs a Debian package; build errors with their step;
// cancellation.
#include <chrono>
#include <future>

#include "common/tar.h"
#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

class BuildTest : public EngineTest {
 protected:
  Result<std::string> Context(const std::string& dockerfile) {
    return WriteTar({TarEntry{"Dockerfile", 0644, false, dockerfile}});
  }
  BuildOptions Options(const std::string& tag) {
    BuildOptions o;
    o.tags = {tag};
    o.labels = TestLabels();
    return o;
  }
};

TEST_F(BuildTest, BuildsImageInstallingDebianPackage) {
  const std::string tag = "vpe-test/jq:" + run_id_;
  auto context = Context(
      "FROM vpe/debian:bookworm\n"
      "ARG GREETING=unset\n"
      "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null "
      "&& rm -rf /var/lib/apt/lists/*\n"
      "RUN echo \"$GREETING\" > /greeting\n");
  ASSERT_OK(context);
  BuildOptions options = Options(tag);
  options.build_args = {{"GREETING", "hello from buildargs"}};
  std::vector<std::string> steps;
  int messages = 0;
  auto id = engine_->BuildImage(*context, options, [&](const BuildProgress& p) {
    ++messages;
    if (p.stream.rfind("Step ", 0) == 0) steps.push_back(p.stream);
    return true;
  });
  ASSERT_OK(id);
  EXPECT_EQ(id->rfind("sha256:", 0), 0u) << *id;
  EXPECT_GT(messages, 3);
  ASSERT_GE(steps.size(), 4u);
  EXPECT_EQ(steps[2].rfind("Step 3/", 0), 0u) << steps[2];
  EXPECT_NE(steps[2].find(" : RUN apt-get update"), std::string::npos) << steps[2];

  auto image = engine_->InspectImage(tag);
  ASSERT_OK(image);
  EXPECT_EQ(image->id, *id);
  EXPECT_EQ(image->labels.at(kRunLabel), run_id_);

  ContainerSpec spec = Shell("jq -n '1+1' && cat /greeting");
  spec.image = tag;
  std::string cid;
  auto code = RunToExit(spec, &cid);
  ASSERT_OK(code);
  EXPECT_EQ(*code, 0);
  std::string out, err;
  ASSERT_OK(ReadLogs(cid, &out, &err));
  EXPECT_EQ(out, "2\nhello from buildargs\n") << err;
}

TEST_F(BuildTest, BuildErrorNamesTheFailingStepAndItsOutput) {
  // The failing step is the first after FROM so that the failed build leaves no cached layer.
  auto context = Context(
      "FROM vpe/debian:bookworm\n"
      "RUN echo about-to-fail && echo on-stderr >&2 && false\n"
      "RUN echo never\n");
  ASSERT_OK(context);
  BuildOptions options = Options("vpe-test/broken:" + run_id_);
  options.no_cache = true;
  std::string error_seen;
  auto id = engine_->BuildImage(*context, options, [&](const BuildProgress& p) {
    if (!p.error.empty()) error_seen = p.error;
    return true;
  });
  ASSERT_FALSE(id.ok());
  const Error& e = id.error();
  EXPECT_EQ(e.code, ErrorCode::kEngine);
  // Labels from BuildOptions become extra LABEL steps, so only the step number is fixed.
  EXPECT_NE(e.message.find("at Step 2/"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(" : RUN echo about-to-fail"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("\x1b["), std::string::npos) << "terminal colour codes kept";
  EXPECT_NE(e.message.find("on-stderr"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("returned a non-zero code: 1"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("about-to-fail\n"), std::string::npos) << e.message;
  EXPECT_FALSE(error_seen.empty());
  EXPECT_FALSE(engine_->InspectImage("vpe-test/broken:" + run_id_).ok());
}

TEST_F(BuildTest, BadDockerfileIsAnEngineError) {
  auto context = Context("FROM vpe/debian:bookworm\nNOTANINSTRUCTION x\n");
  ASSERT_OK(context);
  auto id = engine_->BuildImage(*context, Options("vpe-test/bad:" + run_id_), nullptr);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kEngine);
  EXPECT_NE(id.error().message.find("NOTANINSTRUCTION"), std::string::npos) << id.error().message;
}

TEST_F(BuildTest, CancelClosesTheBuild) {
  auto context = Context("FROM vpe/debian:bookworm\nRUN echo started && sleep 120\n");
  ASSERT_OK(context);
  BuildOptions options = Options("vpe-test/slow:" + run_id_);
  options.no_cache = true;
  auto cancel = std::make_shared<CancelToken>();
  auto start = std::chrono::steady_clock::now();
  auto id = engine_->BuildImage(
      *context, options,
      [&](const BuildProgress& p) {
        if (p.stream.find("started") != std::string::npos) cancel->Cancel();
        return true;
      },
      cancel);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kCancelled) << id.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));

  // A sink returning false cancels the same way.
  auto stopped = engine_->BuildImage(*context, options, [](const BuildProgress& p) {
    return p.stream.find("started") == std::string::npos;
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, ErrorCode::kCancelled);
}

}  // namespace
}  // namespace vpe::docker::testing
