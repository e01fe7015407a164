// Archive: put a file into a container's volume, run, get the result back; size limits.
#include "common/tar.h"
#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

class ArchiveTest : public EngineTest {};

TEST_F(ArchiveTest, RoundTripsInputAndResultThroughAVolume) {
  ContainerSpec spec = Shell(
      "tr a-z A-Z < /vpe/io/input.txt > /vpe/io/result.json && "
      "head -c 200000 /dev/zero > /vpe/io/big.bin");
  spec.volumes = {"/vpe/io"};
  auto created = engine_->CreateContainer(spec);
  ASSERT_OK(created);
  auto tar = WriteTar({TarEntry{"input.txt", 0644, false, "{\"answer\": 42}\n"}});
  ASSERT_OK(tar);
  ASSERT_OK(engine_->PutArchive(created->id, "/vpe/io", *tar));
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  ASSERT_EQ(result->status_code, 0);

  auto entries = engine_->GetArchive(created->id, "/vpe/io/result.json", 1 << 20);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().path, "result.json");
  EXPECT_FALSE(entries->front().is_dir);
  EXPECT_EQ(entries->front().content, "{\"ANSWER\": 42}\n");

  // The whole directory: input, result and the big file.
  auto dir = engine_->GetArchive(created->id, "/vpe/io", 1 << 20);
  ASSERT_OK(dir);
  int files = 0;
  for (const ArchiveEntry& e : *dir) files += e.is_dir ? 0 : 1;
  EXPECT_EQ(files, 3);
}

TEST_F(ArchiveTest, StopsReadingPastTheSizeLimit) {
  ContainerSpec spec = Shell("head -c 3000000 /dev/urandom > /vpe/io/big.bin");
  spec.volumes = {"/vpe/io"};
  std::string id;
  auto code = RunToExit(spec, &id);
  ASSERT_OK(code);
  ASSERT_EQ(*code, 0);
  auto capped = engine_->GetArchive(id, "/vpe/io/big.bin", 1 << 20);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(capped.error().message.find("1048576"), std::string::npos) << capped.error().message;
  EXPECT_NE(capped.error().message.find("/vpe/io/big.bin"), std::string::npos);
  auto whole = engine_->GetArchive(id, "/vpe/io/big.bin", 4 << 20);
  ASSERT_OK(whole);
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ(whole->front().content.size(), 3000000u);
}

TEST_F(ArchiveTest, MissingPathIsNotFound) {
  auto created = engine_->CreateContainer(Spec({"true"}));
  ASSERT_OK(created);
  auto missing = engine_->GetArchive(created->id, "/no/such/file", 1024);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().http_status, 404);
}

}  // namespace
}  // namespace vpe::docker::testing
