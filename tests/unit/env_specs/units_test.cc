#include "env_specs/units.h"

#include <gtest/gtest.h>

namespace vpe::envspec {
namespace {

using std::chrono::milliseconds;

TEST(ParseSizeTest, AcceptsBinaryAndDecimalSuffixes) {
  EXPECT_EQ(ParseSize("512Mi"), 512LL << 20);
  EXPECT_EQ(ParseSize("1Gi"), 1LL << 30);
  EXPECT_EQ(ParseSize("64Ki"), 64LL << 10);
  EXPECT_EQ(ParseSize("2G"), 2000000000LL);
  EXPECT_EQ(ParseSize("500M"), 500000000LL);
  EXPECT_EQ(ParseSize("10K"), 10000LL);
  EXPECT_EQ(ParseSize("1048576"), 1048576LL);
}

TEST(ParseSizeTest, RefusesUnitsSpacesZeroAndOverflow) {
  EXPECT_FALSE(ParseSize("512 apples"));
  EXPECT_FALSE(ParseSize("512 Mi"));
  EXPECT_FALSE(ParseSize("512mb"));
  EXPECT_FALSE(ParseSize("Mi"));
  EXPECT_FALSE(ParseSize(""));
  EXPECT_FALSE(ParseSize("0"));
  EXPECT_FALSE(ParseSize("-1Mi"));
  EXPECT_FALSE(ParseSize("1.5Gi"));
  EXPECT_FALSE(ParseSize("99999999999999999999"));
  EXPECT_FALSE(ParseSize("9999999999Ti"));
}

TEST(ParseDurationTest, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30000));
  EXPECT_EQ(ParseDuration("5m"), milliseconds(300000));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7200000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("1d"), milliseconds(86400000));
}

TEST(ParseDurationTest, RefusesBareNumbersAndUnknownUnits) {
  EXPECT_FALSE(ParseDuration("30"));
  EXPECT_FALSE(ParseDuration("30 s"));
  EXPECT_FALSE(ParseDuration("5y"));
  EXPECT_FALSE(ParseDuration("m"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("0s"));
  EXPECT_FALSE(ParseDuration("999999999999999999h"));
}

TEST(FormatTest, RoundTripsTheShortestSpelling) {
  EXPECT_EQ(FormatSize(512LL << 20), "512Mi");
  EXPECT_EQ(FormatSize(2000000000LL), "2G");
  EXPECT_EQ(FormatSize(1023), "1023");
  EXPECT_EQ(FormatDuration(milliseconds(1800000)), "30m");
  EXPECT_EQ(FormatDuration(milliseconds(5400000)), "90m");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
}

}  // namespace
}  // namespace vpe::envspec
