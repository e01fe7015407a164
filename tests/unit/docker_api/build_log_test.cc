#include "docker_api/build_log.h"

#include <gtest/gtest.h>

namespace vpe::docker {
namespace {

BuildProgress Stream(const std::string& s) {
  BuildProgress p;
  p.stream = s;
  return p;
}

TEST(BuildLogTest, TracksStepsAcrossSplitStreamMessages) {
  BuildLog log;
  log.Add(Stream("Step 1/2 : FROM x"));
  log.Add(Stream("\n ---> abc\nStep 2/2 : RUN apt-get"));
  log.Add(Stream(" install -y jq\n"));
  EXPECT_EQ(log.current_step(), "Step 2/2 : RUN apt-get install -y jq");
  ASSERT_EQ(log.tail().size(), 3u);
  EXPECT_EQ(log.tail()[1], " ---> abc");
}

TEST(BuildLogTest, KeepsOnlyTheLastLines) {
  BuildLog log(20);
  for (int i = 0; i < 100; ++i) log.Add(Stream("line " + std::to_string(i) + "\n"));
  ASSERT_EQ(log.tail().size(), 20u);
  EXPECT_EQ(log.tail().front(), "line 80");
  EXPECT_EQ(log.tail().back(), "line 99");
}

TEST(BuildLogTest, ImageIdPrefersAuxOverSuccessLine) {
  BuildLog log;
  log.Add(Stream("Successfully built 0123456789ab\n"));
  EXPECT_EQ(log.image_id(), "0123456789ab");
  BuildProgress aux;
  aux.aux_id = "sha256:0123456789abcdef";
  log.Add(aux);
  EXPECT_EQ(log.image_id(), "sha256:0123456789abcdef");
  EXPECT_TRUE(log.error().empty());
}

TEST(BuildLogTest, FailureWithoutErrorLineSaysNoImage) {
  BuildLog log;
  log.Add(Stream("Step 1/1 : FROM x\n"));
  Error e = log.Failure();
  EXPECT_NE(e.message.find("Step 1/1 : FROM x"), std::string::npos);
  EXPECT_NE(e.message.find("no image id"), std::string::npos);
}

TEST(BuildLogTest, StripsTerminalColourCodes) {
  BuildLog log;
  log.Add(Stream("\x1b[91mon-stderr\n\x1b[0mRemoving intermediate container 1b64e65e3012\n"));
  ASSERT_EQ(log.tail().size(), 2u);
  EXPECT_EQ(log.tail()[0], "on-stderr");
  EXPECT_EQ(log.tail()[1], "Removing intermediate container 1b64e65e3012");
}

}  // namespace
}  // namespace vpe::docker
