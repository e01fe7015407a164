#include "docker_api/json_lines.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "docker_api/build_log.h"
#include "docker_api/json_mapping.h"

namespace vpe::docker {
namespace {

// Recorded shape of a classic-builder answer to POST /build (lines end in \r\n).
const std::string kBuildStream =
    "{\"stream\":\"Step 1/3 : FROM vpe/debian:bookworm\"}\r\n"
    "{\"stream\":\"\\n\"}\r\n{\"stream\":\" ---\\u003e 9e36dbc4e832\\n\"}\r\n"
    "{\"stream\":\"Step 2/3 : RUN echo before-fail\"}\r\n{\"stream\":\"\\n\"}\r\n"
    "{\"stream\":\" ---\\u003e Running in 1a2b3c4d5e6f\\n\"}\r\n"
    "{\"stream\":\"before-fail\\n\"}\r\n"
    "{\"stream\":\"Step 3/3 : RUN false\"}\r\n{\"stream\":\"\\n\"}\r\n"
    "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a "
    "non-zero code: 1\"},\"error\":\"The command '/bin/sh -c false' returned a non-zero code: "
    "1\"}\r\n";

std::vector<nlohmann::json> ReadAll(const std::string& stream, const std::vector<size_t>& cuts) {
  JsonLineReader reader;
  std::vector<nlohmann::json> out;
  auto cb = [&out](const nlohmann::json& j) {
    out.push_back(j);
    return true;
  };
  size_t prev = 0;
  for (size_t cut : cuts) {
    EXPECT_TRUE(reader.Feed(std::string_view(stream).substr(prev, cut - prev), cb).ok());
    prev = cut;
  }
  EXPECT_TRUE(reader.Feed(std::string_view(stream).substr(prev), cb).ok());
  EXPECT_TRUE(reader.Finish(cb).ok());
  return out;
}

TEST(JsonLineReaderTest, ParsesEveryTwoWaySplitIdentically) {
  const auto want = ReadAll(kBuildStream, {});
  ASSERT_EQ(want.size(), 10u);
  for (size_t cut = 0; cut <= kBuildStream.size(); ++cut) {
    ASSERT_EQ(ReadAll(kBuildStream, {cut}), want) << "cut at " << cut;
  }
}

TEST(JsonLineReaderTest, ParsesRandomChunkings) {
  const auto want = ReadAll(kBuildStream, {});
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> step(1, 30);
    for (size_t pos = step(rng); pos < kBuildStream.size(); pos += step(rng)) cuts.push_back(pos);
    ASSERT_EQ(ReadAll(kBuildStream, cuts), want) << "round " << round;
  }
}

TEST(JsonLineReaderTest, ParsesLastLineWithoutNewlineOnFinish) {
  auto out = ReadAll("{\"a\":1}\n\n{\"b\":2}", {3});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["b"], 2);
}

TEST(JsonLineReaderTest, RejectsGarbageAndOverlongLines) {
  JsonLineReader reader;
  auto cb = [](const nlohmann::json&) { return true; };
  Status st = reader.Feed("not json\n", cb);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  JsonLineReader small(16);
  st = small.Feed(std::string(10, 'x'), cb);
  ASSERT_TRUE(st.ok());
  st = small.Feed(std::string(10, 'x'), cb);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
}

TEST(JsonLineReaderTest, StopsWhenCallbackReturnsFalse) {
  JsonLineReader reader;
  int calls = 0;
  ASSERT_TRUE(reader.Feed("{}\n{}\n{}\n", [&](const nlohmann::json&) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(reader.stopped());
}

TEST(BuildProgressStreamTest, FailureNamesStepAndLastLines) {
  BuildLog log;
  for (const auto& doc : ReadAll(kBuildStream, {})) log.Add(ParseBuildProgress(doc));
  EXPECT_EQ(log.current_step(), "Step 3/3 : RUN false");
  EXPECT_EQ(log.image_id(), "");
  Error e = log.Failure();
  EXPECT_EQ(e.code, ErrorCode::kEngine);
  EXPECT_NE(e.message.find("Step 3/3 : RUN false"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("returned a non-zero code: 1"), std::string::npos);
  EXPECT_NE(e.message.find("before-fail"), std::string::npos);
}

}  // namespace
}  // namespace vpe::docker
