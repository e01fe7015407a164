// Golden Dockerfiles: a change in rendering shows up as a diff of testdata/*.Dockerfile.
// VPE_UPDATE_GOLDEN=1 rewrites them.

#include "env_specs/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/tar.h"
#include "env_specs/spec.h"

namespace vpe::envspec {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectGolden(const std::string& actual, const std::string& golden_name) {
  std::string path = std::string(VPE_TESTDATA_DIR) + "/" + golden_name;
  if (std::getenv("VPE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
  }
  EXPECT_EQ(actual, ReadFile(path))
      << "golden file " << path << " differs; VPE_UPDATE_GOLDEN=1 rewrites it";
}

Spec Parse(const std::string& path) {
  Result<Spec> spec = ParseSpecFile(path);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return spec.ok() ? spec.value() : Spec{};
}

TEST(RenderTest, SpecMatchesGoldenDockerfile) {
  Spec spec = Parse(std::string(VPE_TESTDATA_DIR) + "/full.yml");
  ExpectGolden(RenderDockerfile(spec), "full.Dockerfile");
}

TEST(RenderTest, IngestionExampleMatchesGoldenDockerfile) {
  Spec spec = Parse(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  ExpectGolden(RenderDockerfile(spec), "ingestion.Dockerfile");
}

TEST(RenderTest, CondaEnvironmentMatchesGoldenMicromambaDockerfile) {
  Spec spec = Parse(std::string(VPE_TESTDATA_DIR) + "/environment.yml");
  ExpectGolden(RenderDockerfile(spec), "environment.Dockerfile");
}

TEST(RenderTest, AptInstallsWithoutRecommendsAndCleansLists) {
  Spec spec = Parse(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  std::string df = RenderDockerfile(spec);
  EXPECT_NE(df.find("RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "--no-install-recommends python3 python3-pandas && rm -rf "
                    "/var/lib/apt/lists/*\n"),
            std::string::npos)
      << df;
}

TEST(RenderTest, PutsRarelyChangingStepsFirst) {
  Spec spec = Parse(std::string(VPE_TESTDATA_DIR) + "/full.yml");
  std::string df = RenderDockerfile(spec);
  std::vector<std::string> order = {"FROM ",
                                    "RUN apt-get",
                                    "pip install",
                                    "COPY ",
                                    "RUN python3 -m compileall",
                                    "VOLUME /vpe/out",
                                    "ENV ",
                                    "WORKDIR ",
                                    "USER 65534:65534\n"};
  size_t last = 0;
  for (const std::string& step : order) {
    size_t pos = df.find(step, last);
    ASSERT_NE(pos, std::string::npos) << step << " missing or out of order in\n" << df;
    last = pos;
  }
  EXPECT_EQ(df.substr(df.size() - std::string("USER 65534:65534\n").size()), "USER 65534:65534\n");
}

TEST(RenderTest, CreatesResultVolumeOwnedByTheUser) {
  Result<Spec> spec = ParseSpec("name: x\nuser: '1000:1000'\n", "x.yml", ".");
  ASSERT_TRUE(spec.ok());
  std::string df = RenderDockerfile(*spec);
  EXPECT_NE(df.find("RUN mkdir -p /vpe/out && chown 1000:1000 /vpe/out && chmod 0755 /vpe/out\n"
                    "VOLUME /vpe/out\n"),
            std::string::npos)
      << df;
  EXPECT_NE(df.find("ENV VPE_RESULT=/vpe/out/result.json\n"), std::string::npos);
}

TEST(RenderTest, ContextHoldsDockerfileAndFilesWithLabels) {
  Spec spec = Parse(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  Result<BuildContext> ctx = RenderBuildContext(spec);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ(ctx->tag, ImageTag(spec));
  Result<std::vector<TarEntry>> entries = ReadTar(ctx->tar, 64 << 20);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  std::map<std::string, TarEntry> by_path;
  for (const TarEntry& e : *entries) by_path[e.path] = e;
  ASSERT_TRUE(by_path.count("Dockerfile"));
  EXPECT_EQ(by_path["Dockerfile"].content, ctx->dockerfile);
  ASSERT_TRUE(by_path.count("files/0/extract.py"));
  EXPECT_EQ(by_path["files/0/extract.py"].content,
            ReadFile(std::string(VPE_EXAMPLES_DIR) + "/ingestion/extract.py"));
  EXPECT_EQ(ctx->labels.at("io.vpe.managed"), "true");
  EXPECT_EQ(ctx->labels.at("io.vpe.env"), "ingestion");
  EXPECT_EQ(ctx->labels.at("io.vpe.spec-hash"), spec.hash);
  EXPECT_EQ(ctx->labels.at("io.vpe.builder-version"), kBuilderVersion);
  EXPECT_EQ(ctx->labels.at("io.vpe.spec"), NormalizedSpecText(spec));
}

TEST(RenderTest, ContextIsByteForByteReproducible) {
  Spec spec = Parse(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  Result<BuildContext> a = RenderBuildContext(spec);
  Result<BuildContext> b =
      RenderBuildContext(Parse(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tar, b->tar);
}

TEST(RenderTest, CondaContextCarriesANormalisedEnvironmentFile) {
  Spec spec = Parse(std::string(VPE_TESTDATA_DIR) + "/environment.yml");
  Result<BuildContext> ctx = RenderBuildContext(spec);
  ASSERT_TRUE(ctx.ok());
  Result<std::vector<TarEntry>> entries = ReadTar(ctx->tar, 1 << 20);
  ASSERT_TRUE(entries.ok());
  std::string env_yml;
  for (const TarEntry& e : *entries) {
    if (e.path == "environment.yml") env_yml = e.content;
  }
  ExpectGolden(env_yml, "environment.normalised.yml");
  // The regenerated file parses back to the same conda environment.
  Result<Spec> again = ParseSpec(env_yml, "environment.yml", ".");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->hash, spec.hash);
}

}  // namespace
}  // namespace vpe::envspec
