// The image tag must follow the inputs exactly: same inputs, same tag; any change to what ends up
// in the image, a different tag.

#include <gtest/gtest.h>

#include "env_specs/spec.h"
#include "tests/unit/env_specs/test_dir.h"

namespace vpe::envspec {
namespace {

using testing::TestDir;

constexpr const char* kSpec = R"(name: ingestion
description: Load CSV drops
apt: [python3, python3-pandas]
files:
  - {src: job/, dest: /opt/pipeline/}
setup: ["python3 -m compileall -q /opt/pipeline"]
env: {PYTHONUNBUFFERED: "1", DATA_DIR: /data}
workdir: /opt/pipeline
resources: {memory: 512Mi, cpus: 1.0, pids: 256, timeout: 30m}
)";

// The same spec with comments, other key order, other spacing and flow/block styles swapped.
constexpr const char* kSameSpecReformatted = R"(# reformatted
resources:
    timeout: 30m
    pids: 256
    cpus: 1.0
    memory: 512Mi
env:
    DATA_DIR: /data          # where the volume goes
    PYTHONUNBUFFERED: "1"
workdir: /opt/pipeline
files: [{dest: /opt/pipeline/, src: job/}]
apt:
    - python3
    - python3-pandas
setup:
    - python3 -m compileall -q /opt/pipeline
description: "Load CSV drops"
name:   ingestion
)";

class SpecHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("job/extract.py", "print('extract')\n", 0644);
    dir_.Write("job/run.sh", "#!/bin/sh\n", 0755);
  }
  std::string Hash(const std::string& yaml) {
    Result<Spec> spec = ParseSpec(yaml, "ingestion.yml", dir_.path());
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    return spec.ok() ? spec->hash : "";
  }
  TestDir dir_;
};

TEST_F(SpecHashTest, IsStableAcrossCommentsKeyOrderAndWhitespace) {
  std::string h = Hash(kSpec);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(Hash(kSameSpecReformatted), h);
  EXPECT_EQ(Hash(std::string("# leading comment\n\n") + kSpec + "\n\n# trailing\n"), h);
}

TEST_F(SpecHashTest, IsStableAcrossEquivalentSpellingsOfDefaults) {
  // Defaults written out or left implicit are the same normalised spec.
  std::string implicit = Hash("name: tiny\n");
  EXPECT_EQ(Hash("name: tiny\nuser: \"65534:65534\"\nnetwork: none\nworkdir: /\n"
                 "base: vpe/debian:bookworm\n"
                 "resources: {memory: 512Mi, cpus: 1, pids: 256, timeout: 30m}\n"),
            implicit);
  EXPECT_EQ(Hash("name: tiny\nresources: {timeout: 1800s, memory: 536870912}\n"), implicit);
}

TEST_F(SpecHashTest, ChangesWithCopiedFileBytes) {
  std::string before = Hash(kSpec);
  dir_.Write("job/extract.py", "print('extract v2')\n", 0644);
  EXPECT_NE(Hash(kSpec), before);
}

TEST_F(SpecHashTest, ChangesWithCopiedFileMode) {
  std::string before = Hash(kSpec);
  dir_.Write("job/extract.py", "print('extract')\n", 0755);
  EXPECT_NE(Hash(kSpec), before);
}

TEST_F(SpecHashTest, ChangesWithANewCopiedFile) {
  std::string before = Hash(kSpec);
  dir_.Write("job/load.py", "", 0644);
  EXPECT_NE(Hash(kSpec), before);
}

TEST_F(SpecHashTest, ChangesWithEverySpecField) {
  std::string base = Hash(kSpec);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = kSpec;
    size_t pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return Hash(s.replace(pos, from.size(), to));
  };
  EXPECT_NE(with("python3-pandas", "python3-numpy"), base);
  EXPECT_NE(with("[python3, python3-pandas]", "[python3-pandas, python3]"), base);  // order
  EXPECT_NE(with("compileall -q", "compileall"), base);
  EXPECT_NE(with("DATA_DIR: /data", "DATA_DIR: /srv"), base);
  EXPECT_NE(with("memory: 512Mi", "memory: 1Gi"), base);
  EXPECT_NE(with("/opt/pipeline/}", "/srv/pipeline/}"), base);
  EXPECT_NE(with("Load CSV drops", "Load TSV drops"), base);
}

TEST_F(SpecHashTest, DoesNotDependOnWhereTheSpecLives) {
  TestDir other;
  other.Write("job/extract.py", "print('extract')\n", 0644);
  other.Write("job/run.sh", "#!/bin/sh\n", 0755);
  Result<Spec> a = ParseSpec(kSpec, "a/ingestion.yml", dir_.path());
  Result<Spec> b = ParseSpec(kSpec, "elsewhere.yml", other.path());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->hash, b->hash);
  EXPECT_EQ(ImageTag(*a), ImageTag(*b));
}

TEST_F(SpecHashTest, TagIsRepositoryAndTwelveHex) {
  Result<Spec> spec = ParseSpec(kSpec, "ingestion.yml", dir_.path());
  ASSERT_TRUE(spec.ok());
  std::string tag = ImageTag(*spec);
  EXPECT_EQ(tag.rfind("vpe-env/ingestion:", 0), 0u);
  EXPECT_EQ(tag.size(), std::string("vpe-env/ingestion:").size() + 12);
  EXPECT_EQ(tag.substr(tag.size() - 12), spec->hash.substr(0, 12));
}

TEST_F(SpecHashTest, NormalisedSpecIsSortedAndComplete) {
  Result<Spec> spec = ParseSpec(kSpec, "ingestion.yml", dir_.path());
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(NormalizedSpecText(*spec),
            R"({"apt":["python3","python3-pandas"],"base":"vpe/debian:bookworm",)"
            R"("description":"Load CSV drops","env":{"DATA_DIR":"/data","PYTHONUNBUFFERED":"1"},)"
            R"("files":[{"dest":"/opt/pipeline/","src":"job/"}],"kind":"vpe","name":"ingestion",)"
            R"("network":"none","pip":[],"resources":{"cpus":1.0,"memory":"512Mi","pids":256,)"
            R"("timeout":"30m"},"setup":["python3 -m compileall -q /opt/pipeline"],)"
            R"("user":"65534:65534","workdir":"/opt/pipeline"})");
}

}  // namespace
}  // namespace vpe::envspec
