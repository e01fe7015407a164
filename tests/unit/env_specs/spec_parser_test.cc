#include <gtest/gtest.h>

#include "env_specs/spec.h"
#include "tests/unit/env_specs/test_dir.h"

namespace vpe::envspec {
namespace {

using testing::TestDir;

TEST(ParseSpecTest, ParsesTheIngestionExample) {
  Result<Spec> spec = ParseSpecFile(std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->kind, SpecKind::kVpe);
  EXPECT_EQ(spec->name, "ingestion");
  EXPECT_EQ(spec->base, "vpe/debian:bookworm");
  EXPECT_EQ(spec->apt, (std::vector<std::string>{"python3", "python3-pandas"}));
  ASSERT_EQ(spec->files.size(), 1u);
  EXPECT_EQ(spec->files[0].dest, "/opt/pipeline/");
  EXPECT_EQ(spec->files[0].context_path, "files/0/");
  EXPECT_EQ(spec->env.at("PYTHONUNBUFFERED"), "1");
  EXPECT_EQ(spec->workdir, "/opt/pipeline");
  EXPECT_EQ(spec->user, "65534:65534");
  EXPECT_EQ(spec->resources.memory_bytes, 512LL << 20);
  EXPECT_DOUBLE_EQ(spec->resources.cpus, 1.0);
  EXPECT_EQ(spec->resources.pids, 256);
  EXPECT_EQ(spec->resources.timeout, std::chrono::minutes(30));
  EXPECT_EQ(spec->network, "none");
  EXPECT_EQ(spec->hash.size(), 64u);
  EXPECT_EQ(ImageTag(*spec), "vpe-env/ingestion:" + spec->hash.substr(0, 12));
  bool has_extract = false;
  for (const ContextFile& f : spec->context_files) {
    if (f.path == "files/0/extract.py") has_extract = true;
  }
  EXPECT_TRUE(has_extract);
}

TEST(ParseSpecTest, ParsesTheReportingExample) {
  Result<Spec> spec = ParseSpecFile(std::string(VPE_EXAMPLES_DIR) + "/reporting.yml");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->name, "reporting");
  EXPECT_TRUE(spec->apt.empty());
  EXPECT_EQ(spec->files[0].context_path, "files/0/report.py");
  EXPECT_EQ(spec->resources.memory_bytes, 128LL << 20);
  EXPECT_DOUBLE_EQ(spec->resources.cpus, 0.5);
}

TEST(ParseSpecTest, FillsDefaults) {
  Result<Spec> spec = ParseSpec("name: tiny\n", "tiny.yml", ".");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->base, kDefaultBase);
  EXPECT_EQ(spec->user, "65534:65534");
  EXPECT_EQ(spec->workdir, "/");
  EXPECT_EQ(spec->network, "none");
  EXPECT_EQ(spec->resources.memory_bytes, 512LL << 20);
  EXPECT_EQ(spec->resources.pids, 256);
  EXPECT_EQ(spec->resources.timeout, std::chrono::minutes(30));
  EXPECT_EQ(spec->source_path, "tiny.yml");
}

TEST(ParseSpecTest, ParsesACondaEnvironmentFile) {
  Result<Spec> spec = ParseSpecFile(std::string(VPE_TESTDATA_DIR) + "/environment.yml");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->kind, SpecKind::kConda);
  EXPECT_EQ(spec->name, "forecast");
  EXPECT_EQ(spec->base, kDefaultCondaBase);
  EXPECT_EQ(spec->conda.channels, (std::vector<std::string>{"conda-forge", "defaults"}));
  EXPECT_EQ(spec->conda.dependencies,
            (std::vector<std::string>{"python=3.11", "pandas>=2.1,<3", "numpy", "pip"}));
  EXPECT_EQ(spec->conda.pip, (std::vector<std::string>{"requests==2.31.0", "tenacity>=8"}));
}

TEST(ParseSpecTest, CopiesDirectoriesRecursivelyWithModes) {
  TestDir dir;
  dir.Write("job/run.sh", "#!/bin/sh\necho hi\n", 0755);
  dir.Write("job/lib/util.py", "X = 1\n", 0644);
  Result<Spec> spec =
      ParseSpec("name: job\nfiles: [{src: job, dest: /opt/job}]\n", "job.yml", dir.path());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ASSERT_EQ(spec->context_files.size(), 4u);
  EXPECT_EQ(spec->context_files[0].path, "files/0");
  EXPECT_TRUE(spec->context_files[0].is_dir);
  EXPECT_EQ(spec->context_files[1].path, "files/0/lib");
  EXPECT_EQ(spec->context_files[2].path, "files/0/lib/util.py");
  EXPECT_EQ(spec->context_files[2].content, "X = 1\n");
  EXPECT_EQ(spec->context_files[3].path, "files/0/run.sh");
  EXPECT_EQ(spec->context_files[3].mode, 0755);
  EXPECT_EQ(spec->files[0].context_path, "files/0/");
}

TEST(ParseSpecTest, FollowsSymlinksThatStayInside) {
  TestDir dir;
  dir.Write("shared/config.json", "{}\n");
  dir.Write("job/main.py", "print(1)\n");
  dir.Symlink("../shared/config.json", "job/config.json");
  Result<Spec> spec =
      ParseSpec("name: job\nfiles: [{src: job/, dest: /opt/job/}]\n", "job.yml", dir.path());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ASSERT_EQ(spec->context_files.size(), 3u);
  EXPECT_EQ(spec->context_files[1].path, "files/0/config.json");
  EXPECT_EQ(spec->context_files[1].content, "{}\n");
  EXPECT_FALSE(spec->context_files[1].is_dir);
}

TEST(ParseSpecTest, AcceptsDotDotThatStaysInside) {
  TestDir dir;
  dir.Write("a/x.py", "x\n");
  Result<Spec> spec =
      ParseSpec("name: job\nfiles: [{src: b/../a/x.py, dest: /x.py}]\n", "job.yml", dir.path());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->files[0].context_path, "files/0/x.py");
}

TEST(ParseSpecTest, AcceptsOtherNetworksAndUsers) {
  Result<Spec> spec = ParseSpec("name: n\nnetwork: bridge\nuser: app\n", "n.yml", ".");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->network, "bridge");
  EXPECT_EQ(spec->user, "app");
  spec = ParseSpec("name: n\nnetwork: warehouse-net\nuser: '1000'\n", "n.yml", ".");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->network, "warehouse-net");
}

TEST(ParseSpecTest, AcceptsCommasStartingLinesInsideFlowListsAndBlockScalars) {
  // The pre-scan that keeps yaml-cpp away from ',' at a node start must not refuse these.
  Result<Spec> spec = ParseSpec(
      "name: x\ndescription: >\n  first\n  , second\napt: [\n  python3\n  , curl]\n", "x.yml", ".");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->description, "first , second\n");
  EXPECT_EQ(spec->apt, (std::vector<std::string>{"python3", "curl"}));
  spec = ParseSpec(
      "name: x\ndescription: \"it's {a\n  , b\"\nsetup: ['echo a{b', \"it''s\"]\n"
      "env:\n  A: x[y{z\n",
      "x.yml", ".");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->description, "it's {a , b");
}

TEST(ParseSpecTest, ReportsAMissingFile) {
  Result<Spec> spec = ParseSpecFile("/nonexistent/dir/spec.yml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(spec.error().message, "/nonexistent/dir/spec.yml: cannot open the spec file");
}

}  // namespace
}  // namespace vpe::envspec
