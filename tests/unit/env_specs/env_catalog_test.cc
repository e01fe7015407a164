#include "orchestrator/env_catalog.h"

#include <gtest/gtest.h>

#include "tests/unit/env_specs/test_dir.h"

namespace vpe::orch {
namespace {

using envspec::testing::TestDir;

TEST(EnvCatalogTest, LoadsTheExamples) {
  Result<EnvCatalog> catalog = EnvCatalog::Load(VPE_EXAMPLES_DIR);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_EQ(catalog->Names(), (std::vector<std::string>{"ingestion", "reporting"}));
  ASSERT_NE(catalog->Find("ingestion"), nullptr);
  EXPECT_EQ(catalog->Find("ingestion")->source_path,
            std::string(VPE_EXAMPLES_DIR) + "/ingestion.yml");
  EXPECT_EQ(catalog->Find("nope"), nullptr);
}

TEST(EnvCatalogTest, DuplicateNamesNameBothFiles) {
  TestDir dir;
  dir.Write("a.yml", "name: same\n");
  dir.Write("b.yaml", "name: same\napt: [curl]\n");
  Result<EnvCatalog> catalog = EnvCatalog::Load(dir.path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(catalog.error().message, "duplicate environment name 'same': defined in " +
                                         dir.Path("a.yml") + " and " + dir.Path("b.yaml"));
}

TEST(EnvCatalogTest, ReportsEveryInvalidFile) {
  TestDir dir;
  dir.Write("good.yml", "name: good\n");
  dir.Write("one.yml", "name: one\naptt: [x1]\n");
  dir.Write("two.yml", "name: two\nresources: {memory: lots}\n");
  dir.Write("notes.txt", "not a spec");
  Result<EnvCatalog> catalog = EnvCatalog::Load(dir.path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().message,
            dir.Path("one.yml") + ":2:1: aptt: unknown key (did you mean 'apt'?)\n" +
                dir.Path("two.yml") +
                ":2:13: resources.memory: expected a size like 512Mi, got 'lots'");
}

TEST(EnvCatalogTest, UnknownNameListsTheKnownOnes) {
  Result<EnvCatalog> catalog = EnvCatalog::Load(VPE_EXAMPLES_DIR);
  ASSERT_TRUE(catalog.ok());
  Result<const envspec::Spec*> spec = catalog->Get("ingest");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(spec.error().message, "no environment named 'ingest' in " +
                                      std::string(VPE_EXAMPLES_DIR) +
                                      " (known: ingestion, reporting)");
}

TEST(EnvCatalogTest, MissingDirectoryIsNotFound) {
  Result<EnvCatalog> catalog = EnvCatalog::Load("/nonexistent/specs");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(catalog.error().message, "specs directory /nonexistent/specs does not exist");
}

}  // namespace
}  // namespace vpe::orch
