#include "docker_api/log_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace vpe::docker {
namespace {

// Recorded from dockerd 20.10 (GET /containers/{id}/logs?stdout=1&stderr=1) for
//   echo out-1; echo err-1 >&2; printf "partial-no-newline"; echo " done";
//   echo err-2 with more text >&2; seq 1 40 | tr "\n" " "; echo; echo "üñí €" >&2
constexpr char kRecordedHex[] =
    "01000000000000066f75742d310a01000000000000187061727469616c2d6e6f2d6e65776c696e6520646f6e65"
    "0a02000000000000066572722d310a02000000000000156572722d322077697468206d6f726520746578740a01"
    "000000000000703120322033203420352036203720382039203130203131203132203133203134203135203136"
    "203137203138203139203230203231203232203233203234203235203236203237203238203239203330203331"
    "203332203333203334203335203336203337203338203339203430200a020000000000000bc3bcc3b1c3ad20e2"
    "82ac0a";

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string Numbers() {
  std::string s;
  for (int i = 1; i <= 40; ++i) s += std::to_string(i) + " ";
  return s + "\n";
}

const std::string kWantStdout = "out-1\npartial-no-newline done\n" + Numbers();
const std::string kWantStderr =
    "err-1\nerr-2 with more text\n\xc3\xbc\xc3\xb1\xc3\xad \xe2\x82\xac\n";

struct Collected {
  std::string out;
  std::string err;
  std::vector<StreamKind> order;  // stream of each sink call, collapsed runs
};

// Feeds `stream` split at `cuts` (sorted offsets) and returns what the sink saw.
Collected Decode(const std::string& stream, const std::vector<size_t>& cuts, bool tty = false) {
  LogStreamDecoder decoder(tty);
  Collected c;
  LogSink sink = [&c](StreamKind kind, std::string_view data) {
    EXPECT_FALSE(data.empty());
    (kind == StreamKind::kStderr ? c.err : c.out).append(data);
    if (c.order.empty() || c.order.back() != kind) c.order.push_back(kind);
    return true;
  };
  size_t prev = 0;
  for (size_t cut : cuts) {
    EXPECT_TRUE(decoder.Feed(std::string_view(stream).substr(prev, cut - prev), sink).ok());
    prev = cut;
  }
  EXPECT_TRUE(decoder.Feed(std::string_view(stream).substr(prev), sink).ok());
  EXPECT_TRUE(decoder.AtFrameBoundary());
  return c;
}

const std::vector<StreamKind> kWantOrder = {StreamKind::kStdout, StreamKind::kStderr,
                                            StreamKind::kStdout, StreamKind::kStderr};

TEST(LogStreamDecoderTest, DecodesRecordedStreamInOneChunk) {
  const std::string stream = FromHex(kRecordedHex);
  ASSERT_EQ(stream.size(), 228u);
  Collected c = Decode(stream, {});
  EXPECT_EQ(c.out, kWantStdout);
  EXPECT_EQ(c.err, kWantStderr);
  EXPECT_EQ(c.order, kWantOrder);
}

TEST(LogStreamDecoderTest, DecodesByteByByte) {
  const std::string stream = FromHex(kRecordedHex);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  Collected c = Decode(stream, cuts);
  EXPECT_EQ(c.out, kWantStdout);
  EXPECT_EQ(c.err, kWantStderr);
  EXPECT_EQ(c.order, kWantOrder);
}

TEST(LogStreamDecoderTest, DecodesEveryTwoWaySplit) {
  const std::string stream = FromHex(kRecordedHex);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    Collected c = Decode(stream, {cut});
    ASSERT_EQ(c.out, kWantStdout);
    ASSERT_EQ(c.err, kWantStderr);
    ASSERT_EQ(c.order, kWantOrder);
  }
}

TEST(LogStreamDecoderTest, DecodesEveryThreeWaySplit) {
  const std::string stream = FromHex(kRecordedHex);
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b = a; b <= stream.size(); ++b) {
      Collected c = Decode(stream, {a, b});
      ASSERT_EQ(c.out, kWantStdout) << a << "," << b;
      ASSERT_EQ(c.err, kWantStderr) << a << "," << b;
    }
  }
}

TEST(LogStreamDecoderTest, DecodesRandomChunkingsWithFixedSeed) {
  const std::string stream = FromHex(kRecordedHex);
  std::mt19937 rng(20240601);
  for (int round = 0; round < 2000; ++round) {
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> step(1, 1 + round % 40);
    for (size_t pos = step(rng); pos < stream.size(); pos += step(rng)) cuts.push_back(pos);
    Collected c = Decode(stream, cuts);
    ASSERT_EQ(c.out, kWantStdout) << "round " << round;
    ASSERT_EQ(c.err, kWantStderr) << "round " << round;
    ASSERT_EQ(c.order, kWantOrder) << "round " << round;
  }
}

std::string Frame(uint8_t kind, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(kind);
  uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

TEST(LogStreamDecoderTest, HandlesEmptyAndLargeFramesAcrossSplits) {
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  std::string stream = Frame(1, "") + Frame(2, big) + Frame(1, "tail") + Frame(2, "");
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> step(1, 9000);
    for (size_t pos = step(rng); pos < stream.size(); pos += step(rng)) cuts.push_back(pos);
    Collected c = Decode(stream, cuts);
    ASSERT_EQ(c.err, big);
    ASSERT_EQ(c.out, "tail");
  }
}

TEST(LogStreamDecoderTest, DeliversLargeFrameInPiecesWithoutBufferingIt) {
  // A frame announced as 1 MiB, fed 4 KiB at a time: every piece must reach the sink at once.
  std::string payload(1 << 20, 'p');
  std::string stream = Frame(1, payload);
  LogStreamDecoder decoder(false);
  size_t delivered = 0;
  size_t fed = 0;
  LogSink sink = [&](StreamKind, std::string_view data) {
    delivered += data.size();
    return true;
  };
  for (size_t pos = 0; pos < stream.size(); pos += 4096) {
    std::string_view chunk = std::string_view(stream).substr(pos, 4096);
    ASSERT_TRUE(decoder.Feed(chunk, sink).ok());
    fed += chunk.size();
    ASSERT_EQ(delivered, fed - 8) << "payload held back at offset " << pos;
  }
  EXPECT_TRUE(decoder.AtFrameBoundary());
}

TEST(LogStreamDecoderTest, ReportsTruncatedFrame) {
  const std::string stream = FromHex(kRecordedHex);
  LogStreamDecoder decoder(false);
  LogSink sink = [](StreamKind, std::string_view) { return true; };
  ASSERT_TRUE(decoder.Feed(std::string_view(stream).substr(0, 10), sink).ok());
  EXPECT_FALSE(decoder.AtFrameBoundary());
  LogStreamDecoder header_only(false);
  ASSERT_TRUE(header_only.Feed(std::string_view(stream).substr(0, 3), sink).ok());
  EXPECT_FALSE(header_only.AtFrameBoundary());
}

TEST(LogStreamDecoderTest, RejectsMalformedHeader) {
  LogStreamDecoder decoder(false);
  LogSink sink = [](StreamKind, std::string_view) { return true; };
  Status st = decoder.Feed("hello world, this is a tty stream\n", sink);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_NE(st.error().message.find("malformed"), std::string::npos);
}

TEST(LogStreamDecoderTest, StopsWhenSinkReturnsFalse) {
  const std::string stream = FromHex(kRecordedHex);
  LogStreamDecoder decoder(false);
  int calls = 0;
  LogSink sink = [&](StreamKind, std::string_view) { return ++calls < 2; };
  ASSERT_TRUE(decoder.Feed(stream, sink).ok());
  EXPECT_TRUE(decoder.stopped());
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(decoder.Feed(stream, sink).ok());
  EXPECT_EQ(calls, 2);
}

TEST(LogStreamDecoderTest, TtyModePassesRawBytesAsStdout) {
  std::string raw("line one\r\n\x01\x00\x00\x00 not a header\r\n", 29);
  raw += std::string("\x02\x00\x00\x00\x00\x00\x00\x05", 8);
  for (size_t cut = 0; cut <= raw.size(); ++cut) {
    Collected c = Decode(raw, {cut}, /*tty=*/true);
    ASSERT_EQ(c.out, raw);
    ASSERT_TRUE(c.err.empty());
  }
}

}  // namespace
}  // namespace vpe::docker
